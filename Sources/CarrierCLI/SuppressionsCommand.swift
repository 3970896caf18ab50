import ArgumentParser
import Carrier
import Foundation

/// `carrier suppressions`: the addresses Carrier does not send to (docs/deliverability.md).
struct SuppressionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suppressions",
        abstract: "List, add, remove, import or export the suppression list (suppressions: FILE, or the store's).",
        subcommands: [List.self, Add.self, Remove.self, Import.self, Export.self]
    )

    /// Runs `body` with the configuration's list; exit 2 when it has none.
    static func withList<T: Sendable>(_ options: ConfigOptions, _ body: (any SuppressionStore) async throws -> T) async throws -> T {
        let configuration = try options.load()
        return try await CommandStore.run(configuration) { store in
            guard let list = CommandStore.suppressions(for: configuration, store: store) else {
                throw Failure(message: "carrier: the configuration has no suppression list; add suppressions: ./suppressions.ndjson (or store:) to carrier.yaml",
                              code: 2).exitCode
            }
            do { return try await body(list) } catch let error as StorageError { throw Failure(message: "carrier: \(error)", code: 2).exitCode }
        }
    }

    /// `--domain D`: an entry for mail from one sending domain; without it, for every domain.
    static func scope(_ domain: String?) -> String { domain?.lowercased() ?? Suppression.everyDomain }

    static let csvHeader = "email,scope,reason,created,source"

    static func csvLine(_ entry: Suppression) -> String {
        [entry.address, entry.scope, entry.reason.rawValue, ISO8601.format(epochSeconds: Int(entry.created)), entry.source ?? ""]
            .map(csvField).joined(separator: ",")
    }

    /// A CSV field, quoted when it must be; a leading `=`, `+`, `-` or `@` is prefixed with `'` so
    /// a spreadsheet does not run it as a formula.
    static func csvField(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the suppressed addresses, oldest first.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "One JSON object per entry (with the event that added it).") var json = false

        func run() async throws {
            let entries = try await SuppressionsCommand.withList(options) { try await $0.all() }
            if json { Output.print(.array(entries.map(\.value))); return }
            for entry in entries { Output.line(SuppressionsCommand.csvLine(entry)) }
            if entries.isEmpty { print("the suppression list is empty") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Suppress addresses (reason manual unless --reason).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Only for mail from this sending domain (default: every domain).") var domain: String?
        @Option(help: "bounced, complained, unsubscribed or manual.") var reason: String = "manual"
        @Argument(help: "The addresses.") var addresses: [String]

        func run() async throws {
            guard let why = Suppression.Reason(rawValue: reason) else {
                throw Failure(message: "carrier: --reason '\(reason)' is not one of bounced, complained, unsubscribed, manual", code: 2).exitCode
            }
            let entries = try addresses.map { text in
                guard let address = try? Address(parsing: text), address.name == nil else {
                    throw Failure(message: "carrier: '\(text)' is not an email address", code: 2).exitCode
                }
                return Suppression(address: address.email, reason: why, scope: SuppressionsCommand.scope(domain), source: "cli", created: Date().timeIntervalSince1970)
            }
            let added = try await SuppressionsCommand.withList(options) { try await $0.add(entries) }
            Output.line("added \(added); \(entries.count - added) already on the list")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Take addresses off the list (every scope unless --domain).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Only the entry for this sending domain.") var domain: String?
        @Argument(help: "The addresses.") var addresses: [String]

        func run() async throws {
            let removed = try await SuppressionsCommand.withList(options) { list in
                var count = 0
                for address in addresses { count += try await list.remove(address, scope: domain) }
                return count
            }
            Output.line("removed \(removed) entr\(removed == 1 ? "y" : "ies")")
            if removed == 0 { throw Failure(message: "carrier: none of those addresses was on the list", code: 1).exitCode }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Add the addresses of a CSV file (an email column, as export writes; scope and reason optional).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The reason for rows without one.") var reason: String = "manual"
        @Argument(help: "The CSV file, or - for standard input.") var file: String

        func run() async throws {
            guard let fallback = Suppression.Reason(rawValue: reason) else {
                throw Failure(message: "carrier: --reason '\(reason)' is not one of bounced, complained, unsubscribed, manual", code: 2).exitCode
            }
            let reader: RecipientReader
            do { reader = try RecipientReader(path: file) } catch { throw Failure(message: "carrier: \(file): \(error)", code: 2).exitCode }
            var entries: [Suppression] = [], problems: [String] = []
            let now = Date().timeIntervalSince1970
            for row in reader {
                switch row {
                case .failure(let error): problems.append("\(file): \(error)")
                case .success(let recipient):
                    let why = recipient.fields["reason"]?.stringValue.flatMap(Suppression.Reason.init(rawValue:)) ?? fallback
                    let scope = recipient.fields["scope"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? Suppression.everyDomain
                    entries.append(Suppression(address: recipient.address.email, reason: why, scope: scope, source: "import", created: now))
                }
            }
            for problem in problems { Output.error("carrier: \(problem); skipped") }
            let added = try await SuppressionsCommand.withList(options) { try await $0.add(entries) }
            Output.line("imported \(added); \(entries.count - added) already on the list; \(problems.count) row(s) skipped")
            if !problems.isEmpty { throw Failure(message: "carrier: \(problems.count) row(s) could not be read", code: 1).exitCode }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the list as CSV (email,scope,reason,created,source) to standard output.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let entries = try await SuppressionsCommand.withList(options) { try await $0.all() }
            print(SuppressionsCommand.csvHeader)
            for entry in entries { Output.line(SuppressionsCommand.csvLine(entry)) }
        }
    }
}
