import NIOCore
import NIOPosix

/// The threads a server process runs its Swift tasks on.
public enum ServerThreads {
    /// Runs Swift Concurrency's global executor on SwiftNIO's event loops (the ones Hummingbird,
    /// the SMTP listener and postgres-nio already use), so a request's handler does not hop from an
    /// event loop to the cooperative pool and back. Call once, at the start of a server command.
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
