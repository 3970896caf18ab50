import Foundation
import Logging
import Metrics

/// The spool as the mailer uses it: a message is written before its first attempt (write-ahead),
/// kept when no account took it, removed once a provider accepted it, and sent again by `retry`.
public struct Outbox: Sendable {
    package let spool: any SpoolStore
    let writeAhead: Bool
    /// What entries' creation times read.
    let clock: any WallClock
    let logger: Logger

    package init(spool: any SpoolStore, writeAhead: Bool, clock: any WallClock, logger: Logger) {
        self.spool = spool
        self.writeAhead = writeAhead
        self.clock = clock
        self.logger = logger
    }

    /// What `retry` did with one kept message.
    public struct RetryOutcome: Sendable {
        /// What became of the message.
        public enum Disposition: Sendable, Equatable {
            case sent
            /// Sent to some recipients; still in the spool for the others.
            case partial([String])
            /// Still in the spool, with the reason.
            case kept(String)
            /// Left alone: another process holds it.
            case skipped(String)
            /// Refused for good (a permanent failure): reported, and removed from the spool.
            case refused(String)
            /// No such message any more (sent or purged meanwhile).
            case gone
            /// Its sender stopped while sending it (killed, or the machine went down): it may have
            /// reached the provider, so it is left for an operator (`--resend-unknown` sends it again).
            case unknown
            /// The spool itself failed (an unreadable entry, a folder that cannot be written, an
            /// entry that could not be removed after sending); nothing was sent twice.
            case failed(String)
        }

        public var id: String
        public var receipt: Receipt?
        public var disposition: Disposition

        /// Whether the message still needs attention (exit non-zero in `carrier outbox retry`).
        public var needsAttention: Bool {
            switch disposition {
            case .sent, .skipped, .gone: false
            case .partial, .kept, .refused, .failed, .unknown: true
            }
        }

        /// One line for `carrier outbox retry`.
        public var note: String {
            switch disposition {
            case .sent: "sent"
            case .partial(let deferred): "partly sent; kept for \(deferred.joined(separator: ", "))"
            case .kept(let reason): "kept: \(reason)"
            case .skipped(let reason): "skipped: \(reason)"
            case .refused(let reason): "refused, removed from the spool: \(reason)"
            case .gone: "gone: already sent or purged"
            case .unknown: "unknown: its sender stopped while sending it, so it may have been sent; "
                + "carrier outbox retry --resend-unknown sends it again"
            case .failed(let reason): "error: \(reason)"
            }
        }
    }

    /// A message on its way: its entry (written ahead or not) and the lock that keeps
    /// `outbox retry` off it meanwhile.
    package struct Started {
        var entry: Spool.Entry
        package var lock: (any SpoolHold)?
    }

    /// Writes the message before its first attempt, or takes over its queued entry (a batch).
    package func begin(_ message: Message, route: String?, queued: Spool.Entry?) async throws(CarrierError) -> Started {
        var entry = queued ?? Spool.Entry(id: "", message: message, route: route, created: clock.seconds,
                                          attempts: [], state: .inFlight, owner: getpid())
        entry.state = .inFlight
        entry.owner = getpid()
        guard writeAhead else { return Started(entry: entry, lock: nil) }
        do {
            if queued == nil { try await spool.create(&entry) }
            let lock = try await spool.hold(entry.id)
            if queued != nil { try await spool.write(entry) }
            return Started(entry: entry, lock: lock)
        } catch {
            throw unusable(error)
        }
    }

    private func unusable(_ error: SpoolError) -> CarrierError {
        .storage(StorageError("the spool", path: spool.location, reason: error.description,
                              hint: "check the folder's permissions and free space, or remove spool: from the configuration"))
    }

