/// What became of one recipient of a bulk run.
package enum BulkOutcome: Sendable {
    case sent(String?, [String])
    /// Sent to some of the recipient's addresses.
    case partial(String?, [String])
    /// Not sent: why, the error, and where the spool kept the message (if it did).
    case failed(Cause, String, spoolPath: String? = nil)

    /// Why a recipient's message was not sent.
    package enum Cause: Sendable, Equatable {
        /// The last attempt's failure class.
        case attempt(ErrorClass)
        /// The message could not be built from the row and the template.
        case input
        /// The journal could not be written, so no send was started.
        case journal
        /// Another error before any attempt (a configuration or spool error).
        case error
        /// No attempt was made.
        case unsent
        /// Every address of the row is on the suppression list.
        case suppressed

        /// The name in the summary's `failed` counts and the journal's `class`.
        package var label: String {
            switch self {
            case .attempt(let errorClass): errorClass.rawValue
            case .input: "input"
            case .journal: "journal"
            case .error: "error"
            case .unsent: "failed"
            case .suppressed: "suppressed"
            }
        }
    }
}

extension BulkJournal {
    /// A recipient's state in the journal.
    public enum State: String, Sendable {
        /// Its send is about to start; with no later line, the request may have gone out.
        case started
        case sent
        /// Refused for good (a permanent failure): not sent again.
        case refused
        /// The request went out without an answer (`ambiguous`): not sent again unless asked.
        case unknown
        /// Kept in the spool, which sends it.
        case spooled
        /// Failed for a passing reason: the next run sends it again.
        case failed

        package init(_ cause: BulkOutcome.Cause, spooled: Bool) {
            if spooled { self = .spooled; return }
            switch cause {
            case .attempt(.permanent): self = .refused
            case .attempt(.ambiguous): self = .unknown
            default: self = .failed
            }
        }
    }
}
