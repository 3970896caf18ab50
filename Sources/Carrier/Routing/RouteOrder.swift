/// The order in which a route tries its accounts for the next message.
actor RouteOrder {
    static let shared = RouteOrder()
    private var counters: [String: Int] = [:]

    func order(for route: Route) -> [String] {
        let names = route.accounts.map(\.name)
        switch route.strategy {
        case .failover:
            return names
        case .roundRobin:
            let turn = counters[route.name, default: 0]
            counters[route.name] = turn + 1
            let start = turn % max(names.count, 1)
            return Array(names[start...] + names[..<start])
        case .weighted:
            let total = route.accounts.reduce(0) { $0 + $1.weight }
            guard total > 0 else { return names }
            var draw = Int.random(in: 0..<total)
            var first = names[0]
            for account in route.accounts {
                if draw < account.weight { first = account.name; break }
                draw -= account.weight
            }
            let rest = route.accounts.filter { $0.name != first }.sorted { $0.weight > $1.weight }.map(\.name)
            return [first] + rest
        }
    }
}
