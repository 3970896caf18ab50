import ArgumentParser
import Carrier
import Foundation

/// `carrier outbox`: the spool of messages no account took yet.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List, show, retry or purge the messages kept in the spool.",
        subcommands: [List.self, Show.self, Retry.self, Purge.self]
    )

    /// `carrier outbox --config FILE list` works as well as `carrier outbox list --config FILE`.
    @Option(name: .long, help: ArgumentHelp("The configuration file (default: ./carrier.yaml).", valueName: "file"))
    var config: String?

    /// The configuration named on this command or on the subcommand.
    static func configuration(_ parent: OutboxCommand, _ options: ConfigOptions) throws -> Configuration {
        var merged = options
        if merged.config == nil { merged.config = parent.config }
        return try merged.load()
    }

    /// Runs `body` with the spool the configuration names: the store's, else `spool:`'s folder.
    static func withSpool<T: Sendable>(_ parent: OutboxCommand, _ options: ConfigOptions,
                                       _ body: (any SpoolStore) async throws -> T) async throws -> T {
        let configuration = try configuration(parent, options)
        return try await CommandStore.run(configuration) { store in try await body(try CommandStore.spool(for: configuration, store: store)) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List kept messages, oldest first.")
        @OptionGroup var options: ConfigOptions
        @ParentCommand var outbox: OutboxCommand
        @Flag(help: "One JSON object per message.") var json = false

        func run() async throws {
            try await OutboxCommand.withSpool(outbox, options) { spool in try await list(spool) }
        }

        private func list(_ spool: any SpoolStore) async throws {
            let (entries, unreadable): ([Spool.Entry], [Spool.Unreadable])
            do { (entries, unreadable) = try await spool.entries() } catch { throw Failure(message: "carrier: \(error)", code: 2).exitCode }
            if json {
                Output.print(.array(entries.map(\.summary)))
            } else {
                for entry in entries {
                    let s = entry.summary
                    Output.line("\(entry.id)  \(s["state"].text)  \(s["created"].text)  \(entry.message.subject ?? "")  (\(entry.attempts.count) attempt(s))")
                }
                if entries.isEmpty && unreadable.isEmpty { print("the spool is empty") }
            }
            for entry in unreadable {
                Output.error("carrier: \(entry.id): \(entry.reason); inspect it, or remove it with: carrier outbox purge \(entry.id)")
            }
            if !unreadable.isEmpty { throw Failure(message: "carrier: \(unreadable.count) spool file(s) cannot be read", code: 1).exitCode }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one kept message and its attempts.")
        @OptionGroup var options: ConfigOptions
        @ParentCommand var outbox: OutboxCommand
        @Argument(help: "The message id (see list).") var id: String

        func run() async throws {
            try await OutboxCommand.withSpool(outbox, options) { spool in
                do {
                    let entry = try await spool.load(id)
                    // Shown as stored; JSON output escapes control characters.
                    Output.print(.object(["summary": entry.summary, "attempts": .array(entry.attempts), "message": entry.message.value]))
                } catch {
                    throw Failure(message: "carrier: \(error)", code: 2).exitCode
                }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Send kept messages again; each leaves the spool once a provider accepts it.")
        @OptionGroup var options: ConfigOptions
        @ParentCommand var outbox: OutboxCommand
        @Argument(help: "Message ids (default: all).") var ids: [String] = []
        @Flag(help: "Also send messages whose sender stopped while sending them (they may have been sent).") var resendUnknown = false

        func run() async throws {
            let configuration = try OutboxCommand.configuration(outbox, options)
            let outcomes = try await CommandStore.run(configuration) { store in
                try await retry(CommandStore.mailer(for: configuration, store: store, logger: .quiet))
            }
            for outcome in outcomes {
                let via = outcome.receipt.flatMap { $0.status == .sent || $0.status == .partial ? " via \($0.account ?? "")" : nil } ?? ""
                Output.line("\(outcome.id): \(outcome.note)\(via)")
            }
            let open = outcomes.filter(\.needsAttention).count
            print("\(outcomes.count - open) sent, skipped or gone; \(open) need attention")
            if open > 0 { throw Failure(message: "carrier: \(open) message(s) were not sent (see above)", code: 1).exitCode }
        }

        private func retry(_ mailer: Mailer) async throws -> [Outbox.RetryOutcome] {
            do { return try await mailer.retrySpooled(ids, resendUnknown: resendUnknown) } catch { throw Failure(error).exitCode }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "purge", abstract: "Remove a kept message without sending it.")
        @OptionGroup var options: ConfigOptions
        @ParentCommand var outbox: OutboxCommand
        @Argument(help: "The message id.") var id: String

        func run() async throws {
            try await OutboxCommand.withSpool(outbox, options) { spool in
                do {
                    guard let hold = try await spool.hold(id) else { throw Failure(message: "carrier: \(id) is being sent by another process", code: 1).exitCode }
                    // An entry that cannot be read is purged too (that is what purge is for), and said so.
                    var note = ""
                    do throws(SpoolError) { _ = try await spool.load(id) } catch {
                        if case .missing = error { await hold.release(); throw error }
                        note = " (it could not be read: \(error))"
                    }
                    do { try await spool.remove(id) } catch { await hold.release(); throw error }
                    await hold.release()
                    Output.line("purged \(id)\(note)")
                } catch let error as SpoolError {
                    throw Failure(message: "carrier: \(error)", code: 2).exitCode
                }
            }
        }
    }
}