    /// Writes a batch whole before the first send, so a process killed anywhere in it loses nothing.
    /// When one entry cannot be written, those already written are removed again: the batch is
    /// refused whole, and nothing of it is left for a later retry to send.
    package func queue(_ messages: [Message], route: String?) async throws(CarrierError) -> [Spool.Entry?] {
        guard writeAhead, messages.count > 1 else { return messages.map { _ in nil } }
        var entries: [Spool.Entry?] = []
        for message in messages {
            var entry = Spool.Entry(id: "", message: message, route: route, created: clock.seconds,
                                    attempts: [], state: .queued, owner: getpid())
            do { try await spool.create(&entry) } catch {
                for written in entries.compactMap({ $0 }) { try? await spool.remove(written.id) }
                throw unusable(error)
            }
            entries.append(entry)
        }
        return entries
    }

    /// Settles a message after its route: removed when sent or when keeping it cannot help
    /// (a permanent refusal, an ambiguous stop, no account able to carry it), kept for its
    /// deferred recipients when partly sent, else kept as failed.
    package func finish(_ started: Started, receipt: inout Receipt) async {
        var entry = started.entry
        let nobodyCanCarry = receipt.attempts.allSatisfy { $0.skipReason == .capability }
        switch receipt.status {
        case .sent:
            await removeSent(entry, receipt: &receipt)
            return
        case .partial where receipt.deferred.isEmpty:
            // Refused for good by the provider (listed in the receipt): nothing to send again.
            await removeSent(entry, receipt: &receipt)
            return
        case .partial:
            entry.message = entry.message.restricted(to: receipt.deferred)
            entry.lastError = "deferred by the server: " + receipt.deferred.joined(separator: ", ")
        default:
            guard !receipt.stoppedOnPurpose, !nobodyCanCarry else {
                await removeSent(entry, receipt: &receipt)
                return
            }
            entry.lastError = receipt.attempts.last?.error
        }
        entry.state = .failed
        entry.attempts += receipt.attempts.map(\.value)
        do {
            let path = entry.id.isEmpty ? try await spool.create(&entry) : try await spool.write(entry)
            receipt.spoolPath = path
            if receipt.status == .failed { receipt.status = .spooled }
            Counter(label: "carrier_spooled_total").increment()
        } catch {
            receipt.spoolError = "the message could not be kept in the spool (\(error))"
            if receipt.status == .partial {
                // The entry on disk still lists the recipients that got the message: settle it,
                // so no retry sends to them twice. The deferred ones are named in the receipt.
                receipt.spoolError! += "; not sent to " + receipt.deferred.joined(separator: ", ")
                try? await spool.settleSent(started.entry)
            }
            logger.error("cannot keep the message in the spool", metadata: ["spool": .string(spool.location), "error": .string("\(error)")])
        }
    }

    /// Removes a written-ahead entry (it is marked sent first when it cannot be removed).
    private func removeSent(_ entry: Spool.Entry, receipt: inout Receipt) async {
        guard !entry.id.isEmpty else { return }
        do { try await spool.settleSent(entry) } catch {
            receipt.spoolError = error.description
            logger.error("cannot remove a settled message from the spool", metadata: ["error": .string("\(error)")])
        }
    }

    /// Sends kept messages again through `deliver`. A message leaves the spool only after a
    /// provider accepted it; one locked by another process is left alone, so two retries at once
    /// never send the same message twice. Nothing is sent while the spool cannot be written,
    /// because a sent entry that cannot be removed would be sent again.
    /// - Parameter resendUnknown: send again entries whose sender stopped mid-send (`in_flight`, its
    ///   process gone), which may have reached the provider; without it they are reported `unknown`.
    package func retry(_ ids: [String], resendUnknown: Bool = false,
                       deliver: (Spool.Entry) async throws(CarrierError) -> Receipt) async throws(SpoolError) -> [RetryOutcome] {
        let listing = ids.isEmpty ? try await spool.entries() : (entries: [], unreadable: [])
        var outcomes = listing.unreadable.map { RetryOutcome(id: $0.id, disposition: .failed($0.reason)) }
        let wanted = ids.isEmpty ? listing.entries.map(\.id) : ids
        guard !wanted.isEmpty else { return outcomes }
        try await spool.checkWritable()
        for id in wanted {
            outcomes.append(await retryOne(id, resendUnknown: resendUnknown, deliver: deliver))
        }
        return outcomes
    }

