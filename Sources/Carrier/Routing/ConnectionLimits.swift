/// Bounds how many SMTP transactions an account runs at once, and so how many connections it opens.
actor ConnectionLimits {
    static let shared = ConnectionLimits()
    private var limiters: [String: AsyncLimiter] = [:]

    /// The limiter of an SMTP account (`smtp: {connections: N}`, default 1); nil for other channels.
    func limiter(for account: Account) -> AsyncLimiter? {
        guard account.channel == .smtp else { return nil }
        if let existing = limiters[account.name] { return existing }
        let limiter = AsyncLimiter(limit: max(1, account.smtp?.connections ?? 1))
        limiters[account.name] = limiter
        return limiter
    }
}
