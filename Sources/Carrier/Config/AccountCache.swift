import Synchronization

/// Resolved accounts of one `Mailer`: `${ENV}` references and secret files are read the first
/// time an account is used, not for every message.
final class AccountCache: Sendable {
    private let resolved = Mutex<[String: Account]>([:])

    func account(_ name: String, in configuration: Configuration) throws(ConfigurationError) -> Account {
        if let cached = resolved.withLock({ $0[name] }) { return cached }
        let account = try configuration.account(named: name)
        resolved.withLock { $0[name] = account }
        return account
    }
}
