/// A channel that can carry many messages in one request (a provider's batch endpoint).
///
/// The router sends bulk mail through it when the account its route picks has one; what the
/// endpoint refuses, or the channel says it cannot take (``batchable(_:)``), goes on alone.
package protocol BatchChannel: Channel {
    /// Messages per request at most, or nil when this account's provider has no batch endpoint.
    var batchSize: Int? { get }
    /// Whether the batch endpoint takes this message (Resend's refuses attachments).
    func batchable(_ message: Message) -> Bool
    /// Sends the messages in one request: one attempt per message, in order.
    func sendBatch(_ messages: [Message]) async -> [Attempt]
}
