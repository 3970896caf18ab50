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
        let parsed = try messages.map(MessageInput.read)
        let mailer = Mailer(configuration: configuration, logger: .cli(verbose: verbose))
        var failure: CLIError?
        for result in await mailer.send(batch: parsed, route: route, account: account) {
            do { try report(result) } catch let error as CLIError { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    private func report(_ result: Result<Receipt, CarrierError>) throws {
        do {
            let receipt = try result.get()
            if verbose { printTranscripts(receipt) }
            if json {
                Output.print(verbose ? receipt.value : Self.withoutTranscripts(receipt.value))
            } else {
                let provider = receipt.provider ?? ""
                let channel = receipt.channel?.rawValue ?? ""
                let via = "\(receipt.account ?? "") (\(provider == channel ? provider : "\(provider) \(channel)"))"
                print("sent via \(via): " + receipt.messageIDs.joined(separator: ", "))
                for attempt in receipt.attempts where attempt.channel == .file {
                    if let path = attempt.path { print("wrote \(path)") }
                }
            }
        } catch {
            if case .notSent(let receipt) = error {
                if verbose { printTranscripts(receipt) }
                if json { Output.print(verbose ? receipt.value : Self.withoutTranscripts(receipt.value)) }
            }
            throw CLIError(error)
        }
    }

    /// The SMTP conversation of each attempt, on stderr (credentials are already `***`).
    private func printTranscripts(_ receipt: Receipt) {
        for attempt in receipt.attempts {
            guard let lines = attempt.smtp?.transcript else { continue }
            let text = "-- \(attempt.account) (\(attempt.provider) smtp)\n" + lines.joined(separator: "\n") + "\n"
            FileHandle.standardError.write(Data(text.utf8))
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
