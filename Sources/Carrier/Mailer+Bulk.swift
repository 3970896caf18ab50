import Foundation
import Synchronization

/// What a bulk run did, for the summary line and `--json`.
public struct BulkSummary: Sendable {
    /// Rows read, good and bad.
    public var rows = 0
    /// Rows sent (checked, in a dry run).
    public var sent = 0
    /// Sent to the recipient's address but not to everyone of it (a per-recipient refusal).
    public var partial = 0
    /// Not sent, by failure class (`permanent`, `rate_limited`, …; `input` for a row whose message cannot be built).
    /// Rows not sent so far, by failure class.
    public var failed: [String: Int] = [:]
    /// Rows that could not be read (with their line numbers), skipped.
    public var badRows: [BulkRowError] = []
    /// Rows whose message could not be built (a merge value a header cannot carry, …), with why:
    /// the first ``inputProblemsKept``; the journal has every one.
    public var inputProblems: [BulkRowError] = []
    public static let inputProblemsKept = 20
    /// Rows an earlier run already sent or refused for good.
    public var alreadyDone = 0
    /// What could not be read of the journal, line by line (its rows are taken as unknown).
    public var journalProblems: [String] = []
    /// Rows an earlier run started without an outcome: not sent again (unless asked), listed here.
    public var unknown: [(line: Int, email: String)] = []
    /// Rows sent, by account.
    public var perAccount: [String: Int] = [:]
    /// How long the run took.
    public var seconds: Double = 0
    /// Nothing was sent: every message was only built and rendered.
    public var dryRun = false

    /// Rows not sent, all classes together.
    public var failedCount: Int { failed.values.reduce(0, +) }

    /// The summary as `carrier bulk --json` prints it.
    public var value: Value {
        var object = OrderedObject()
        object["rows"] = .int(rows)
        object[dryRun ? "checked" : "sent"] = .int(sent)
        object["partial"] = .int(partial)
        object["failed"] = .object(OrderedObject(failed.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))
        object["bad_rows"] = .array(badRows.map { .object(["line": .int($0.line), "problem": .string($0.problem)]) })
        object["already_done"] = .int(alreadyDone)
        object["unknown"] = .array(unknown.map { .object(["line": .int($0.line), "email": .string($0.email)]) })
        if !journalProblems.isEmpty { object["journal_problems"] = .array(journalProblems.map(Value.string)) }
        object["per_account"] = .object(OrderedObject(perAccount.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))
        object["seconds"] = .double((seconds * 1000).rounded() / 1000)
        return .object(object)
    }
}

/// Where a run stands, for progress lines.
public struct BulkProgress: Sendable {
    /// Rows settled so far (sent, failed, skipped).
    public var done: Int
    /// Rows in the file when it could be counted beforehand (nil for standard input).
    public var total: Int?
    public var failed: [String: Int]
    /// Seconds since the run started.
    public var elapsed: Double
}

extension Mailer {
    /// Sends one templated message to every recipient of a list: CSV or NDJSON read lazily, at
    /// most `inFlight` sends at once (each account within its concurrency), every outcome in the
    /// journal before the run moves on. Running it again with the same journal resumes.
    ///
    /// - Throws: before anything is sent, when the template reads a field the recipients lack.
    /// - Parameter batching: send through the account's batch endpoint when it has one.
    public func bulk(_ template: BulkTemplate, recipients reader: RecipientReader, journal: (any BulkJournalStore)?, route: String? = nil,
                     account: String? = nil, inFlight: Int = 64, resendUnknown: Bool = false, dryRun: Bool = false, batching: Bool = true,
                     total: Int? = nil, progress: @escaping @Sendable (BulkProgress) -> Void = { _ in }) async throws(CarrierError) -> BulkSummary {
        let rows = reader.makeIterator()
        // NDJSON learns its fields from the first good row: read up to it (bad rows before it are kept).
        var head: [Result<BulkRecipient, BulkRowError>] = []
        while let row = rows.next() {
            head.append(row)
            if case .success = row { break }
        }
        var buffered = head[...]
        return try await bulk(template, fields: reader.columns, next: { buffered.popFirst() ?? rows.next() }, journal: journal, route: route,
                              account: account, inFlight: inFlight, resendUnknown: resendUnknown, dryRun: dryRun, batching: batching,
                              total: total, progress: progress)
    }

