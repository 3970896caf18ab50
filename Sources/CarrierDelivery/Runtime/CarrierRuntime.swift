import CarrierCurl
import Foundation

/// Everything a ``Mailer`` keeps while it runs: its libcurl engine and event-loop thread, its
/// OAuth2 token cache, its routes' state (round-robin positions, circuit breakers), its rate-limit
/// buckets and connection limits, the certificates it fetched, the secrets it obtained, and the
/// clock and random source it reads.
///
/// Each `Mailer` makes its own by default, so two mailers in one process share nothing; give
/// several the same runtime to share breakers, limits and connections. Nothing in Carrier lives
/// outside a runtime.
public final class CarrierRuntime: Sendable {
    public let engine: CurlEngine
    public let tokens: OAuth2TokenProvider
    public let clock: any WallClock
    public let random: RandomSource
    public let secrets: ObtainedSecrets
    /// How long a shutdown waits for sends under way before it cuts their transfers.
    public let shutdownGrace: Duration
    /// Where route state and rate limits are shared with other machines (`store:`), if anywhere.
    public let sharedState: (any SharedStateStore)?
    let routeStates: RouteStates
    let rateLimiters: RateLimiters
    let connectionLimits = ConnectionLimits()
    package let certificates: CertificateCache
    package let sends = InFlightCounter()

    /// - Parameters:
    ///   - clock: what waits, retries and expiries read (``ManualClock`` in tests).
    ///   - random: weighted draws, jitter and round-robin starts (seeded in tests).
    ///   - shutdownGrace: how long ``shutdown()`` lets sends under way finish.
    ///   - engine: the libcurl engine; default a new one (its thread starts with the first transfer).
    ///   - sharedState: where routes' state and accounts' rate limits are shared with other
    ///     processes (a `PostgresSharedState`); default none: this runtime's memory, or a route's `state_file`.
    public init(clock: any WallClock = SystemClock(), random: RandomSource = RandomSource(),
                shutdownGrace: Duration = .seconds(30), engine: CurlEngine = CurlEngine(), sharedState: (any SharedStateStore)? = nil) {
        self.sharedState = sharedState
        self.routeStates = RouteStates(store: sharedState)
        self.engine = engine
        self.clock = clock
        self.random = random
        self.shutdownGrace = shutdownGrace
        self.secrets = ObtainedSecrets()
        self.tokens = OAuth2TokenProvider(clock: clock, secrets: secrets)
        self.rateLimiters = RateLimiters(clock: clock)
        self.certificates = CertificateCache(clock: clock)
    }

    /// Lets the sends under way finish for up to ``shutdownGrace`` on the runtime's clock, then
    /// ends the transfers still in flight (a request that went out is reported ambiguous) and
    /// the event-loop thread. Safe to call from a cancelled task: the wait is not cut short by it.
    public func shutdown() async {
        let sends = self.sends, clock = self.clock, grace = shutdownGrace
        await Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await sends.drained() }
                group.addTask { try? await clock.sleep(for: grace) }
                await group.next()
                group.cancelAll()
            }
        }.value
        await engine.shutdown()
    }
}
