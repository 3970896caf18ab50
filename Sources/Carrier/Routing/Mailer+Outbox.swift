import Foundation

extension Mailer {
    /// What `retrySpooled` did with one kept message.
    public struct RetryOutcome: Sendable {
        public var id: String
        public var receipt: Receipt?
        public var note: String
    }

    /// Sends kept messages again through their routes. A message leaves the spool only after a
    /// provider accepted it; a message locked by another process is left alone, so two retries
    /// at once never send the same message twice.
    public func retrySpooled(_ ids: [String] = []) async throws(CarrierError) -> [RetryOutcome] {
        guard let directory = configuration.spoolDirectory else {
            throw .configuration(ConfigurationError("the configuration has no spool", hint: "add spool: ./spool to carrier.yaml"))
        }
        let spool = Spool(directory: directory)
        let wanted = ids.isEmpty ? spool.entries().entries.map(\.id) : ids
        var outcomes: [RetryOutcome] = []
        for id in wanted {
            guard let lock = spool.lock(id) else {
                outcomes.append(RetryOutcome(id: id, note: "skipped: another process is sending it"))
                continue
            }
            defer { lock.release() }
            guard var entry = try? spool.load(id) else {
                outcomes.append(RetryOutcome(id: id, note: "gone: already sent or purged"))
                continue
            }
            if entry.isOwnedByAnotherLiveProcess {
                outcomes.append(RetryOutcome(id: id, note: "skipped: process \(entry.owner ?? 0) is still sending it"))
                continue
            }
            let route: Route
            do { route = try resolveRoute(entry.route?.hasPrefix("account:") == true ? nil : entry.route, account: nil) } catch {
                outcomes.append(RetryOutcome(id: id, note: "kept: \(error)"))
                continue
            }
            var receipt = await deliver(entry.message, route: route)
            if entry.state == "in_flight" { receipt.possibleDuplicate = true }  // its first sender died mid-send
            if receipt.status == .sent {
                spool.remove(id)
                lock.release(removeFile: true)
                outcomes.append(RetryOutcome(id: id, receipt: receipt, note: "sent"))
            } else {
                entry.state = "failed"
                entry.attempts += receipt.attempts.map(\.value)
                entry.lastError = receipt.attempts.last?.error
                _ = try? spool.write(entry)  // the earlier copy stays when this fails
                outcomes.append(RetryOutcome(id: id, receipt: receipt, note: "kept: " + (entry.lastError ?? "not sent")))
            }
        }
        return outcomes
    }

}