    /// The same over recipients that arrive asynchronously (a database cursor, a queue): `fields`
    /// names what each recipient carries, for the template check before anything is sent. An error
    /// thrown by the sequence ends the run and is reported as a row that could not be read.
    public func bulk<Recipients: AsyncSequence>(_ template: BulkTemplate, recipients: Recipients, fields: [String], journal: (any BulkJournalStore)?,
                                                route: String? = nil, account: String? = nil, inFlight: Int = 64, resendUnknown: Bool = false,
                                                dryRun: Bool = false, batching: Bool = true, total: Int? = nil,
                                                progress: @escaping @Sendable (BulkProgress) -> Void = { _ in }) async throws(CarrierError) -> BulkSummary
        where Recipients.Element == BulkRecipient {
        var iterator = recipients.makeAsyncIterator()
        var failed = false
        return try await bulk(template, fields: fields, next: { () async -> Result<BulkRecipient, BulkRowError>? in
            guard !failed else { return nil }
            do {
                guard let recipient = try await iterator.next() else { return nil }
                return .success(recipient)
            } catch {
                failed = true
                return .failure(BulkRowError(line: 0, problem: "the recipients could not be read further: \(error)"))
            }
        }, journal: journal, route: route, account: account, inFlight: inFlight, resendUnknown: resendUnknown, dryRun: dryRun,
           batching: batching, total: total, progress: progress)
    }

