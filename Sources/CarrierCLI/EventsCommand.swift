import ArgumentParser
import Carrier
import CarrierPostgres
import CarrierServer
import Foundation

/// `carrier events`: delivery events from the ESPs' webhooks, verified and normalised.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Receive the ESPs' delivery-event webhooks, verified and normalised (docs/events.md).",
        subcommands: [Serve.self, Parse.self]
    )

    /// `carrier events serve`: the webhook server.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve POST /events/ACCOUNT; verified events are appended to the output as NDJSON.",
            discussion: """
                Each event is on disk before the ESP gets its 2xx, and an event id already written is not \
                written again. A bad or missing signature is 401, an unknown account 404, a body over \
                --max-body 413; none writes anything. GET /health answers ok.
                """
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: ArgumentHelp("Where to listen (port 0 picks a free one, printed on stderr).", valueName: "host:port"))
        var listen: String
        @Option(help: ArgumentHelp("The NDJSON file events are appended to, or - for standard output (with store:, the database's table instead).", valueName: "file"))
        var output: String = "events.ndjson"
        @Option(name: .customLong("max-body"), help: ArgumentHelp("The largest body taken, in bytes.", valueName: "bytes"))
        var maxBody: Int = 1 << 20
        @Option(help: ArgumentHelp("Seconds a connection may send nothing (between requests or inside one) before it is closed.",
                                   valueName: "seconds"))
        var idleTimeout: Double = 30
        @Option(help: ArgumentHelp("Connections open at once at most; one more is closed at once.", valueName: "count"))
        var maxConnections: Int = 512

        func run() async throws {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw Failure(message: "carrier: --listen '\(listen)' is not HOST:PORT (such as 127.0.0.1:8025)", code: 2).exitCode
            }
            let host = String(listen[..<colon])
            guard idleTimeout > 0, maxConnections > 0 else {
                throw Failure(message: "carrier: --idle-timeout and --max-connections must be above 0", code: 2).exitCode
            }
            let configuration = try options.load()
            let receiver = WebhookReceiver(configuration: configuration, registry: ConfigOptions.registry(for: configuration, reading: .events))
            // With store:, events go to the database's carrier_events (shared with every node); else to --output.
            try await CommandStore.run(configuration) { store in
                let log: any EventStore
                if let store { log = PostgresEventLog(store: store) } else {
                    do { log = try EventLog(path: output) } catch { throw Failure(message: "carrier: \(error)", code: 2).exitCode }
                }
                let list = CommandStore.suppressions(for: configuration, store: store)
                let server = EventServer(receiver: receiver, log: log, maxBody: maxBody, idleTimeout: .seconds(idleTimeout),
                                         maxConnections: maxConnections, suppressions: CommandStore.recorder(for: configuration, list: list,
                                                                                      queue: store.map(PostgresQueue.init(store:))),
                                         unsubscribe: try CommandStore.unsubscribe(for: configuration, list: list))
                try await serve(server, host: host, port: port)
            }
        }

        private func serve(_ server: EventServer, host: String, port: Int) async throws {
            try await server.run(host: host, port: port) { bound in
                FileHandle.standardError.write(Data("carrier: listening on http://\(host):\(bound)/events/ACCOUNT\n".utf8))
            }
        }
    }

    /// `carrier events parse`: the same verification and mapping, offline.
    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse",
            abstract: "Verify and read one saved webhook, printing its events as NDJSON."
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: "The account the webhook was sent to.")
        var account: String
        @Option(name: .customLong("header"), help: ArgumentHelp("A header of the webhook, such as 'X-Signature: abc' (repeatable).", valueName: "header"))
        var headers: [String] = []
        @Option(help: ArgumentHelp("The URL the ESP called (for ESPs that sign it).", valueName: "url"))
        var url: String?
        @Argument(help: ArgumentHelp("The webhook's body, or - for standard input.", valueName: "payload"))
        var payload: String

        func run() async throws {
            var parsed: [(name: String, value: String)] = []
            for header in headers {
                guard let colon = header.firstIndex(of: ":") else {
                    throw Failure(message: "carrier: --header '\(header)' is not 'Name: value'", code: 2).exitCode
                }
                parsed.append((String(header[..<colon]).trimmingWhitespace(),
                               String(header[header.index(after: colon)...]).trimmingWhitespace()))
            }
            let body = payload == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: payload)
            guard let body else { throw Failure(message: "carrier: cannot read the payload \(payload)", code: 2).exitCode }
            let receiver = WebhookReceiver(configuration: try options.load(), registry: try options.registry())
            do {
                let delivery = try await receiver.receive(account: account, request: WebhookRequest(headers: parsed, body: body, url: url))
                if let handshake = delivery.handshake {
                    let answer = delivery.answer.map { "; the server answers " + JSONWriter.string($0) } ?? ""
                    FileHandle.standardError.write(Data("carrier: handshake: \(handshake)\(answer)\n".utf8))
                }
                for event in delivery.events { print(JSONWriter.string(event.value)) }
            } catch {
                throw Failure(message: "carrier: \(error.message) (HTTP \(error.status) when served)", code: error.kind == .unverified ? 1 : 2).exitCode
            }
        }
    }
}
