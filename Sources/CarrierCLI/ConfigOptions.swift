import ArgumentParser
import Carrier
import CarrierCurl
import Foundation
import Logging

/// `--config FILE`, shared by the commands that read carrier.yaml.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file (default: ./carrier.yaml, else the embedded default).", valueName: "file"))
    var config: String?

    /// The configuration to use: --config, ./carrier.yaml, or the embedded default; `$CARRIER_ROUTE`
    /// names the route a send takes when it names none.
    func load() throws -> Configuration {
        let path = config ?? (FileManager.default.fileExists(atPath: "carrier.yaml") ? "carrier.yaml" : nil)
        let environment = ProcessEnvironment.variables
        var configuration = Configuration.embeddedDefault
        if let path {
            do { configuration = try Configuration.load(path: path, environment: environment) } catch {
                throw Failure(.configuration(ConfigurationError(error.description))).exitCode
            }
            Output.warn(configuration.warnings)
        }
        configuration.defaultRoute = environment["CARRIER_ROUTE"].flatMap { $0.isEmpty ? nil : $0 }
        return configuration
    }

    /// The providers of the configuration's folders and the built-in ones, read whole
    /// (`carrier providers`); a configured folder that is missing is a warning on standard error.
    func registry() throws -> ProviderRegistry {
        Self.registry(for: try load(), reading: .all)
    }

    /// The providers of a configuration's folders, `$CARRIER_PROVIDERS` and the built-in ones,
    /// reading of each file what the command needs besides sending (`[]` for a command that
    /// only sends, `.events` for one that receives webhooks).
    static func registry(for configuration: Configuration, reading parts: ProviderParts) -> ProviderRegistry {
        let registry = ProviderRegistry.standard(extraDirectories: configuration.providerDirectories,
                                                 searchPath: ProcessEnvironment.value("CARRIER_PROVIDERS"), reading: parts)
        Output.warn(registry.warnings)
        return registry
    }

    /// A mailer for a configuration, with the providers the environment adds.
    static func mailer(for configuration: Configuration, logger: Logger = Logger(label: "carrier")) -> Mailer {
        Mailer(configuration: configuration, registry: registry(for: configuration, reading: []), logger: logger)
    }
}

/// Reads a message from a JSON or YAML file, or `-` for standard input.
enum MessageInput {
    /// Attachment paths are read from the message file's folder (the current one for standard
    /// input) and from `attachmentFolders`, nowhere else. Errors exit 2.
    static func read(_ argument: String, attachmentFolders: [String] = []) throws(Failure) -> Message {
        do { return try load(argument, attachmentFolders: attachmentFolders) } catch { throw Failure(error) }
    }

    /// One message file, or `-` for standard input.
    static func load(_ argument: String, attachmentFolders: [String], maximumBytes: Int = Message.defaultMaximumBytes) throws(CarrierError) -> Message {
        let data: Data
        let directory: String
        let tooLarge = CarrierError.message(MessageError(source: argument == "-" ? "<stdin>" : argument, problems: [.init(
            field: "(file)", message: "the message is larger than \(maximumBytes) bytes; not read",
            hint: "send a smaller message, or raise --max-message-bytes")]))
        if argument == "-" {
            let read = FileHandle.standardInput.readData(ofLength: maximumBytes + 1)
            guard read.count <= maximumBytes else { throw tooLarge }
            data = read
            directory = FileManager.default.currentDirectoryPath
        } else {
            // stat(2), not FileManager's attributes: those cast through `Any` (a scan of the binary's conformances at start).
            var info = stat()
            if stat(argument, &info) == 0, Int(info.st_size) > maximumBytes { throw tooLarge }
            guard let contents = FileManager.default.contents(atPath: argument) else {
                throw .message(MessageError(source: argument, problems: [.init(field: "(file)", message: "cannot read the message file",
                                                                               hint: "check the path")]))
            }
            data = contents
            directory = (argument as NSString).deletingLastPathComponent.isEmpty ? "." : (argument as NSString).deletingLastPathComponent
        }
        do {
            return try Message.parse(data: data, source: argument == "-" ? "<stdin>" : argument, baseDirectory: directory,
                                     attachmentFolders: attachmentFolders)
        } catch {
            throw .message(error)
        }
    }
}

enum Output {
    static func print(_ value: Value) {
        Swift.print(JSONWriter.pretty(value))
    }

    /// A line for people: control characters from messages and servers are escaped.
    static func line(_ text: String) {
        Swift.print(text.escapingControlCharacters(keepingNewlines: true))
    }

    /// Text on standard error, control characters escaped.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.escapingControlCharacters(keepingNewlines: true) + "\n").utf8))
    }

    /// `carrier: warning: …` lines on standard error.
    static func warn(_ warnings: [String]) {
        for warning in warnings { error("carrier: warning: \(warning)") }
    }
}

import Logging

extension Logger {
    /// A logger for commands: errors only, unless --verbose asks for every attempt.
    static func cli(verbose: Bool) -> Logger {
        var logger = Logger(label: "carrier")
        logger.logLevel = verbose ? .info : .error
        return logger
    }

    static var quiet: Logger { cli(verbose: false) }
}
