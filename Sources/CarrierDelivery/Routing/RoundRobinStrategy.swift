/// `strategy: round_robin`: each message starts at the next account in turn, then fails over in
/// order. The position is shared between processes through the route's `state_file`; without
/// one, each process starts at a random account, so short-lived processes still spread.
public struct RoundRobinStrategy: RoutingStrategy {
    public static let name = "round_robin"
    public init() {}

    public func order(_ members: [Route.Member], state: inout Value, random: RandomSource) -> [String] {
        let names = members.map(\.name)
        guard !names.isEmpty else { return [] }
        let count = names.count
        let start = ((state["next"].intValue ?? random.int(below: count)) % count + count) % count  // a hand-edited file may hold anything
        state = .object(["next": .int((start + 1) % count)])
        return Array(names[start...] + names[..<start])
    }
}
