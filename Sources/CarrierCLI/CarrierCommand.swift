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
        subcommands: [SendCommand.self, BulkCommand.self, RenderCommand.self, ProvidersCommand.self, OutboxCommand.self, EventsCommand.self]
    )

    /// Runs the command; errors print one clear line on stderr and exit 1 or 2.
    static func main() async {
        do {
            var arguments = Array(CommandLine.arguments.dropFirst())
            SendCommand.overflow = SendCommand.takeOverflow(from: &arguments)
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            if !error.message.isEmpty { Output.error(error.message) }
            Foundation.exit(error.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)  // --help, --version
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .failure ? 1 : 2)
        }
    }
}

/// An error the CLI reports itself, with its exit code.
struct CLIError: Error {
    var message: String
    var code: Int32

    /// Exit 1 when the message was not sent, 2 when the input must be fixed.
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
}