    private func bulk(_ template: BulkTemplate, fields: [String], next: () async -> Result<BulkRecipient, BulkRowError>?,
                      journal: (any BulkJournalStore)?, route: String?, account: String?, inFlight: Int, resendUnknown: Bool, dryRun: Bool,
                      batching: Bool, total: Int?, progress: @escaping @Sendable (BulkProgress) -> Void) async throws(CarrierError) -> BulkSummary {
        let started = Date()
        try template.check(columns: fields)
        var linked = template
        if linked.unsubscribe == nil {
            do { linked.unsubscribe = try configuration.unsubscribeLinks() } catch { throw .configuration(error) }
        }
        let template = linked
        let history = await journal?.history() ?? BulkJournal.History()
        let plan = try resolveRoute(route, account: account)
        // A journal belongs to one run: this message through this route or account.
        let run = template.fingerprint + "|" + (account.map { "account:" + $0 } ?? plan.name)
        if let journal, !dryRun {
            if let earlier = history.run, earlier != run {
                throw .configuration(ConfigurationError("the journal \(journal.name) belongs to another run (another message, route or account)",
                                                        hint: "give this run its own journal with --journal FILE"))
            }
            if history.run == nil { await journal.record(["run": .string(run)]) }
        }
        var summary = BulkSummary()
        summary.dryRun = dryRun
        summary.journalProblems = history.unreadable
        // Rows that need no send are settled here, in order, before the window sees them.
        func nextToSend() async -> BulkRecipient? {
            while let row = await next() {
                summary.rows += 1
                switch row {
                case .failure(let error):
                    summary.badRows.append(error)
                case .success(let recipient):
                    if history.isDone(recipient.line, recipient.address.email) {
                        summary.alreadyDone += 1
                    } else if history.isUnknown(recipient.line, recipient.address.email) && !resendUnknown {
                        summary.unknown.append((recipient.line, recipient.address.email))
                    } else {
                        return recipient
                    }
                }
            }
            return nil
        }
        let renderAccount = account ?? plan.members.first?.name ?? ""
        // Each outcome is journaled as soon as its send ends (a row reported later, in order, is not
        // left `started`: after a kill, only the sends under way are unknown); counted here, in order.
        @Sendable func record(_ results: [(BulkRecipient, BulkOutcome)]) async {
            guard !dryRun, let journal else { return }
            for (recipient, outcome) in results { await journal.record(Self.journalEntry(recipient, outcome)) }
        }
        func settle(_ recipient: BulkRecipient, _ outcome: BulkOutcome) async {
            switch outcome {
            case .sent(let via, _), .partial(let via, _):
                if case .partial = outcome { summary.partial += 1 } else { summary.sent += 1 }
                if let via { summary.perAccount[via, default: 0] += 1 }
            case .failed(let cause, let error, _):
                summary.failed[cause.label, default: 0] += 1
                if cause == .input, summary.inputProblems.count < BulkSummary.inputProblemsKept {
                    summary.inputProblems.append(BulkRowError(line: recipient.line, problem: error))
                }
            }
            progress(BulkProgress(done: summary.sent + summary.partial + summary.failedCount + summary.alreadyDone + summary.unknown.count
                                    + summary.badRows.count, total: total, failed: summary.failed,
                                  elapsed: Date().timeIntervalSince(started)))
        }
        // Accounts with a batch endpoint take many recipients per request: chunks as large as the
        // smallest such endpoint of the route; the router sends each chunk where the strategy says.
        let batchSize = plan.members.compactMap { dispatcher.batchSize($0.name) }.min()
        if !dryRun, batching, let size = batchSize {
            await InOrderWindow.run(next: { () async -> [BulkRecipient]? in
                var chunk: [BulkRecipient] = []
                while chunk.count < size, let recipient = await nextToSend() { chunk.append(recipient) }
                return chunk.isEmpty ? nil : chunk
            }, inFlight: max(1, min(inFlight, 8))) { chunk -> [(BulkRecipient, BulkOutcome)] in
                // Messages a batch account did not take go alone; all chunks together stay within `inFlight`.
                let results = await self.bulkBatch(chunk, template: template, journal: journal, route: plan, run: run,
                                                   singlesInFlight: max(1, inFlight / max(1, min(inFlight, 8))))
                await record(results)
                return results
            } report: { _, results in
                for (recipient, outcome) in results { await settle(recipient, outcome) }
            }
        } else {
            await InOrderWindow.run(next: nextToSend, inFlight: inFlight) { recipient -> (BulkRecipient, BulkOutcome) in
                let outcome = await self.bulkSend(recipient, template: template, journal: journal, route: route, account: account,
                                                  dryRun: dryRun, renderAccount: renderAccount, run: run)
                await record([(recipient, outcome)])
                return (recipient, outcome)
            } report: { _, result in
                await settle(result.0, result.1)
            }
        }
        await journal?.flush()
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// A row's journal line for its outcome. Refused for good is final; kept in the spool, the spool
    /// sends it; a request that went out without an answer is unknown (not sent again unless
    /// asked); anything else is sent again by the next run.
    static func journalEntry(_ recipient: BulkRecipient, _ outcome: BulkOutcome) -> OrderedObject {
        var entry: OrderedObject = ["line": .int(recipient.line), "email": .string(recipient.address.email)]
        switch outcome {
        case .sent(let via, let ids), .partial(let via, let ids):
            if let via { entry["account"] = .string(via) }
            entry["state"] = .string(BulkJournal.State.sent.rawValue)
            if !ids.isEmpty { entry["message_ids"] = .array(ids.map(Value.string)) }
        case .failed(let cause, let error, let spoolPath):
            entry["state"] = .string(BulkJournal.State(cause, spooled: spoolPath != nil).rawValue)
            entry["class"] = .string(cause.label)
            entry["error"] = .string(error)
            if let spoolPath { entry["spool_path"] = .string(spoolPath) }
        }
        return entry
    }

    /// Builds and journals a chunk of recipients' messages and sends them in one batch request.
    ///
    /// Messages the answer refused for a passing reason (`retry`, `rate_limited`) are sent again in
    /// one batch as the route's retry policy says (its backoff, or the provider's Retry-After).
    private func bulkBatch(_ chunk: [BulkRecipient], template: BulkTemplate, journal: (any BulkJournalStore)?,
                           route: Route, run: String, singlesInFlight: Int) async -> [(BulkRecipient, BulkOutcome)] {
        if let failure = journal?.writeFailure { return chunk.map { ($0, .failed(.journal, failure)) } }
        var outcomes: [Int: BulkOutcome] = [:]
        var messages: [(Int, Message)] = []
        for (i, recipient) in chunk.enumerated() {
            do {
                let message = try template.message(for: recipient, run: run, now: Int(runtime.clock.seconds))
                let (screened, suppressed) = try await screen(message, route: route)
                if !suppressed.isEmpty && screened.recipients.isEmpty {
                    outcomes[i] = Self.outcome(of: Self.allSuppressed(suppressed))
                } else {
                    messages.append((i, screened))
                }
            } catch {
                outcomes[i] = Self.outcome(of: error)
            }
        }
        for (i, _) in messages {
            await journal?.record(["line": .int(chunk[i].line), "email": .string(chunk[i].address.email), "state": .string(BulkJournal.State.started.rawValue)])
        }
        runtime.sends.enter()
        let deliveries = await router.deliver(batch: messages.map(\.1), route: route)
        runtime.sends.leave()
        var singles: [(Int, Message, Route)] = []
        for ((i, message), delivery) in zip(messages, deliveries) {
            switch delivery {
            case .done(let receipt): outcomes[i] = Self.outcome(of: receipt)
            case .alone(let along, _): singles.append((i, message, along))
            }
        }
        await InOrderWindow.run(singles, inFlight: singlesInFlight) { item in
            (item.0, await self.sendAlone(item.1, along: item.2, spoolRoute: route.name))
        } report: { _, result in
            outcomes[result.0] = result.1
        }
        return chunk.indices.map { (chunk[$0], outcomes[$0] ?? .failed(.unsent, "not sent")) }
    }

    /// Sends a message of a batch on its own, along (the rest of) its route.
    private func sendAlone(_ message: Message, along route: Route, spoolRoute: String) async -> BulkOutcome {
        do { return Self.outcome(of: try await send(message, along: route, spoolRoute: spoolRoute)) } catch { return Self.outcome(of: error) }
    }

    /// What a receipt means for its recipient.
    static func outcome(of receipt: Receipt) -> BulkOutcome {
        switch receipt.status {
        case .sent: return .sent(receipt.account, receipt.messageIDs)
        case .partial: return .partial(receipt.account, receipt.messageIDs)
        default:
            if receipt.attempts.isEmpty && !receipt.suppressed.isEmpty { return .failed(.suppressed, receipt.failureSummary) }
            let last = receipt.attempts.last
            return .failed(last?.errorClass.map(BulkOutcome.Cause.attempt) ?? .unsent, last?.error ?? "not sent", spoolPath: receipt.spoolPath)
        }
    }

    /// What a send that threw means for its recipient.
    static func outcome(of error: CarrierError) -> BulkOutcome {
        switch error {
        case .message, .template, .header: return .failed(.input, error.description)
        case .notSent(let receipt): return outcome(of: receipt)
        default: return .failed(.error, error.description)
        }
    }

    /// Builds, journals and sends one recipient's message (or only renders it, for a dry run).
    private func bulkSend(_ recipient: BulkRecipient, template: BulkTemplate, journal: (any BulkJournalStore)?, route: String?, account: String?,
                          dryRun: Bool, renderAccount: String, run: String) async -> BulkOutcome {
        if let failure = journal?.writeFailure { return .failed(.journal, failure) }  // no send without its record
        let message: Message
        do { message = try template.message(for: recipient, run: run, now: Int(runtime.clock.seconds)) } catch { return .failed(.input, error.description) }
        if dryRun {
            do { _ = try render(message, account: renderAccount) } catch { return .failed(.input, error.description) }
            return .sent(nil, [])
        }
        await journal?.record(["line": .int(recipient.line), "email": .string(recipient.address.email), "state": .string(BulkJournal.State.started.rawValue)])
        do {
            return Self.outcome(of: try await send(message, route: route, account: account))
        } catch {
            return Self.outcome(of: error)
        }
    }
}
