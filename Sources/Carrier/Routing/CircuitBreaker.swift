import Foundation

/// One circuit per account: closed (normal), open (skipped until the cool-down ends), then
/// half-open (one probe message is let through; a success closes it, a failure opens it again).
///
/// With a state file the circuits live in that file, locked with `flock` for each read-modify-write,
/// so several `carrier` processes on one machine share them.
actor CircuitBreaker {
    struct Circuit: Codable {
        var failures = 0
        /// While open: when the next probe may go.
        var openUntil: Double?
        /// While a probe is in flight: when it started (a probe that never reports back expires).
        var probeStarted: Double?
    }

    enum Decision: Equatable {
        case allow
        case probe
        case skip(until: Double)
    }

    let policy: BreakerPolicy
    private var circuits: [String: Circuit] = [:]

    init(policy: BreakerPolicy) {
        self.policy = policy
    }

    /// Whether a message may go to `account` now.
    func decide(_ account: String, now: Double = Date().timeIntervalSince1970) -> Decision {
        update { circuits in
            var circuit = circuits[account] ?? Circuit()
            defer { circuits[account] = circuit }
            guard let openUntil = circuit.openUntil else { return .allow }
            if now < openUntil { return .skip(until: openUntil) }
            if let started = circuit.probeStarted, now - started < max(policy.cooldown, 30) { return .skip(until: started + policy.cooldown) }
            circuit.probeStarted = now
            return .probe
        }
    }

    /// Records how an attempt ended. Only `retry`, `rate_limited` and `failover` count against the account.
    func record(_ account: String, errorClass: ErrorClass?, now: Double = Date().timeIntervalSince1970) {
        update { circuits in
            var circuit = circuits[account] ?? Circuit()
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
            circuits[account] = circuit
        }
    }

    /// Runs a change on the circuits: in memory, or under an exclusive lock on the state file.
    private func update<T>(_ change: (inout [String: Circuit]) -> T) -> T {
        guard let path = policy.stateFile else { return change(&circuits) }
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { return change(&circuits) }  // unwritable: fall back to this process's memory
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        var shared = (try? JSONDecoder().decode([String: Circuit].self, from: handle.readDataToEndOfFile())) ?? [:]
        let result = change(&shared)
        if let data = try? JSONEncoder().encode(shared) {
            ftruncate(fd, 0)
            lseek(fd, 0, SEEK_SET)
            handle.write(data)
            fsync(fd)
        }
        return result
    }
}

/// The breakers of a process, one per route that has one.
actor BreakerRegistry {
    static let shared = BreakerRegistry()
    private var breakers: [String: CircuitBreaker] = [:]

    func breaker(for route: Route) -> CircuitBreaker? {
        guard let policy = route.breaker else { return nil }
        let key = route.name + "|" + (policy.stateFile ?? "")
        if let existing = breakers[key] { return existing }
        let breaker = CircuitBreaker(policy: policy)
        breakers[key] = breaker
        return breaker
    }
}