    private func retryOne(_ id: String, resendUnknown: Bool, deliver: (Spool.Entry) async throws(CarrierError) -> Receipt) async -> RetryOutcome {
        let lock: (any SpoolHold)?
        do { lock = try await spool.hold(id) } catch {
            if case .missing = error { return RetryOutcome(id: id, disposition: .gone) }
            return RetryOutcome(id: id, disposition: .failed(error.description))
        }
        guard let lock else { return RetryOutcome(id: id, disposition: .skipped("another process is sending it")) }
        let outcome = await retryHeld(id, lock: lock, resendUnknown: resendUnknown, deliver: deliver)
        await lock.release()
        return outcome
    }

    private func retryHeld(_ id: String, lock: any SpoolHold, resendUnknown: Bool,
                           deliver: (Spool.Entry) async throws(CarrierError) -> Receipt) async -> RetryOutcome {
        var entry: Spool.Entry
        do { entry = try await spool.load(id) } catch {
            if case .missing = error { return RetryOutcome(id: id, disposition: .gone) }
            return RetryOutcome(id: id, disposition: .failed(error.description))
        }
        if entry.state == .sent {
            let reason = "it was sent already and could not be removed; remove \(spool.place(of: id)) by hand"
            do { try await spool.remove(id) } catch { return RetryOutcome(id: id, disposition: .failed(reason)) }
            return RetryOutcome(id: id, disposition: .gone)
        }
        if spool.heldElsewhere(entry) {
            return RetryOutcome(id: id, disposition: .skipped("process \(entry.owner ?? 0) is still sending it"))
        }
        if entry.state == .inFlight && !resendUnknown { return RetryOutcome(id: id, disposition: .unknown) }
        // Marked in flight while it is sent, so a process killed mid-send leaves a possible duplicate
        // that the next retry reports as such.
        let previous = entry.state
        entry.state = .inFlight
        entry.owner = getpid()
        do { try await spool.write(entry) } catch { return RetryOutcome(id: id, disposition: .failed(error.description)) }
        var receipt: Receipt
        do { receipt = try await deliver(entry) } catch {
            entry.state = previous
            _ = try? await spool.write(entry)
            return RetryOutcome(id: id, disposition: .kept(error.description))
        }
        if previous == .inFlight { receipt.possibleDuplicate = true }  // its first sender died mid-send
        await finish(Started(entry: entry, lock: lock), receipt: &receipt)
        if let problem = receipt.spoolError { return RetryOutcome(id: id, receipt: receipt, disposition: .failed(problem)) }
        switch receipt.status {
        case .sent: return RetryOutcome(id: id, receipt: receipt, disposition: .sent)
        case .partial: return RetryOutcome(id: id, receipt: receipt, disposition: .partial(receipt.deferred))
        default:
            if receipt.spoolPath == nil {
                return RetryOutcome(id: id, receipt: receipt, disposition: .refused(receipt.attempts.last?.error ?? receipt.failureSummary))
            }
            return RetryOutcome(id: id, receipt: receipt, disposition: .kept(receipt.attempts.last?.error ?? "not sent"))
        }
    }
}

extension Message {
    /// The message with its envelope cut down to these recipients (a partial send's remainder).
    func restricted(to emails: [String]) -> Message {
        let wanted = Set(emails.map { $0.lowercased() })
        var copy = self
        copy.to = to.filter { wanted.contains($0.email.lowercased()) }
        copy.cc = cc.filter { wanted.contains($0.email.lowercased()) }
        copy.bcc = bcc.filter { wanted.contains($0.email.lowercased()) }
        return copy
    }
}
