import ArgumentParser
import Carrier
import CarrierGateway
import CarrierPostgres
import Foundation

/// `carrier queue retry`: an operator's hand on the gateway's queue (docs/serve.md).
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Act on messages in the gateway's queue (carrier serve).",
        subcommands: [Retry.self]
    )

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Make deferred messages due now; with --resend-unknown also those a stopped gateway may have sent.",
            discussion: """
                With store: (PostgreSQL) the running gateways pick them up within seconds. With the file \
                queue, stop the gateway first: it keeps the queue's index in memory.
                """
        )
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Also send messages marked unknown (a gateway stopped while sending them; their provider may have them).")
        var resendUnknown = false
        @Argument(help: "Queue ids (as the submission answered).")
        var ids: [String]

        func run() async throws {
            let configuration = try options.load()
            let settings: GatewayConfiguration
            let store: StoreSettings?
            do {
                settings = try GatewayConfiguration(configuration)
                store = try StoreSettings.read(configuration)
            } catch {
                throw Failure(.configuration(ConfigurationError(error.description))).exitCode
            }
            let resendUnknown = self.resendUnknown, ids = self.ids
            let failures: Int
            do {
                if let store {
                    failures = try await DatabaseCommand.open(store).withRunning { store in
                        try await Self.retry(ids, in: PostgresQueue(store: store), resendUnknown: resendUnknown)
                    }
                } else {
                    failures = try await Self.retry(ids, in: try FileQueue(directory: settings.queue.path), resendUnknown: resendUnknown)
                }
            } catch {
                throw Failure(message: "carrier: \(error)", code: 1).exitCode
            }
            if failures > 0 { throw ExitCode(1) }
        }

        /// Each id's outcome on a line; how many were not made due.
        static func retry(_ ids: [String], in queue: any MessageQueue, resendUnknown: Bool) async throws(StorageError) -> Int {
            var failures = 0
            let now = Date().timeIntervalSince1970
            for id in ids {
                guard var record = try await queue.record(id) else {
                    Output.line("\(id): no such message")
                    failures += 1
                    continue
                }
                switch record.status {
                case .deferred, .queued:
                    record.nextAttempt = now
                case .unknown where resendUnknown:
                    record.status = .queued
                    record.nextAttempt = now
                    record.lastError = "sent again by an operator (it may have been sent before)"
                case .unknown:
                    Output.line("\(id): unknown — it may have been sent; add --resend-unknown to send it again")
                    failures += 1
                    continue
                default:
                    Output.line("\(id): \(record.status.rawValue), nothing to retry")
                    failures += 1
                    continue
                }
                try await queue.update(record)
                Output.line("\(id): due now")
            }
            return failures
        }
    }
}
