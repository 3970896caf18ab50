/// How a route orders its accounts for each message: one plugin per `strategy:` of carrier.yaml.
///
/// A strategy keeps whatever it needs in `state`, a JSON value owned by the route. Without a
/// `state_file` the value lives in the process; with one it is read and written back under a
/// file lock around each call, so every process on the machine sees the same position and history.
///
/// To add a strategy: write a type conforming to this protocol in its own file, and add it to
/// ``RoutingStrategies/all``.
public protocol RoutingStrategy: Sendable {
    /// The name in carrier.yaml (`strategy: round_robin`).
    static var name: String { get }

    init()

    /// The accounts to try for the next message, first choice first; `random` is the runtime's
    /// source for any draw (seeded in tests).
    func order(_ members: [Route.Member], state: inout Value, random: RandomSource) -> [String]

    /// Learns from an attempt that was made (sent or failed); most strategies ignore it.
    func record(_ attempt: Attempt, state: inout Value)
}

extension RoutingStrategy {
    public func record(_ attempt: Attempt, state: inout Value) {}
}

/// Every routing strategy carrier.yaml can name.
public enum RoutingStrategies {
    public static let all: [any RoutingStrategy.Type] = [
        FailoverStrategy.self,
        RoundRobinStrategy.self,
        WeightedStrategy.self,
    ]

    /// The strategy with this name, or nil.
    static func named(_ name: String) -> (any RoutingStrategy)? {
        all.first { $0.name == name }.map { $0.init() }
    }
}
