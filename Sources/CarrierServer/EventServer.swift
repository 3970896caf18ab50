import Carrier
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `carrier events serve`: one URL per account, `POST /events/ACCOUNT`, on Hummingbird.
///
/// A verified webhook's events are appended to the ``EventLog`` (on disk before the 2xx); a body
/// over `maxBody` is 413, an unknown account 404, a bad or missing signature 401 — and nothing is
/// written for any of them. `GET /health` answers `ok`. `GET`/`HEAD /events/ACCOUNT` answer the
/// activation checks some ESPs make, and `OPTIONS` CloudEvents' webhook validation.
public struct EventServer: Sendable {
    public let receiver: WebhookReceiver
    public let log: any EventStore
    public let maxBody: Int
    /// How long a connection may send nothing — between requests, or in the middle of one (its
    /// headers or body unfinished) — before it is closed.
    public let idleTimeout: Duration
    /// Connections open at once at most; one more is closed at once.
    public let maxConnections: Int
    public let logger: Logger
    /// Called with each webhook's events once they are written (the gateway keeps them with their messages).
    public let received: @Sendable ([DeliveryEvent]) async -> Void
    /// Adds bounces, complaints and unsubscribes to the suppression list, before the events are written.
    public let suppressions: SuppressionRecorder?
    /// One-click unsubscribe links (`/unsubscribe/TOKEN`), when `unsubscribe:` is configured.
    public let unsubscribe: UnsubscribeEndpoint?

    public init(receiver: WebhookReceiver, log: any EventStore, maxBody: Int = 1 << 20, idleTimeout: Duration = .seconds(30),
                maxConnections: Int = 512, logger: Logger = Logger(label: "carrier.events"), suppressions: SuppressionRecorder? = nil,
                unsubscribe: UnsubscribeEndpoint? = nil, received: @escaping @Sendable ([DeliveryEvent]) async -> Void = { _ in }) {
        self.receiver = receiver
        self.log = log
        self.maxBody = maxBody
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.logger = logger
        self.received = received
        self.suppressions = suppressions
        self.unsubscribe = unsubscribe
    }

    /// Serves until the process is stopped; `ready` gets the port once it listens (for port 0).
    public func run(host: String, port: Int, ready: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.get("health") { _, _ in "ok" }
        addRoutes(to: router)
        var configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: "carrier")
        configuration.backlog = 1024
        let cap = ConnectionCap(limit: maxConnections)
        let (seconds, attoseconds) = idleTimeout.components
        let idle = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let app = Application(router: router, server: .http1(configuration: .init(additionalChannelHandlers: [cap.handler()], idleTimeout: idle)),
                              configuration: configuration,
                              onServerRunning: { channel in ready(channel.localAddress?.port ?? port) }, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// The webhook routes (`/events/ACCOUNT`), for this server or another one (`carrier serve`).
    public func addRoutes(to router: Hummingbird.Router<BasicRequestContext>) {
        unsubscribe?.addRoutes(to: router)
        router.post("events/:account") { request, context -> Response in
            let account = try context.parameters.require("account")
            return try await self.handle(request, account: account)
        }
        // Some ESPs check the URL with a GET or HEAD when the webhook is switched on (Netcore, Unisender Go);
        // a GET with a query is a notification in its query (Elastic Email).
        router.get("events/:account") { request, context -> Response in
            let account = try context.parameters.require("account")
            return request.uri.query?.isEmpty == false ? try await self.handle(request, account: account) : self.activation(account)
        }
        router.head("events/:account") { _, context -> Response in
            self.activation(try context.parameters.require("account"))
        }
        router.on("events/:account", method: .options) { request, context -> Response in
            self.abuseProtection(request, account: try context.parameters.require("account"))
        }
    }

    private func handle(_ request: Request, account: String) async throws -> Response {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: maxBody) } catch {
            return Self.answer(.contentTooLarge, ["error": .string("the body is over \(maxBody) bytes")])
        }
        var headers: [(name: String, value: String)] = []
        for field in request.headers { headers.append((field.name.canonicalName, field.value)) }
        let host = request.head.authority ?? "localhost"
        let scheme = headers.last { HeaderRules.sameFieldName($0.name, "x-forwarded-proto") }?.value ?? "http"
        let webhook = WebhookRequest(headers: headers, body: Data(body.readableBytesView), url: "\(scheme)://\(host)\(request.uri.path)" + (request.uri.query.map { "?" + $0 } ?? ""))
        let delivery: WebhookReceiver.Delivery
        do throws(WebhookError) { delivery = try await receiver.receive(account: account, request: webhook) } catch {
            logger.warning("webhook refused", metadata: ["account": .string(account), "status": .stringConvertible(error.status),
                                                         "error": .string(error.message)])
            var response = Self.answer(HTTPResponse.Status(code: error.status), ["error": .string(error.message)])
            // SNS sends basic-auth credentials only after a challenge.
            if error.kind == .unverified { response.headers[.wwwAuthenticate] = "Basic realm=\"carrier\"" }
            return response
        }
        if let handshake = delivery.handshake {
            logger.info("webhook handshake", metadata: ["account": .string(account), "what": .string(handshake)])
            return Self.answer(.ok, delivery.answer?.objectValue ?? ["handshake": .string(handshake)])
        }
        do {
            // On the list before the 2xx: an ESP that gets an error sends the webhook again.
            if let suppressions {
                for entry in try await suppressions.record(delivery.events) {
                    logger.info("suppressed", metadata: ["account": .string(account), "reason": .string(entry.reason.rawValue)])
                }
            }
            let counts = try await log.append(delivery.events)
            await received(delivery.events)
            return Self.answer(.ok, ["written": .int(counts.written), "repeated": .int(counts.repeated)])
        } catch {
            // Not on disk: the ESP must send it again.
            logger.error("events not written", metadata: ["account": .string(account), "error": .string("\(error)")])
            return Self.answer(.internalServerError, ["error": .string("the events could not be written: \(error)")])
        }
    }

    /// 200 for an account that receives events, 404 otherwise; nothing is written.
    private func activation(_ account: String) -> Response {
        receiver.receives(account) ? Self.answer(.ok, ["account": .string(account)])
            : Self.answer(.notFound, ["error": .string("no account '\(account)' that receives events")])
    }

    /// CloudEvents' webhook validation (HTTP OPTIONS, as Azure Event Grid sends it for the CloudEvents
    /// schema): delivery is allowed, for an account that receives events, by echoing the sender's
    /// `WebHook-Request-Origin` in `WebHook-Allowed-Origin`, with no limit on the rate.
    private func abuseProtection(_ request: Request, account: String) -> Response {
        guard receiver.receives(account) else { return activation(account) }
        var headers: HTTPFields = [.allow: "POST, GET, HEAD, OPTIONS"]
        if let origin = request.headers[HTTPField.Name("WebHook-Request-Origin")!] {
            headers[HTTPField.Name("WebHook-Allowed-Origin")!] = origin
            headers[HTTPField.Name("WebHook-Allowed-Rate")!] = "*"
        }
        return Response(status: .ok, headers: headers)
    }

    private static func answer(_ status: HTTPResponse.Status, _ object: OrderedObject) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: JSONWriter.string(.object(object)) + "\n")))
    }
}
