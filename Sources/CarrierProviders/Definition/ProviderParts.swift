/// The parts of a provider file read besides what sending needs (its channels, capabilities,
/// credentials and settings). A process that only sends reads neither: the examples are about
/// half of each file, and the events section compiles a dozen templates.
public struct ProviderParts: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `events:`, what webhooks are read with (`carrier events`, `carrier serve`).
    public static let events = ProviderParts(rawValue: 1 << 0)
    /// `examples:`, what `carrier providers test` runs.
    public static let examples = ProviderParts(rawValue: 1 << 1)
    public static let all: ProviderParts = [.events, .examples]
}
