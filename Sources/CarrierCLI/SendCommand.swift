import ArgumentParser
import Carrier
import Foundation
import Logging

/// `carrier send`: send one message.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a message (a JSON or YAML file, or - for standard input).",
        discussion: "Prints the message id(s); with --json, the whole receipt."
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "Send through this route (default: $CARRIER_ROUTE, else the route named default).")
    var route: String?

    @Option(help: "Send through this account only.")
    var account: String?

    @Flag(help: "Print the receipt as JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log every attempt on stderr.")
    var verbose = false

    @Argument(help: ArgumentHelp("Message files (JSON or YAML), or - for standard input; several are sent one after another.",
                                 valueName: "message"))
    var messages: [String]

    func validate() throws {
        if messages.isEmpty { throw ValidationError("give a message file, or - for standard input") }
    }

    func run() async throws {
        let configuration = try options.load()
        let parsed = try messages.map { try MessageInput.read($0, attachmentFolders: configuration.attachmentFolders) }
        let mailer = Mailer(configuration: configuration, logger: .cli(verbose: verbose))
        let results: [Result<Receipt, CarrierError>]
        do { results = try await mailer.send(batch: parsed, route: route, account: account) } catch { throw CLIError(error) }
        // Every message that was not sent is reported, each with its own lines.
        var failures: [CLIError] = []
        for (i, result) in results.enumerated() {
            do { try report(result) } catch {
                failures.append(error)
                if results.count > 1 { Output.error("carrier: \(messages[i]):") }
                Output.error(error.message)
            }
        }
        guard !failures.isEmpty else { return }
        let code = failures.map(\.code).max() ?? 1
        throw CLIError(message: results.count > 1 ? "carrier: \(failures.count) of \(results.count) messages were not sent" : "", code: code)
    }

    private func report(_ result: Result<Receipt, CarrierError>) throws(CLIError) {
        let receipt: Receipt
        switch result {
        case .success(let sent): receipt = sent
        case .failure(let error):
            if case .notSent(let receipt) = error {
                if verbose { printTranscripts(receipt) }
                if json { Output.print(verbose ? receipt.value : Self.withoutTranscripts(receipt.value)) }
            }
            throw CLIError(error)
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
            let kept = receipt.spoolPath.map { "; kept in \($0) for them (carrier outbox retry)" } ?? "; they were not sent"
            throw CLIError(message: "carrier: partly sent: the server deferred \(receipt.deferred.joined(separator: ", "))\(kept)", code: 1)
        }
        if let problem = receipt.spoolError { throw CLIError(message: "carrier: sent, but \(problem)", code: 1) }
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
