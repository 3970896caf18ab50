import ServiceLifecycle

extension Mailer: Service {
    /// Runs until a graceful shutdown (or cancellation) of its service group, then lets the
    /// sends under way finish within the runtime's `shutdownGrace`, ends the transfers still in
    /// flight (a request that went out is reported ambiguous), and stops the event-loop thread.
    public func run() async throws {
        try? await gracefulShutdown()
        await runtime.shutdown()
    }
}
