import ArgumentParser
import Carrier
import Foundation

/// `carrier providers`: list, show, lint and test provider files.
struct ProvidersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providers",
        abstract: "List, show, check and test provider definitions.",
        subcommands: [ListProviders.self, ShowProvider.self, MatrixProviders.self, LintProviders.self, TestProviders.self]
    )
}

struct ListProviders: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the providers Carrier can load.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let registry = try options.registry()
        let definitions = registry.definitions.values.sorted { $0.id < $1.id }
        if json {
            Output.print(.array(definitions.map { d in
                .object(["id": .string(d.id), "name": .string(d.name), "channels": .array(d.channels.map { .string($0.rawValue) }),
                         "source": .string(d.origin.description)])
            }))
            return
        }
        for d in definitions {
            Output.line("\(d.id.padding(toLength: 12, withPad: " ", startingAt: 0)) \(d.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(d.channels.map(\.rawValue).joined(separator: ",").padding(toLength: 9, withPad: " ", startingAt: 0)) \(d.origin)")
        }
        for (id, failure) in registry.failures.sorted(by: { $0.key < $1.key }) {
            Output.error("carrier: provider \(id) does not load:\n\(failure)")
        }
    }
}

struct MatrixProviders: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "matrix",
                                                    abstract: "Print what every provider can carry, as a Markdown table (docs/providers.md) or JSON.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let matrix = CapabilityMatrix(Array(try options.registry().definitions.values))
        if json { Output.print(matrix.json) } else { print(matrix.markdown, terminator: "") }
    }
}

struct ShowProvider: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a provider: credentials, settings, capabilities, channels.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The provider id.") var name: String

    func run() throws {
        let registry = try options.registry()
        let d: ProviderDefinition
        do { d = try registry.definition(name) } catch { throw Failure(error).exitCode }
        Output.print(d.summary)
    }
}

struct LintProviders: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lint", abstract: "Check provider files; problems print as file:line:col.")
    @Argument(help: "The provider files.") var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let d = try DefinitionLoader.load(file: file)
                // A provider is found by its file's name: one whose id differs lints but never loads.
                let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
                guard d.id == name else {
                    failed = true
                    Output.error("\(file): error: the id '\(d.id)' is not the file's name '\(name)'; Carrier finds a provider by its file name\n"
                                 + "  hint: rename the file to \(d.id).yaml, or write id: \(name)")
                    continue
                }
                Output.line("\(file): ok (\(d.id); \(d.exampleCount) example(s), not run here: carrier providers test runs them)")
            } catch {
                failed = true
                Output.error(error.description)
            }
        }
        if failed { throw Failure(message: "carrier: some provider files have errors", code: 2).exitCode }
    }
}

struct TestProviders: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test",
        abstract: "Run the examples of provider files: each message must render to the request written down.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Provider ids (default: all).") var names: [String] = []

    func run() throws {
        let registry = try options.registry()
        var failures = 0
        var passed = 0
        for (id, failure) in registry.failures.sorted(by: { $0.key < $1.key }) where names.isEmpty || names.contains(id) {
            Output.line("FAIL \(id): the file does not load\n\(failure)")
            failures += 1
        }
        let ids = names.isEmpty ? registry.ids : names
        for id in ids where registry.failures[id] == nil {
            let definition: ProviderDefinition
            do { definition = try registry.definition(id) } catch { throw Failure(error).exitCode }
            if definition.exampleCount == 0 {
                Output.line("FAIL \(id): the file has no examples")
                failures += 1
            }
            if let missing = ExampleRunner.missingJoin(definition) {
                Output.line("FAIL \(id): \(missing)")
                failures += 1
            }
            for result in ExampleRunner.run(definition) {
                if result.passed {
                    passed += 1
                    Output.line("ok   \(id): \(result.name)")
                } else {
                    failures += 1
                    Output.line("FAIL \(id): \(result.name) (\(result.location))")
                    for f in result.failures { Output.line("       \(f)") }
                }
            }
        }
        Output.line("\(passed) passed, \(failures) failed")
        if failures > 0 { throw Failure(message: "carrier: provider examples failed", code: 1).exitCode }
    }
}
