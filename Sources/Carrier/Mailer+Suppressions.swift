import Foundation

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

extension Mailer {
    /// A message header that asks for one-click unsubscribe headers (`unsubscribe:` in carrier.yaml)
    /// for the message's one recipient, naming the list: `Carrier-Unsubscribe: newsletter`. Apps
    /// sending through `carrier send` or the gateway use it; `carrier bulk` adds them itself.
    public static let unsubscribeRequestHeader = "Carrier-Unsubscribe"

    /// Why the message's unsubscribe request cannot be honoured (no `unsubscribe:` in the
    /// configuration, several recipients, no list name), or nil: the gateway refuses such a message
    /// at intake rather than accepting what it would then fail to send.
    public func unsubscribeRequestProblem(_ message: Message) -> CarrierError? {
        do { _ = try applyingUnsubscribeRequest(message) } catch { return error }
        return nil
    }

    /// The message with the request header replaced by `List-Unsubscribe` and `List-Unsubscribe-Post`.
    func applyingUnsubscribeRequest(_ message: Message) throws(CarrierError) -> Message {
        guard let index = message.headers.firstIndex(where: { HeaderRules.sameFieldName($0.name, Self.unsubscribeRequestHeader) }) else {
            return message
        }
        var copy = message
        let list = copy.headers.remove(at: index).value.trimmingWhitespace()
        let links: UnsubscribeLinks?
        do { links = try configuration.unsubscribeLinks() } catch { throw .configuration(error) }
        guard let links else {
            throw .configuration(ConfigurationError("the message asks for one-click unsubscribe (\(Self.unsubscribeRequestHeader)), but the configuration has no unsubscribe:",
                                                    hint: "add unsubscribe: {url: …, key: …} to carrier.yaml (docs/deliverability.md)"))
        }
        guard copy.recipients.count == 1, !list.isEmpty else {
            throw .message(MessageError(source: nil, problems: [.init(field: "headers.\(Self.unsubscribeRequestHeader)",
                message: copy.recipients.count == 1 ? "names no list" : "a one-click unsubscribe link names one recipient; this message has \(copy.recipients.count)",
                hint: "send one message per recipient (or use carrier bulk), with the list's name as the header's value")]))
        }
        copy.headers += links.headers(email: copy.recipients[0].email, list: list)
        return copy
    }
}
