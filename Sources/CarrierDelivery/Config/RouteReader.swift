import CarrierYAML

/// Reads `routes:` of carrier.yaml:
///
/// ```yaml
/// routes:
///   default:   {strategy: failover, accounts: [sendgrid, sendgrid-smtp, mailgun], state_file: ./route-state.json,
///               retry: {attempts: 3, initial_delay: 200ms, max_delay: 5s, max_total: 30s, max_retry_after: 10s},
///               breaker: {failures: 5, cooldown: 30s}, on_ambiguous: stop, ignore_unsupported: false}
///   marketing: {strategy: weighted, accounts: {sendgrid: 90, mailgun: 10}}
/// ```
struct RouteReader {
    let file: String
    let sink: DiagnosticSink
    /// Account names defined in the configuration.
    let known: [String]
    let absolute: (String) -> String

    func read(_ name: String, _ node: YAMLNode) -> Route? {
        let r = NodeReader(file: file, node: node, context: "route '\(name)'", sink: sink)
        defer { r.finish() }
        let strategy = r.oneOf("strategy", RoutingStrategies.all.map { $0.name }).flatMap(RoutingStrategies.named) ?? FailoverStrategy()
        var accounts: [Route.Member] = []
        if let list = r.requiredNode("accounts") {
            switch list.kind {
            case .sequence(let items):
                for item in items {
                    guard let account = checked(item) else { continue }
                    accounts.append(Route.Member(name: account))
                }
            case .mapping(let pairs):
                for pair in pairs {
                    guard let account = checked(pair.key) else { continue }
                    guard case .int(let weight) = Value(yaml: pair.value), weight >= 0 else {
                        r.error(pair.value, "the weight of '\(account)' must be a whole number, such as 90")
                        continue
                    }
                    accounts.append(Route.Member(name: account, weight: weight))
                }
            case .scalar:
                r.error(list, "accounts of route '\(name)' must be a list, or a mapping of account to weight")
            }
            if accounts.isEmpty, list.scalar == nil { r.error(list, "route '\(name)' has no accounts") }
        }
        var retry = RetryPolicy()
        if let t = r.mapping("retry") {
            retry = RetryPolicy(attempts: t.int("attempts") ?? 1, initialDelay: seconds(t, "initial_delay") ?? 0.2,
                                maxDelay: seconds(t, "max_delay") ?? 5, maxTotal: seconds(t, "max_total") ?? 30,
                                maxRetryAfter: seconds(t, "max_retry_after"))
            t.finish()
        }
        var stateFile = r.string("state_file").map(absolute)
        var breaker: BreakerPolicy?
        if let b = r.mapping("breaker") {
            breaker = BreakerPolicy(failures: b.int("failures") ?? 5, cooldown: seconds(b, "cooldown") ?? 30)
            // Before routes had a state file, the breaker had its own; it now names the route's.
            if let file = b.string("state_file").map(absolute) {
                if let own = stateFile, own != file, let node = b.node("state_file") {
                    b.error(node, "the breaker's state_file differs from the route's", hint: "keep one state_file, on the route")
                }
                stateFile = stateFile ?? file
            }
            b.finish()
        }
        if let stateFile, let problem = RouteState.unsafeFileProblem(stateFile),
           let node = r.node("state_file") ?? r.node("breaker").flatMap({ $0["state_file"] }) {
            r.error(node, "state_file \(stateFile) \(problem)", hint: "name a regular file of your own (it is created when missing)")
        }
        let ignoreUnsupported = r.bool("ignore_unsupported") ?? false
        let dkim = r.node("dkim").flatMap { DKIMSettings.read($0, file: file, context: "route '\(name)'", sink: sink) }
        let onAmbiguous = r.oneOf("on_ambiguous", Route.AmbiguousPolicy.allCases.map(\.rawValue)).flatMap(Route.AmbiguousPolicy.init(rawValue:)) ?? .stop
        var route = Route(name: name, strategy: strategy, members: accounts, retry: retry, breaker: breaker, onAmbiguous: onAmbiguous,
                          stateFile: stateFile, ignoreUnsupported: ignoreUnsupported)
        route.dkim = dkim
        if let s = r.mapping("suppressions") {
            let reasons = Suppression.Reason.allCases.map(\.rawValue)
            for item in s.list("ignore") ?? [] {
                guard let text = s.scalarString(item, name: "ignore") else { continue }
                guard let reason = Suppression.Reason(rawValue: text) else {
                    s.error(item, "'\(text)' is not a suppression reason", hint: "write one of: \(reasons.joined(separator: ", "))")
                    continue
                }
                route.ignoredSuppressions.insert(reason)
            }
            s.finish()
        }
        return route
    }

    private func checked(_ node: YAMLNode) -> String? {
        guard let account = node.scalar else {
            sink.add(Diagnostic(file: file, mark: node.mark, message: "an account name must be a string"))
            return nil
        }
        guard known.contains(account) else {
            sink.add(Diagnostic(file: file, mark: node.mark, message: "no account named '\(account)'", hint: Suggest.hint(for: account, in: known)))
            return nil
        }
        return account
    }

    private func seconds(_ r: NodeReader, _ key: String) -> Double? {
        guard let node = r.node(key) else { return nil }
        guard let value = DurationText.seconds(Value(yaml: node)) else {
            r.error(node, "'\(key)' must be a duration such as 200ms, 5s or 2m")
            return nil
        }
        return value
    }
}
