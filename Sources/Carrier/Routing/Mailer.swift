import CarrierCurl
import Foundation
import Logging
import Metrics

/// Sends messages through the routes and accounts of a configuration.
///
/// ```swift
/// let mailer = Mailer(configuration: try Configuration.load(path: "carrier.yaml"))
/// let receipt = try await mailer.send(message)               // the `default` route
/// let other = try await mailer.send(message, route: "marketing")
/// ```
///
/// Failures are classified once where they happen; the route acts on the class: `retry` the same
/// account with backoff, wait out a short `rate_limited`, move on after `failover`, stop at
/// `permanent`, and follow `on_ambiguous` when a request went out without an answer. A message
/// that no account took is kept in the spool when the configuration has one.
public struct Mailer: Sendable {
    public let configuration: Configuration
    public let registry: ProviderRegistry
    let engine: CurlEngine
    let tokens: OAuth2TokenProvider
    let logger: Logger
    /// Accounts resolved once (environment variables, secret files, provider checks), not per message.
    let accounts = AccountCache()

    public init(configuration: Configuration, registry: ProviderRegistry? = nil, engine: CurlEngine = .shared,
                tokens: OAuth2TokenProvider = .shared, logger: Logger = Logger(label: "carrier")) {
        self.configuration = configuration
        self.registry = registry ?? .standard(extraDirectories: configuration.providerDirectories)
        self.engine = engine
        self.tokens = tokens
        self.logger = logger
    }

    /// Sends a message through a route (or one account).
    ///
    /// - Parameters:
    ///   - route: a route name; default `$CARRIER_ROUTE`, else `default`, else the first account.
    ///   - account: one account only, overriding any route.
    /// - Throws: ``CarrierError/notSent(_:)`` with the receipt when no account took the message
    ///   (its `spoolPath` says where it was kept).
    @discardableResult
    public func send(_ message: Message, route: String? = nil, account: String? = nil) async throws(CarrierError) -> Receipt {
        let plan = try resolveRoute(route, account: account)
        var prepared = message
        if prepared.messageID == nil { prepared.messageID = MessageIDs.make(domain: message.from.domain) }
        let spool = configuration.spoolDirectory.map(Spool.init)
        var entry = Spool.Entry(id: prepared.messageID!, message: prepared, route: route ?? (account == nil ? plan.name : nil),
                                created: Date().timeIntervalSince1970, attempts: [], state: "in_flight", owner: getpid())
        // The lock keeps `carrier outbox retry` off a message this process is still sending.
        let lock = spool?.lock(entry.id)
        defer { lock?.release(removeFile: true) }
        if let spool, configuration.spoolWriteAhead {
            do { try spool.write(entry) } catch {
                throw .configuration(ConfigurationError("cannot write to the spool \(spool.directory): \(error.localizedDescription)",
                                                        hint: "check the folder's permissions, or remove spool: from the configuration"))
            }
        }
        var receipt = await deliver(prepared, route: plan)
        if receipt.status == .sent {
            spool?.remove(entry.id)
            return receipt
        }
        // Kept for later unless trying again cannot help: a permanent refusal, an ambiguous stop,
        // or no account able to carry the message at all.
        let nobodyCanCarry = receipt.attempts.allSatisfy { $0.details["skipped"] == "capability" }
        if let spool, !receipt.stoppedOnPurpose, !nobodyCanCarry {
            entry.state = "failed"
            entry.attempts = receipt.attempts.map(\.value)
            entry.lastError = receipt.attempts.last?.error
            do {
                receipt.spoolPath = try spool.write(entry)
                receipt.status = .spooled
                Counter(label: "carrier_spooled_total").increment()
            } catch {
                logger.error("cannot write to the spool", metadata: ["error": .string("\(error)")])
            }
        } else {
            spool?.remove(entry.id)
        }
        throw .notSent(receipt)
    }

    /// Sends several messages one after another. With a spool, the whole batch is written to it
    /// first, so a process killed anywhere in the batch leaves every unsent message in the spool.
    public func send(batch messages: [Message], route: String? = nil, account: String? = nil) async -> [Result<Receipt, CarrierError>] {
        var prepared = messages
        for i in prepared.indices where prepared[i].messageID == nil {
            prepared[i].messageID = MessageIDs.make(domain: prepared[i].from.domain)
        }
        if let directory = configuration.spoolDirectory, configuration.spoolWriteAhead, prepared.count > 1 {
            let spool = Spool(directory: directory)
            for message in prepared {
                _ = try? spool.write(Spool.Entry(id: message.messageID!, message: message, route: route, created: Date().timeIntervalSince1970,
                                             attempts: [], state: "queued", owner: getpid()))
            }
        }
        var results: [Result<Receipt, CarrierError>] = []
        for message in prepared {
            do { results.append(.success(try await send(message, route: route, account: account))) } catch { results.append(.failure(error)) }
        }
        return results
    }

    /// The route for a send: an account alone, a named route, `$CARRIER_ROUTE`, `default`, or the first account.
    func resolveRoute(_ name: String?, account: String?) throws(CarrierError) -> Route {
        if let account {
            guard configuration.accountNames.contains(account) else { throw .configuration(configuration.unknownAccount(account)) }
            let base = configuration.routes["default"]
            return Route(name: "account:\(account)", accounts: [(account, 1)], retry: base?.retry ?? RetryPolicy(),
                         breaker: nil, onAmbiguous: base?.onAmbiguous ?? .stop)
        }
        let environment = getenv("CARRIER_ROUTE").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        if let wanted = name ?? environment {
            guard let route = configuration.routes[wanted] else {
                let known = configuration.routes.keys.sorted()
                throw .configuration(ConfigurationError("no route named '\(wanted)' in \(configuration.file ?? "the configuration")",
                    hint: Suggest.nearest(wanted, in: known).map { "did you mean '\($0)'?" } ?? "routes are: \(known.joined(separator: ", "))"))
            }
            return route
        }
        if let route = configuration.routes["default"] { return route }
        let first = configuration.accountNames.first ?? "outbox"
        return Route(name: "account:\(first)", accounts: [(first, 1)])
    }

}
