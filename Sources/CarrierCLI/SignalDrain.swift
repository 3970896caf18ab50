import Carrier
import CarrierCurl
import Dispatch
import Foundation
import Synchronization

/// SIGTERM and SIGINT during `send` and `bulk`: the first stops reading input and lets the sends
/// under way finish for up to `grace`; a second signal, or the grace running out, ends them at
/// once (a request that went out is then recorded as ambiguous, never as unsent). Either way every
/// outcome is recorded (receipts, spool, journal) before the command exits.
final class SignalDrain: @unchecked Sendable {  // the sources are only set up and cancelled here
    private let sources: [any DispatchSourceSignal]
    /// Signals received so far (a box, so the handlers can hold it without holding the drain).
    private final class Count: Sendable { let value = Mutex(0) }
    private let received = Count()

    /// - Parameters:
    ///   - engine: the transfers to end when the grace is over.
    ///   - grace: how long the sends under way may take after the first signal.
    init(engine: CurlEngine, grace: Duration = .seconds(30)) {
        let received = self.received
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)  // the source below takes it; the default would end the process at once
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = received.value.withLock { count -> Int in
                    count += 1
                    return count
                }
                if count == 1 {
                    Output.error("carrier: stopping: no more input is read; sends under way may take up to \(grace) "
                                 + "(a second signal ends them now, recorded as possibly sent)")
                    Task {
                        try? await Task.sleep(for: grace)
                        await engine.shutdown()
                    }
                } else if count == 2 {
                    Task { await engine.shutdown() }
                }
            }
            source.resume()
            return source
        }
    }

    /// Whether a signal came: input must not be read further.
    var stopping: Bool { received.value.withLock { $0 > 0 } }

    deinit { for source in sources { source.cancel() } }
}
