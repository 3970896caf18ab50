import ArgumentParser
import Carrier
import CarrierPostgres
import Foundation
import Synchronization

/// `carrier bulk`: one templated message to every recipient of a CSV or NDJSON list, with a
/// journal that makes the run resumable.
struct BulkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulk",
        abstract: "Send a message to every recipient of a list (CSV or NDJSON), with merge fields and a resumable journal.",
        discussion: """
            MESSAGE is a message file whose strings may use merge fields such as {{ recipient.name | default('there') }}; \
            its 'to' is each recipient. RECIPIENTS is CSV with a header row (email required, name optional, other columns \
            are fields) or NDJSON, or - for standard input. Running the same command again resumes from the journal.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Option(help: "Send through this route (default: $CARRIER_ROUTE, else the route named default).") var route: String?
    @Option(help: "Send through this account only.") var account: String?
    @Option(help: "The journal (default: RECIPIENTS.journal.ndjson beside the list; with store:, the list's absolute path names it in the database).")
    var journal: String?
    @Option(help: "The list one-click unsubscribe links name (with unsubscribe: in carrier.yaml; default: the message file's name).")
    var list: String?
    @Option(help: "Messages in flight at once (each account's concurrency bounds its share).") var inFlight = 64
    @Flag(help: "Print the summary as JSON.") var json = false
    @Flag(help: "Build and render every message and check every row; send nothing.") var dryRun = false
    @Flag(help: "Send again to recipients an earlier run started without an outcome (they may get it twice).") var resendUnknown = false
    @Flag(help: "One request per message, even where the provider has a batch endpoint.") var noBatch = false
    @Argument(help: ArgumentHelp("The message template (JSON or YAML).", valueName: "message")) var message: String
    @Argument(help: ArgumentHelp("The recipients: CSV, NDJSON, or - for standard input.", valueName: "recipients")) var recipients: String

    func run() async throws {
        let configuration = try options.load()
        try await CommandStore.run(configuration) { store in
            try await send(CommandStore.mailer(for: configuration, store: store, logger: .quiet), configuration: configuration, store: store)
        }
    }

    private func send(_ mailer: Mailer, configuration: Configuration, store: PostgresStore?) async throws {
        var template: BulkTemplate
        do { template = try BulkTemplate.load(path: message) } catch { throw Failure(error).exitCode }
        template.attachmentFolders = configuration.attachmentFolders
        if let list { template.list = list }
        let reader: RecipientReader
        do { reader = try RecipientReader(path: recipients) } catch { throw Failure(message: "carrier: \(recipients): \(error)", code: 2).exitCode }
        // In a database, the list's absolute path names the journal unless --journal does.
        let journalPath = journal ?? (recipients == "-" ? nil : store == nil ? recipients + ".journal.ndjson" : Self.absolute(recipients))
        var journalFile: (any BulkJournalStore)?
        if !dryRun, let journalPath {
            do {
                if let store { journalFile = try await PostgresJournal.open(name: journalPath, store: store) }
                else { journalFile = try BulkJournal(path: journalPath) }
            } catch { throw Failure(error).exitCode }
        }
        let total = recipients == "-" ? nil : Self.countRows(recipients, csv: reader.format == .csv)
        let meter = ProgressMeter(terminal: isatty(2) == 1)
        let drain = SignalDrain(engine: mailer.runtime.engine)
        reader.stopReading = { drain.stopping }
        let summary: BulkSummary
        do {
            summary = try await mailer.bulk(template, recipients: reader, journal: journalFile, route: route, account: account,
                                            inFlight: inFlight, resendUnknown: resendUnknown, dryRun: dryRun, batching: !noBatch,
                                            total: total) { meter.show($0) }
        } catch {
            throw Failure(error).exitCode
        }
        meter.finish()
        if let failure = journalFile?.writeFailure { Output.error("carrier: \(failure); the rows after it were not sent") }
        for problem in summary.journalProblems { Output.error("carrier: \(journalPath ?? "the journal"): \(problem)") }
        for row in summary.badRows { Output.error("carrier: \(recipients): \(row); skipped") }
        for row in summary.inputProblems { Output.error("carrier: \(recipients): \(row); not sent") }
        for (line, email) in summary.unknown {
            Output.error("carrier: line \(line) (\(email)): an earlier run started it without an outcome; not sent again (--resend-unknown sends it)")
        }
        if json {
            Output.print(summary.value)
        } else {
            let failed = summary.failed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            Output.line("\(summary.rows) rows: \(summary.sent) \(dryRun ? "checked" : "sent")"
                        + (summary.partial > 0 ? ", \(summary.partial) partly sent" : "")
                        + (failed.isEmpty ? "" : ", failed: \(failed)")
                        + (summary.badRows.isEmpty ? "" : ", \(summary.badRows.count) bad rows skipped")
                        + (summary.alreadyDone > 0 ? ", \(summary.alreadyDone) done by an earlier run" : "")
                        + (summary.unknown.isEmpty ? "" : ", \(summary.unknown.count) unknown")
                        + String(format: " in %.1f s", summary.seconds)
                        + (journalPath.map { dryRun ? "" : " (journal: \($0))" } ?? ""))
        }
        if drain.stopping {
            throw Failure(message: "carrier: stopped by a signal after \(summary.rows) row(s); run the same command again to go on", code: 1).exitCode
        }
        if summary.failedCount > 0 || !summary.badRows.isEmpty || !summary.unknown.isEmpty {
            throw Failure(message: "", code: 1).exitCode
        }
    }

    /// Lines in the file, less the header: the total for progress and the ETA (approximate when
    /// quoted CSV fields span lines).
    /// A path made absolute against the current folder.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func countRows(_ path: String, csv: Bool) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var lines = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        return max(0, lines - (csv ? 1 : 0))
    }
}

/// The progress line on standard error: redrawn in place on a terminal, a plain line every few
/// seconds otherwise (logs, CI).
final class ProgressMeter: Sendable {
    let terminal: Bool
    private let last = Mutex(0.0)

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ p: BulkProgress) {
        let now = Date().timeIntervalSince1970
        let due = last.withLock { last -> Bool in
            guard now - last >= (terminal ? 0.2 : 5) else { return false }
            last = now
            return true
        }
        guard due else { return }
        let rate = p.elapsed > 0 ? Double(p.done) / p.elapsed : 0
        var text = "\(p.done)" + (p.total.map { "/\($0)" } ?? "") + String(format: " sent or failed, %.0f/s", rate)
        if let total = p.total, rate > 0 { text += String(format: ", ETA %.0f s", Double(max(0, total - p.done)) / rate) }
        let failed = p.failed.values.reduce(0, +)
        if failed > 0 { text += ", failed: " + p.failed.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") }
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
