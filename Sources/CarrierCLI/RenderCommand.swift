import ArgumentParser
import Carrier

/// `carrier render`: show the exact request without sending.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Show the exact wire request for a message on an account, without sending it.",
        discussion: "The API request prints as {method, url, headers, body}; secrets show as *** unless --show-secrets."
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "The account whose provider renders the message.")
    var account: String?

    @Option(help: "Render this channel of the account's provider (api or smtp).")
    var channel: ChannelKind?

    @Flag(help: "Show credentials instead of ***.")
    var showSecrets = false

    @Argument(help: ArgumentHelp("The message file, or - for standard input.", valueName: "message"))
    var message: String

    func run() throws {
        let configuration = try options.load()
        let message: Message
        do throws(Failure) { message = try MessageInput.read(self.message, attachmentFolders: configuration.attachmentFolders) } catch { throw error.exitCode }
        let mailer = ConfigOptions.mailer(for: configuration)
        guard let name = account ?? configuration.accountNames.first else {
            throw Failure(message: "carrier: render needs --account NAME", code: 2).exitCode
        }
        do {
            Output.print(try mailer.render(message, account: name, channel: channel, showSecrets: showSecrets))
        } catch {
            throw Failure(error).exitCode
        }
    }
}

extension ChannelKind: ExpressibleByArgument {}
