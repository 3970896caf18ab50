/// `strategy: weighted`: each message starts at an account drawn by weight, then fails over to
/// the others, heaviest first.
public struct WeightedStrategy: RoutingStrategy {
    public static let name = "weighted"
    public init() {}

    public func order(_ members: [Route.Member], state: inout Value, random: RandomSource) -> [String] {
        let total = members.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return members.map(\.name) }
        var draw = random.int(below: total)
        var first = members[0].name
        for member in members {
            if draw < member.weight {
                first = member.name
                break
            }
            draw -= member.weight
        }
        return [first] + members.filter { $0.name != first }.sorted { $0.weight > $1.weight }.map(\.name)
    }
}
