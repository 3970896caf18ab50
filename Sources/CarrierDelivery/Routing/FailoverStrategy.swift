/// `strategy: failover`: accounts in the order written; the next one only when the one before failed.
public struct FailoverStrategy: RoutingStrategy {
    public static let name = "failover"
    public init() {}

    public func order(_ members: [Route.Member], state: inout Value, random: RandomSource) -> [String] {
        members.map(\.name)
    }
}
