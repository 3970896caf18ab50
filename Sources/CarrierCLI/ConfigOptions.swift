import ArgumentParser
import Carrier
import Foundation

/// `--config FILE`, shared by the commands that read carrier.yaml.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file (default: ./carrier.yaml, else the embedded default).", valueName: "file"))
    var config: String?

    /// The configuration to use: --config, ./carrier.yaml, or the embedded default.
    func load() throws -> Configuration {
        let path = config ?? (FileManager.default.fileExists(atPath: "carrier.yaml") ? "carrier.yaml" : nil)
        guard let path else { return .embeddedDefault }
        do {
            return try Configuration.load(path: path)
        } catch {
            throw CLIError(.configuration(ConfigurationError(error.description)))
        }
    }

    /// The providers of the configuration's folders and the built-in ones; a configured folder
    /// that is missing is a warning on standard error.
    func registry() throws -> ProviderRegistry {
        let registry = ProviderRegistry.standard(extraDirectories: try load().providerDirectories)
        Output.warn(registry.warnings)
        return registry
    }
}

/// Reads a message from a JSON or YAML file, or `-` for standard input.
enum MessageInput {
    static func read(_ argument: String) throws -> Message {
        let text: String
        let directory: String
        if argument == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            directory = FileManager.default.currentDirectoryPath
        } else {
            guard let data = FileManager.default.contents(atPath: argument) else {
                throw CLIError(message: "carrier: cannot read the message file \(argument); check the path", code: 2)
            }
            text = String(decoding: data, as: UTF8.self)
            directory = (argument as NSString).deletingLastPathComponent.isEmpty ? "." : (argument as NSString).deletingLastPathComponent
        }
        do {
            return try Message.parse(text, source: argument == "-" ? "<stdin>" : argument, baseDirectory: directory)
        } catch {
            throw CLIError(.message(error))
        }
    }
}

enum Output {
    static func print(_ value: Value) {
        Swift.print(JSONWriter.pretty(value))
    }

    /// `carrier: warning: …` lines on standard error.
    static func warn(_ warnings: [String]) {
        for warning in warnings { FileHandle.standardError.write(Data("carrier: warning: \(warning)\n".utf8)) }
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
