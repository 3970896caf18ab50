extension Mailer {
    /// The message without the recipients the suppression list names for its From domain (less
    /// the reasons the route ignores), and those it left out. Without a list, the message as it is.
    /// - Throws: a storage error when the list cannot be read: nothing is sent to an address
    ///   that might be on it.
    func screen(_ message: Message, route: Route) async throws(CarrierError) -> (message: Message, suppressed: [SuppressedRecipient]) {
        guard let suppressions else { return (message, []) }
        let found: [Suppression]
        do { found = try await suppressions.matching(message.recipients.map { $0.email.lowercased() }, domain: message.from.domain) } catch {
            throw .storage(error)
        }
        let applying = found.filter { !route.ignoredSuppressions.contains($0.reason) }
        guard !applying.isEmpty else { return (message, []) }
        let blocked = Set(applying.map(\.address))
        var kept = message
        kept.to.removeAll { blocked.contains($0.email.lowercased()) }
        kept.cc.removeAll { blocked.contains($0.email.lowercased()) }
        kept.bcc.removeAll { blocked.contains($0.email.lowercased()) }
        var seen = Set<String>()
        return (kept, applying.filter { seen.insert($0.address).inserted }.map(\.recipient))
    }

    /// The receipt of a message whose every recipient is suppressed: not sent, not kept.
    static func allSuppressed(_ suppressed: [SuppressedRecipient]) -> Receipt {
        var receipt = Receipt(status: .failed)
        receipt.suppressed = suppressed
        receipt.stoppedOnPurpose = true
        return receipt
    }
}
