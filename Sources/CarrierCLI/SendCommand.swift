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

    @Option(help: "Send through this account only.")
    var account: String?

    @Flag(help: "Print the receipt as JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log every attempt on stderr.")
    var verbose = false

    @Argument(help: ArgumentHelp("The message file, or - for standard input.", valueName: "message"))
    var message: String

    func run() async throws {
        let configuration = try options.load()
        let message = try MessageInput.read(message)
        var logger = Logger(label: "carrier")
        logger.logLevel = verbose ? .info : .error
        let mailer = Mailer(configuration: configuration, logger: logger)
        do {
            let receipt = try await mailer.send(message, account: account)
            if json {
                Output.print(receipt.value)
            } else {
                let via = "\(receipt.account ?? "") (\(receipt.provider ?? "") \(receipt.channel?.rawValue ?? ""))"
                print("sent via \(via): " + receipt.messageIDs.joined(separator: ", "))
                for attempt in receipt.attempts where attempt.channel == .file {
                    if let path = attempt.details["path"]?.stringValue { print("wrote \(path)") }
                }
            }
        } catch {
            if json, case .notSent(let receipt) = error { Output.print(receipt.value) }
            throw CLIError(error)
        }
    }
}
