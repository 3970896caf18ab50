import Carrier
import CarrierGateway
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// The gateway's HTTP listener on Hummingbird: the submission API (`/v1/messages`), the events
/// receiver (`/events/{account}`, as `carrier events serve` has it), `/health`, `/ready`,
/// `/metrics` (Prometheus text) and `/v1/openapi.json` (docs/openapi.json says every answer).
public struct GatewayHTTP: Sendable {
    public let gateway: Gateway
    /// The webhook routes, when delivery events are received in the same process.
    public let events: EventServer?
    /// What `/metrics` shows: the registry the gateway's metrics factory writes to.
    public let metrics: PrometheusCollectorRegistry
    let settings: GatewayConfiguration.HTTP

    public init(gateway: Gateway, events: EventServer?, metrics: PrometheusCollectorRegistry, settings: GatewayConfiguration.HTTP) {
        self.gateway = gateway
        self.events = events
        self.metrics = metrics
        self.settings = settings
    }

    /// The Hummingbird application, to run in a `ServiceGroup` beside the gateway; `ready` gets
    /// the port once it listens (for port 0).
    public func application(ready: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Hummingbird.Router()
        router.get("health") { _, _ in "ok" }
        router.get("ready") { _, _ in await self.readiness() }
        router.get("metrics") { _, _ in await self.prometheusText() }
        router.get("v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.post("v1/messages") { request, _ in await self.submit(request) }
        router.post("v1/messages/batch") { request, _ in await self.submitBatch(request) }
        router.get("v1/messages/:id") { request, context in await self.show(request, id: try context.parameters.require("id")) }
        router.delete("v1/messages/:id") { request, context in await self.cancel(request, id: try context.parameters.require("id")) }
        events?.addRoutes(to: router)
        var configuration = ApplicationConfiguration(address: .hostname(settings.listen.host, port: settings.listen.port), serverName: "carrier")
        configuration.backlog = 1024
        let cap = ConnectionCap(limit: settings.maxConnections)
        let idle = TimeAmount.nanoseconds(Int64(settings.idleTimeout * 1_000_000_000))
        return Application(router: router, server: .http1(configuration: .init(additionalChannelHandlers: [cap.handler()], idleTimeout: idle)),
                           configuration: configuration, onServerRunning: { channel in ready(channel.localAddress?.port ?? 0) },
                           logger: gateway.logger)
    }

    // MARK: Submission

    /// A submission's client and body, or the answer that refuses it (stopping, no key, too large).
    private func admit(_ request: Request) async -> Result<(client: GatewayClient, body: ByteBuffer), SubmissionRefusal> {
        guard gateway.isAccepting else { return .failure(.init(Self.refusal(SubmissionError(.shuttingDown, "the gateway is shutting down; try again shortly")))) }
        guard let client = authenticate(request) else { return .failure(.init(Self.unauthorized())) }
        do { return .success((client, try await request.body.collect(upTo: settings.maxBodyBytes))) } catch {
            return .failure(.init(Self.refusal(SubmissionError(.tooLarge, "the body is over \(settings.maxBodyBytes) bytes"))))
        }
    }

    private func submit(_ request: Request) async -> Response {
        let client: GatewayClient, body: ByteBuffer
        switch await admit(request) {
        case .failure(let refusal): return refusal.response
        case .success(let admitted): (client, body) = admitted
        }
        let message: Message
        do throws(SubmissionError) { message = try Self.message(Data(body.readableBytesView), contentType: request.headers[.contentType]) } catch {
            return Self.refusal(error)
        }
        do {
            let record = try await gateway.submit(message, client: client, intake: "http")
            var response = Self.json(.accepted, ["id": .string(record.id), "status": .string(record.status.rawValue),
                                                 "message_id": record.message.messageID.map(Value.string) ?? .null])
            response.headers[.location] = "/v1/messages/\(record.id)"
            return response
        } catch {
            return Self.refusal(error)
        }
    }

    /// NDJSON in (one message a line), NDJSON out (one answer a line, in order).
    private func submitBatch(_ request: Request) async -> Response {
        let client: GatewayClient, body: ByteBuffer
        switch await admit(request) {
        case .failure(let refusal): return refusal.response
        case .success(let admitted): (client, body) = admitted
        }
        // Each non-blank line, numbered as in the body, read on its own.
        var lines: [(number: Int, message: Result<Message, SubmissionError>)] = []
        for (index, line) in Data(body.readableBytesView).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
            do { lines.append((index + 1, .success(try Message.parse(data: Data(line), source: "line \(index + 1)", readsPaths: false)))) } catch {
                lines.append((index + 1, .failure(SubmissionError(.invalid, error.description))))
            }
        }
        let readable = lines.compactMap { try? $0.message.get() }
        var results: [Result<QueuedMessage, SubmissionError>]
        do { results = try await gateway.submit(batch: readable, client: client, intake: "http") } catch {
            return Self.refusal(error)
        }
        results.reverse()
        let out: [Value] = lines.map { line in
            switch line.message {
            case .failure(let error): return Self.lineAnswer(line.number, error)
            case .success:
                switch results.popLast()! {
                case .failure(let error): return Self.lineAnswer(line.number, error)
                case .success(let record):
                    return .object(["line": .int(line.number), "id": .string(record.id), "status": .string(record.status.rawValue),
                                    "message_id": record.message.messageID.map(Value.string) ?? .null])
                }
            }
        }
        let text = out.map { JSONWriter.string($0) + "\n" }.joined()
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private static func lineAnswer(_ line: Int, _ error: SubmissionError) -> Value {
        .object(["line": .int(line), "status": .string("refused"), "code": .int(error.httpStatus), "error": .string(error.message)])
    }

    /// A Carrier message (JSON or YAML, as `carrier send` reads) or raw MIME (`message/rfc822`).
    static func message(_ data: Data, contentType: String?) throws(SubmissionError) -> Message {
        let type = contentType?.split(separator: ";").first?.trimmingWhitespace().lowercased() ?? "application/json"
        if type == "message/rfc822" {
            do { return try MIMEReader.message(from: Array(data)) } catch {
                throw SubmissionError(.invalid, error.description)
            }
        }
        do { return try Message.parse(data: data, source: "the request body", readsPaths: false) } catch {
            throw SubmissionError(.invalid, error.description)
        }
    }

    // MARK: Status

    private func show(_ request: Request, id: String) async -> Response {
        guard let client = authenticate(request) else { return Self.unauthorized() }
        do {
            guard let record = try await gateway.status(id, client: client) else { return Self.notFound(id) }
            return Self.json(.ok, record.value(includingMessage: false).objectValue!)
        } catch {
            return Self.json(.serviceUnavailable, ["error": .string("the queue cannot be read: \(error)")])
        }
    }

    private func cancel(_ request: Request, id: String) async -> Response {
        guard let client = authenticate(request) else { return Self.unauthorized() }
        do {
            guard let record = try await gateway.cancel(id, client: client) else { return Self.notFound(id) }
            guard record.status == .cancelled else {
                return Self.json(.conflict, ["error": .string("message \(id) is \(record.status.rawValue); only a queued, deferred or unknown message can be cancelled"),
                                             "id": .string(id), "status": .string(record.status.rawValue)])
            }
            return Self.json(.ok, record.value(includingMessage: false).objectValue!)
        } catch {
            return Self.json(.serviceUnavailable, ["error": .string("the queue cannot be written: \(error)")])
        }
    }

    // MARK: Operations

    private func readiness() async -> Response {
        guard gateway.isAccepting else { return Self.json(.serviceUnavailable, ["ready": false, "error": "shutting down"]) }
        do { try await gateway.queue.checkWritable() } catch {
            return Self.json(.serviceUnavailable, ["ready": false, "error": .string("the queue cannot be written: \(error)")])
        }
        return Self.json(.ok, ["ready": true])
    }

    private func prometheusText() async -> Response {
        await gateway.recordQueueGauges()
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
    }

    // MARK: Answers

    /// `Authorization: Bearer KEY` → the client holding that key.
    private func authenticate(_ request: Request) -> GatewayClient? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return gateway.client(apiKey: String(header.dropFirst(7)).trimmingWhitespace())
    }

    private static func unauthorized() -> Response {
        var response = refusal(SubmissionError(.unauthorized, "a valid API key is needed: Authorization: Bearer KEY"))
        response.headers[.wwwAuthenticate] = "Bearer realm=\"carrier\""
        return response
    }

    private static func notFound(_ id: String) -> Response {
        json(.notFound, ["error": .string("no message '\(id.escapingControlCharacters())' of this client")])
    }

    static func refusal(_ error: SubmissionError) -> Response {
        var response = json(HTTPResponse.Status(code: error.httpStatus), ["error": .string(error.message)])
        if let wait = error.retryAfter { response.headers[.retryAfter] = String(Int(wait.rounded(.up))) }
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ object: OrderedObject) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: JSONWriter.string(.object(object)) + "\n")))
    }
}

/// The answer that refuses a submission before its message is read.
struct SubmissionRefusal: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}
