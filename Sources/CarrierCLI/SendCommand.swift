import ArgumentParser
import Carrier
import Foundation
import Logging

/// `carrier send`: send messages — one file, many files, or NDJSON lines — streamed: each is
/// read when a slot frees up, sends start at once, and receipts come out in the order given.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send messages (JSON or YAML files, NDJSON lines with --ndjson, or - for standard input).",
        discussion: "Prints the message id(s); with --json, the whole receipt. Several messages are sent at once "
            + "(--in-flight), each account within its concurrency, and reported in the order given."
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "Send through this route (default: $CARRIER_ROUTE, else the route named default).")
    var route: String?

    @Option(help: "Send through this account only.")
    var account: String?

    @Flag(help: "Print the receipt as JSON.")
    var json = false

    @Flag(help: "Each input is NDJSON: one JSON message per line.")
    var ndjson = false

    @Option(help: "Messages in flight at once (each account's concurrency bounds its share).")
    var inFlight = 64

    @Option(help: "The largest message file or NDJSON line read, in bytes (default 50 MiB).")
    var maxMessageBytes = Message.defaultMaximumBytes

    @Flag(name: .shortAndLong, help: "Log every attempt on stderr.")
    var verbose = false

    @Argument(help: ArgumentHelp("Message files (JSON or YAML, or NDJSON with --ndjson), or - for standard input.",
                                 valueName: "message"))
    var messages: [String]

    /// Message arguments past the first few, taken out before ArgumentParser sees the command
    /// line: it splits arguments in time that grows with the square of their number (15 s for
    /// 20,000 files), and `carrier send messages/*.json` must start at once.
    nonisolated(unsafe) static var overflow: [String] = []
    static let parsedMessages = 16

    /// Moves the message arguments of `carrier send` beyond the first ``parsedMessages`` out of `arguments`.
    static func takeOverflow(from arguments: inout [String]) -> [String] {
        guard arguments.first == "send", arguments.count > parsedMessages + 8 else { return [] }
        let valued: Set<String> = ["--config", "--route", "--account", "--in-flight"]
        var kept = ["send"], positional = 0, overflow: [String] = []
        var index = 1, literal = false
        while index < arguments.count {
            let argument = arguments[index]
            if !literal && argument == "--" { literal = true; kept.append(argument) }
            else if !literal && valued.contains(argument) && index + 1 < arguments.count {
                kept += [argument, arguments[index + 1]]
                index += 1
            } else if !literal && argument.hasPrefix("-") && argument != "-" {
                kept.append(argument)
            } else if positional < parsedMessages {
                kept.append(argument)
                positional += 1
            } else {
                overflow.append(argument)
            }
            index += 1
        }
        arguments = kept
        return overflow
    }

    /// Every message argument, in the order given.
    var allMessages: [String] { messages + Self.overflow }

    func validate() throws {
        if messages.isEmpty { throw ValidationError("give a message file, or - for standard input") }
        if inFlight < 1 { throw ValidationError("--in-flight must be at least 1") }
        if maxMessageBytes < 1 { throw ValidationError("--max-message-bytes must be at least 1") }
    }

    func run() async throws {
        let configuration = try options.load()
        try await CommandStore.run(configuration) { store in
            try await send(CommandStore.mailer(for: configuration, store: store, logger: .cli(verbose: verbose)), configuration: configuration)
        }
    }

    private func send(_ mailer: Mailer, configuration: Configuration) async throws {
        let source = MessageSource(arguments: allMessages, ndjson: ndjson, attachmentFolders: configuration.attachmentFolders,
                                   maximumBytes: maxMessageBytes)
        if !ndjson && allMessages.count == 1 {
            // One message: input errors exit 2 before anything else, as they always have.
            let message: Message
            do { message = try source.read(messages[0]) } catch { throw Failure(error).exitCode }
            let result: Result<Receipt, CarrierError>
            do { result = .success(try await mailer.send(message, route: route, account: account)) } catch { result = .failure(error) }
            do throws(Failure) { try report(result) } catch { throw error.exitCode }
            return
        }
        let drain = SignalDrain(engine: mailer.runtime.engine)
        source.stopReading = { drain.stopping }
        var failures = 0, total = 0, worst: Int32 = 0
        await mailer.send(streaming: source, route: route, account: account, inFlight: inFlight) { index, result in
            total += 1
            do throws(Failure) { try report(result) } catch {
                failures += 1
                worst = max(worst, error.code)
                Output.error("carrier: \(source.label(index)):")
                Output.error(error.message)
            }
            source.forget(index)
        }
        if failures > 0 {
            throw Failure(message: "carrier: \(failures) of \(total) messages were not sent", code: worst).exitCode
        }
        if drain.stopping {
            throw Failure(message: "carrier: stopped by a signal after \(total) message(s); the rest were not read", code: 1).exitCode
        }
    }

    private func report(_ result: Result<Receipt, CarrierError>) throws(Failure) {
        let receipt: Receipt
        switch result {
        case .success(let sent): receipt = sent
        case .failure(let error):
            if case .notSent(let receipt) = error {
                if verbose { printTranscripts(receipt) }
                if json { Output.print(verbose ? receipt.value : Self.withoutTranscripts(receipt.value)) }
            }
            throw Failure(error)
        }
        if verbose { printTranscripts(receipt) }
        if json {
            Output.print(verbose ? receipt.value : Self.withoutTranscripts(receipt.value))
        } else {
            let provider = receipt.provider ?? ""
            let channel = receipt.channel?.rawValue ?? ""
            let via = "\(receipt.account ?? "") (\(provider == channel ? provider : "\(provider) \(channel)"))"
            Output.line("sent via \(via): " + receipt.messageIDs.joined(separator: ", "))
            for attempt in receipt.attempts where attempt.channel == .file {
                if let path = attempt.path { Output.line("wrote \(path)") }
            }
        }
        if receipt.status == .partial {
            var parts: [String] = []
            let refused = receipt.attempts.last?.refusedRecipients ?? []
            if !refused.isEmpty {
                parts.append("refused for good: " + refused.map { "\($0.email) (\($0.status)\($0.error.map { ": \($0)" } ?? ""))" }.joined(separator: ", "))
            }
            if !receipt.deferred.isEmpty {
                let kept = receipt.spoolPath.map { "; kept in \($0) for them (carrier outbox retry)" } ?? "; not sent"
                parts.append("deferred by the server: " + receipt.deferred.joined(separator: ", ") + kept)
            }
            throw Failure(message: "carrier: partly sent: " + parts.joined(separator: "; "), code: 1)
        }
        if let problem = receipt.spoolError { throw Failure(message: "carrier: sent, but \(problem)", code: 1) }
    }

    /// The SMTP conversation of each attempt, on stderr (credentials are already `***`).
    private func printTranscripts(_ receipt: Receipt) {
        for attempt in receipt.attempts {
            guard let lines = attempt.smtp?.transcript else { continue }
            Output.error("-- \(attempt.account) (\(attempt.provider) smtp)\n" + lines.joined(separator: "\n"))
        }
    }

    /// The receipt without SMTP transcripts, which only --verbose asks for.
    static func withoutTranscripts(_ value: Value) -> Value {
        guard var object = value.objectValue, let attempts = object["attempts"]?.arrayValue else { return value }
        object["attempts"] = .array(attempts.map { attempt in
            guard var a = attempt.objectValue else { return attempt }
            a["transcript"] = nil
            return .object(a)
        })
        return .object(object)
    }
}
