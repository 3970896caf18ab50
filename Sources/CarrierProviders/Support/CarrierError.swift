/// Every error the library throws, by what the user has to fix.
public enum CarrierError: Error, Sendable, CustomStringConvertible {
    /// `carrier.yaml`, an account, or a missing credential.
    case configuration(ConfigurationError)
    /// A file Carrier keeps (spool, journal, event log) that cannot be read or written.
    case storage(StorageError)
    /// A send refused to protect a credential (no TLS), or a credential in the wrong form.
    case policy(PolicyError)
    /// A provider file that does not load.
    case definition(DiagnosticsError)
    /// A provider template that failed while rendering this message.
    case template(MappingError)
    /// The message itself.
    case message(MessageError)
    /// A header the engine refused to write: a name or value that would break the header block.
    case header(HeaderInjectionError)
    /// No account could take the message; the receipt lists every attempt.
    case notSent(Receipt)
    /// The account cannot carry something the message uses (`carrier render`); one reason per part.
    case unsupported(account: String, reasons: [String])

    public var description: String {
        switch self {
        case .configuration(let e): return "configuration error: \(e)"
        case .storage(let e): return "storage error: \(e)"
        case .policy(let e): return "refused: \(e)"
        case .definition(let e): return e.description
        case .template(let e): return e.description
        case .message(let e): return e.description
        case .header(let e): return e.description
        case .notSent(let receipt): return receipt.failureSummary
        case .unsupported(let account, let reasons):
            return "account '\(account)' cannot carry this message: " + reasons.joined(separator: "; ")
                + " (remove those parts, choose another account, or set ignore_unsupported: true to send without them)"
        }
    }

    /// Whether a store could not be used: passing, unlike the message's or the configuration's faults.
    public var isStorage: Bool {
        if case .storage = self { return true }
        return false
    }
}
