import Foundation
import Logging
import Metrics

/// The spool as the mailer uses it: a message is written before its first attempt (write-ahead),
/// kept when no account took it, removed once a provider accepted it, and sent again by `retry`.
public struct Outbox: Sendable {
    let spool: Spool
    let writeAhead: Bool
    let logger: Logger

    /// What `retry` did with one kept message.
    public struct RetryOutcome: Sendable {
        /// What became of the message.
        public enum Disposition: Sendable, Equatable {
            case sent
            /// Still in the spool, with the reason.
            case kept(String)
            /// Left alone: another process holds it.
            case skipped(String)
            /// No such message any more (sent or purged meanwhile).
            case gone
        }

        public var id: String
        public var receipt: Receipt?
        public var disposition: Disposition

        /// One line for `carrier outbox retry`.
        public var note: String {
            switch disposition {
            case .sent: "sent"
            case .kept(let reason): "kept: \(reason)"
            case .skipped(let reason): "skipped: \(reason)"
            case .gone: "gone: already sent or purged"
            }
        }
    }

    /// Writes the message before its first attempt; the lock keeps `outbox retry` off it meanwhile.
    func begin(_ message: Message, route: String?) throws(CarrierError) -> (entry: Spool.Entry, lock: SpoolLock?) {
        let entry = Spool.Entry(id: message.messageID!, message: message, route: route, created: Date().timeIntervalSince1970,
                                attempts: [], state: .inFlight, owner: getpid())
        let lock = spool.lock(entry.id)
        if writeAhead {
            do { try spool.write(entry) } catch {
                lock?.release(removeFile: true)
                throw .configuration(ConfigurationError("cannot write to the spool \(spool.directory): \(error.localizedDescription)",
                                                        hint: "check the folder's permissions, or remove spool: from the configuration"))
            }
        }
        return (entry, lock)
    }

    /// Writes a batch whole before the first send, so a process killed anywhere in it loses nothing.
    func queue(_ messages: [Message], route: String?) {
        guard writeAhead, messages.count > 1 else { return }
        for message in messages {
            _ = try? spool.write(Spool.Entry(id: message.messageID!, message: message, route: route, created: Date().timeIntervalSince1970,
                                             attempts: [], state: .queued, owner: getpid()))
        }
    }

    /// Settles a message after its route: removed when sent or when keeping it cannot help
    /// (a permanent refusal, an ambiguous stop, no account able to carry it), else kept as failed.
    func finish(_ entry: Spool.Entry, receipt: inout Receipt) {
        let nobodyCanCarry = receipt.attempts.allSatisfy { $0.skipReason == .capability }
        guard receipt.status != .sent, !receipt.stoppedOnPurpose, !nobodyCanCarry else {
            spool.remove(entry.id)
            return
        }
        var entry = entry
        entry.state = .failed
        entry.attempts = receipt.attempts.map(\.value)
        entry.lastError = receipt.attempts.last?.error
        do {
            receipt.spoolPath = try spool.write(entry)
            receipt.status = .spooled
            Counter(label: "carrier_spooled_total").increment()
        } catch {
            logger.error("cannot write to the spool", metadata: ["directory": .string(spool.directory), "error": .string("\(error)")])
        }
    }

    /// Sends kept messages again through `deliver`. A message leaves the spool only after a
    /// provider accepted it; one locked by another process is left alone, so two retries at once
    /// never send the same message twice.
    func retry(_ ids: [String], deliver: (Spool.Entry) async throws(CarrierError) -> Receipt) async -> [RetryOutcome] {
        let wanted = ids.isEmpty ? spool.entries().entries.map(\.id) : ids
        var outcomes: [RetryOutcome] = []
        for id in wanted {
            guard let lock = spool.lock(id) else {
                outcomes.append(RetryOutcome(id: id, disposition: .skipped("another process is sending it")))
                continue
            }
            defer { lock.release() }
            guard var entry = try? spool.load(id) else {
                outcomes.append(RetryOutcome(id: id, disposition: .gone))
                continue
            }
            if entry.isOwnedByAnotherLiveProcess {
                outcomes.append(RetryOutcome(id: id, disposition: .skipped("process \(entry.owner ?? 0) is still sending it")))
                continue
            }
            var receipt: Receipt
            do { receipt = try await deliver(entry) } catch {
                outcomes.append(RetryOutcome(id: id, disposition: .kept(error.description)))
                continue
            }
            if entry.state == .inFlight { receipt.possibleDuplicate = true }  // its first sender died mid-send
            if receipt.status == .sent {
                spool.remove(id)
                lock.release(removeFile: true)
                outcomes.append(RetryOutcome(id: id, receipt: receipt, disposition: .sent))
            } else {
                entry.state = .failed
                entry.attempts += receipt.attempts.map(\.value)
                entry.lastError = receipt.attempts.last?.error
                _ = try? spool.write(entry)  // the earlier copy stays when this fails
                outcomes.append(RetryOutcome(id: id, receipt: receipt, disposition: .kept(entry.lastError ?? "not sent")))
            }
        }
        return outcomes
    }
}
