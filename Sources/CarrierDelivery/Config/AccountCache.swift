import Synchronization

/// What one `Mailer` resolves once per account rather than per message: the account itself
/// (`${ENV}` references and secret files), its provider context (settings with defaults,
/// checked credentials, the redactor) and its channel.
final class AccountCache: Sendable {
    private let accounts = Mutex<[String: Account]>([:])
    private let contexts = Mutex<[String: ProviderBinding]>([:])
    private let channels = Mutex<[String: Dispatcher.Prepared]>([:])

    /// An account's channel, made by an earlier send.
    func prepared(_ name: String) -> Dispatcher.Prepared? { channels.withLock { $0[name] } }
    func keep(_ prepared: Dispatcher.Prepared, for name: String) { channels.withLock { $0[name] = prepared } }

    func account(_ name: String, in configuration: Configuration) throws(ConfigurationError) -> Account {
        if let cached = accounts.withLock({ $0[name] }) { return cached }
        let account = try configuration.account(named: name)
        accounts.withLock { $0[name] = account }
        return account
    }

    /// The provider context of an account from this cache.
    func context(for account: Account, definition: ProviderDefinition, runtime: CarrierRuntime) throws(CarrierError) -> ProviderBinding {
        if let cached = contexts.withLock({ $0[account.name] }) { return cached }
        let context = try ProviderBinding(definition: definition, account: account, clock: runtime.clock, secrets: runtime.secrets)
        contexts.withLock { $0[account.name] = context }
        return context
    }
}
