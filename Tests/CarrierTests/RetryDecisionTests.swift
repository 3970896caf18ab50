@testable import Carrier
import Foundation
import Testing

/// The router's decision after a failed attempt, as a pure function of the attempt, the retries
/// made and the time spent.
@Suite("Retry decisions")
struct RetryDecisionTests {
    let route = Route(name: "r", members: [.init(name: "a")],
                      retry: RetryPolicy(attempts: 3, initialDelay: 1, maxDelay: 4, maxTotal: 10, maxRetryAfter: 5))

    func failed(_ errorClass: ErrorClass, retryAfter: Double? = nil) -> Attempt {
        Attempt(account: "a", provider: "p", channel: .api, outcome: .failed, errorClass: errorClass, retryAfter: retryAfter)
    }

    @Test func retryBacksOffWithinCountAndTime() {
        #expect(RetryDecision.after(failed(.retry), retries: 0, elapsed: 0, route: route, jitter: 1) == .retry(after: 1))
        #expect(RetryDecision.after(failed(.retry), retries: 1, elapsed: 0, route: route, jitter: 0.5) == .retry(after: 1))
        #expect(RetryDecision.after(failed(.retry), retries: 2, elapsed: 0, route: route, jitter: 1) == .next)
        #expect(RetryDecision.after(failed(.retry), retries: 0, elapsed: 9.5, route: route, jitter: 1) == .next)
    }

    @Test func rateLimitedHonoursRetryAfterUpToItsLimit() {
        #expect(RetryDecision.after(failed(.rateLimited, retryAfter: 3), retries: 0, elapsed: 0, route: route, jitter: 0) == .retry(after: 3))
        #expect(RetryDecision.after(failed(.rateLimited, retryAfter: 120), retries: 0, elapsed: 0, route: route, jitter: 0) == .next)
    }

    @Test func permanentStopsAndAmbiguousFollowsTheRoute() {
        #expect(RetryDecision.after(failed(.permanent), retries: 0, elapsed: 0, route: route, jitter: 0) == .stop)
        #expect(RetryDecision.after(failed(.failover), retries: 0, elapsed: 0, route: route, jitter: 0) == .next)
        #expect(RetryDecision.after(failed(.ambiguous), retries: 0, elapsed: 0, route: route, jitter: 0) == .stop)
        var lenient = route
        lenient.onAmbiguous = .failover
        #expect(RetryDecision.after(failed(.ambiguous), retries: 0, elapsed: 0, route: lenient, jitter: 0) == .next)
    }

    @Test func routesSharingOneStateFileKeepTheirOwnPositions() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("carrier-state-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let members: [Route.Member] = [.init(name: "x"), .init(name: "y")]
        let one = RouteState(route: "one", file: file)
        let two = RouteState(route: "two", file: file)
        let first = await one.update("strategy") { RoundRobinStrategy().order(members, state: &$0, random: RandomSource(seed: 1)) }
        _ = await two.update("strategy") { RoundRobinStrategy().order(members, state: &$0, random: RandomSource(seed: 1)) }
        let second = await one.update("strategy") { RoundRobinStrategy().order(members, state: &$0, random: RandomSource(seed: 1)) }
        #expect(first.first != second.first, "route one moved on by one, whatever route two did")
    }
}
