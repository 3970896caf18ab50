import ArgumentParser
import Carrier
import Foundation

/// `carrier`: send e-mail through any provider described by a YAML file.
@main
struct CarrierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carrier",
        abstract: "Send e-mail through any provider's HTTP API or SMTP relay, described by YAML files.",
        discussion: """
            Without --config and without ./carrier.yaml, messages go to the embedded default: \
            .eml files in ./outbox/.

            Exit codes: 0 sent, 1 not sent, 2 bad usage, configuration, provider file or message.
            """,
        version: "0.1.0",
        subcommands: [SendCommand.self, BulkCommand.self, RenderCommand.self, ProvidersCommand.self, OutboxCommand.self, EventsCommand.self,
                      ServeCommand.self, ClientsCommand.self, QueueCommand.self, DatabaseCommand.self, DKIMCommand.self,
                      SuppressionsCommand.self]
    )

    /// Runs the command. Commands report their own failures and throw argument-parser's
    /// `ExitCode`; here argument-parser's usage errors become exit 2 (its own is 64), any other
    /// error exit 1, and the message arguments beyond the first few are set aside for `send` first.
    /// A command with no asynchronous work (`render`, `providers`, `dkim`, `clients add`) is a
    /// `ParsableCommand` and runs here on the main thread: such a run never starts the concurrency
    /// runtime's worker threads, which would cost a third of a millisecond of its start.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        SendCommand.overflow = SendCommand.takeOverflow(from: &arguments)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch {
            if error is ExitCode || exitCode(for: error) == .success { exit(withError: error) }  // ours, --help, --version
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(exitCode(for: error) == .failure ? 1 : 2)
        }
    }
}

/// Why a command failed, said once on standard error, and its exit code: 1 when a message was
/// not sent, 2 when the input must be fixed (usage, configuration, provider file or message).
struct Failure: Error {
    var message: String
    var code: Int32

    init(_ error: CarrierError) {
        switch error {
        case .notSent(let receipt): message = "carrier: " + receipt.failureSummary; code = 1
        case .unsupported: message = "carrier: " + error.description; code = 1
        default: message = "carrier: " + error.description.replacingOccurrences(of: "\n", with: "\ncarrier: "); code = 2
        }
    }

    init(message: String, code: Int32) {
        self.message = message
        self.code = code
    }

    /// Says why on standard error; the `ExitCode` a command throws to end with this code.
    var exitCode: ExitCode {
        if !message.isEmpty { Output.error(message) }
        return ExitCode(code)
    }
}
