import Foundation

/// When an account's circuit opens, and for how long.
public struct BreakerPolicy: Sendable {
    /// Consecutive `retry`/`failover`/`rate_limited` failures that open the circuit.
    public var failures: Int
    /// Seconds the account is skipped before one probe message is let through.
    public var cooldown: Double

    public init(failures: Int = 5, cooldown: Double = 30) {
        self.failures = max(1, failures)
        self.cooldown = cooldown
    }
}

/// One circuit per account: closed (normal), open (skipped until the cool-down ends), then
/// half-open (one probe message is let through; a success closes it, a failure opens it again).
///
/// The circuits live in the route's ``RouteState`` under `circuits`, so a route with a
/// `state_file` shares them between processes.
struct CircuitBreaker: Sendable {
    /// Whether a message may go to an account now.
    enum Decision: Equatable {
        case allow
        case probe
        case skip(until: Double)
    }

    /// One account's circuit, as kept in the state.
    private struct Circuit {
        var failures = 0
        /// While open: when the next probe may go.
        var openUntil: Double?
        /// While a probe is in flight: when it started (a probe that never reports back expires).
        var probeStarted: Double?

        init(_ value: Value) {
            failures = value["failures"].intValue ?? 0
            openUntil = value["open_until"].doubleValue
            probeStarted = value["probe_started"].doubleValue
        }

        init() {}

        var value: Value {
            .object(["failures": .int(failures), "open_until": openUntil.map(Value.double) ?? .null,
                     "probe_started": probeStarted.map(Value.double) ?? .null])
        }
    }

    let policy: BreakerPolicy
    let state: RouteState

    func decide(_ account: String, now: Double) async -> Decision {
        await state.update("circuits") { circuits in
            var circuit = Circuit(circuits[account])
            defer { Self.store(circuit, account, in: &circuits) }
            guard let openUntil = circuit.openUntil else { return .allow }
            if now < openUntil { return .skip(until: openUntil) }
            if let started = circuit.probeStarted, now - started < max(policy.cooldown, 30) { return .skip(until: started + policy.cooldown) }
            circuit.probeStarted = now
            return .probe
        }
    }

    /// Records how an attempt ended. Only `retry`, `rate_limited` and `failover` count against the account.
    func record(_ account: String, errorClass: ErrorClass?, now: Double) async {
        await state.update("circuits") { circuits in
            var circuit = Circuit(circuits[account])
            switch errorClass {
            case nil:
                circuit = Circuit()
            case .retry?, .rateLimited?, .failover?:
                circuit.failures += 1
                circuit.probeStarted = nil
                if circuit.openUntil != nil || circuit.failures >= policy.failures {
                    circuit.openUntil = now + policy.cooldown
                }
            case .permanent?, .ambiguous?:
                circuit.probeStarted = nil  // says nothing about the account's health
            }
            Self.store(circuit, account, in: &circuits)
        }
    }

    private static func store(_ circuit: Circuit, _ account: String, in circuits: inout Value) {
        var object = circuits.objectValue ?? OrderedObject()
        object[account] = circuit.value
        circuits = .object(object)
    }
}
