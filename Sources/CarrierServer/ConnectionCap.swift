import NIOConcurrencyHelpers
import NIOCore

/// Keeps at most `limit` connections open at once: one past it is closed as soon as it is
/// accepted, so slow or idle clients cannot take every descriptor of the process. The idle
/// timeout cuts them meanwhile; `/health` answers again as soon as a place is free.
final class ConnectionCap: Sendable {
    let limit: Int
    private let open = NIOLockedValueBox(0)

    init(limit: Int) { self.limit = max(1, limit) }

    /// The handler each new connection gets.
    func handler() -> any RemovableChannelHandler { Handler(cap: self) }

    private final class Handler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = NIOAny
        private let cap: ConnectionCap
        private let counted = NIOLockedValueBox(false)

        init(cap: ConnectionCap) { self.cap = cap }

        func handlerAdded(context: ChannelHandlerContext) {
            let admitted = cap.open.withLockedValue { open -> Bool in
                guard open < cap.limit else { return false }
                open += 1
                return true
            }
            counted.withLockedValue { $0 = admitted }
            if !admitted { context.close(promise: nil) }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            let wasCounted = counted.withLockedValue { counted -> Bool in
                defer { counted = false }
                return counted
            }
            if wasCounted { cap.open.withLockedValue { $0 -= 1 } }
        }
    }
}
