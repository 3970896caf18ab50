/// Bounds how many sends an account has in flight at once: API requests (`concurrency:`) and
/// SMTP transactions, and so connections (`smtp: {connections:}`). One limiter per account and
/// runtime; the channel says the limit (the account's, else the provider file's, else a default).
actor ConnectionLimits {
    private var limiters: [String: AsyncLimiter] = [:]

    /// The limiter of an account whose channel has a limit; nil for one without (`file`).
    func limiter(for account: Account, limit: Int?) -> AsyncLimiter? {
        guard let limit else { return nil }
        let key = "\(account.name)|\(limit)"
        if let existing = limiters[key] { return existing }
        let limiter = AsyncLimiter(limit: max(1, limit))
        limiters[key] = limiter
        return limiter
    }
}
