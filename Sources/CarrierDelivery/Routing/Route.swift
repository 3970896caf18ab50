/// How a message chooses among accounts, and how hard it tries each one (`routes:` in carrier.yaml).
public struct Route: Sendable {
    /// An account of the route and its weight (for `weighted`; 1 otherwise).
    public struct Member: Sendable, Equatable {
        public var name: String
        public var weight: Int
        public init(name: String, weight: Int = 1) {
            self.name = name
            self.weight = weight
        }
    }

    /// What to do when a request went out and no answer came back.
    public enum AmbiguousPolicy: String, Sendable, CaseIterable {
        /// Try the next account; the receipt says a duplicate is possible.
        case failover
        /// Stop and report: the message may have been sent.
        case stop
    }

    public var name: String
    /// The order in which accounts are tried for each message.
    public var strategy: any RoutingStrategy
    public var members: [Member]
    public var retry: RetryPolicy
    public var breaker: BreakerPolicy?
    public var onAmbiguous: AmbiguousPolicy
    /// A JSON file holding the route's shared state (the strategy's position, the breaker's circuits),
    /// so several processes on one machine share it. Without one, each process keeps its own.
    public var stateFile: String?
    /// Send what an account can carry and list the rest under the attempt's `dropped`, instead of
    /// skipping the account.
    public var ignoreUnsupported: Bool
    /// `dkim:` of the route, which its accounts without their own sign with.
    var dkim: DKIMSettings?
    /// Suppression reasons this route sends despite (`suppressions: {ignore: [unsubscribed]}`):
    /// a password reset still reaches someone who left the newsletter.
    public var ignoredSuppressions: Set<Suppression.Reason> = []

    public init(name: String, strategy: any RoutingStrategy = FailoverStrategy(), members: [Member], retry: RetryPolicy = RetryPolicy(),
                breaker: BreakerPolicy? = nil, onAmbiguous: AmbiguousPolicy = .stop, stateFile: String? = nil,
                ignoreUnsupported: Bool = false) {
        self.name = name
        self.strategy = strategy
        self.members = members
        self.retry = retry
        self.breaker = breaker
        self.onAmbiguous = onAmbiguous
        self.stateFile = stateFile
        self.ignoreUnsupported = ignoreUnsupported
    }

    /// A route of one account, for `--account NAME`.
    package static func single(_ account: String, like base: Route?) -> Route {
        Route(name: "account:\(account)", members: [Member(name: account)], retry: base?.retry ?? RetryPolicy(),
              onAmbiguous: base?.onAmbiguous ?? .stop, ignoreUnsupported: base?.ignoreUnsupported ?? false)
    }
}
