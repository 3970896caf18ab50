import CarrierCurl

extension ErrorClass {
    /// The class of a transfer that failed before a complete answer, for every channel: a TLS
    /// failure is about the account (`failover`); a request that cannot be built is `permanent`
    /// for that message; a request that may have reached the server,
    /// or an SMTP message whose DATA went out, is `ambiguous`; anything else is worth a `retry`.
    package static func forTransfer(_ error: TransferError, messageMayHaveGone: Bool) -> ErrorClass {
        if error.kind == .tls { return .failover }
        if error.kind == .malformed { return .permanent }
        return messageMayHaveGone ? .ambiguous : .retry
    }
}
