import Carrier
import CarrierGateway
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The gateway's SMTP submission listener on SwiftNIO and swift-nio-ssl: one or more addresses,
/// each plain (loopback only), STARTTLS (port 587 style) or implicit TLS (port 465 style).
/// A swift-service-lifecycle `Service`: on a graceful shutdown it stops listening and sessions
/// get `421` at their next command.
public final class SMTPListener: Service, Sendable {
    public let gateway: Gateway
    public let settings: GatewayConfiguration.SMTP
    let logger: Logger
    private let tls: NIOSSLContext?
    private let open = Atomic<Int>(0)
    private let ready: @Sendable ([Int]) -> Void

    /// - Parameter ready: gets the bound ports, in the order of the listeners, once all listen.
    public init(gateway: Gateway, settings: GatewayConfiguration.SMTP, logger: Logger? = nil,
                ready: @escaping @Sendable ([Int]) -> Void = { _ in }) throws {
        self.gateway = gateway
        self.settings = settings
        self.logger = logger ?? gateway.logger
        self.ready = ready
        if let certificate = settings.certificate, let key = settings.key {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
    }

    /// Counts a new session; false when the connection cap is reached.
    func sessionOpened() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        guard now <= settings.maxConnections else { return false }
        Counter(label: "carrier_gateway_smtp_sessions_total", factory: gateway.metrics).increment()
        Gauge(label: "carrier_gateway_smtp_sessions_open", factory: gateway.metrics).record(now)
        return true
    }

    func sessionClosed() {
        let now = open.subtract(1, ordering: .relaxed).newValue
        Gauge(label: "carrier_gateway_smtp_sessions_open", factory: gateway.metrics).record(max(0, now))
    }

    public func run() async throws {
        var channels: [any NIOCore.Channel] = []
        for listener in settings.listeners {
            let implicit = listener.tls == .implicit
            let session = SMTPSession.Settings(hostname: settings.hostname, maxMessageBytes: settings.maxMessageBytes,
                                               maxRecipients: settings.maxRecipients, offersStartTLS: listener.tls == .starttls && tls != nil,
                                               authWithoutTLS: listener.tls == .none && settings.allowPlainAuth && listener.address.isLoopback,
                                               anonymousClient: listener.address.isLoopback ? settings.loopbackClient.flatMap { gateway.settings.clients[$0] } : nil)
            let tls = self.tls
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicit, let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                        try channel.pipeline.syncOperations.addHandler(SMTPConnectionHandler(listener: self, tls: tls, isTLS: implicit, settings: session))
                    }
                }
                .bind(host: listener.address.host, port: listener.address.port).get()
            channels.append(channel)
        }
        ready(channels.map { $0.localAddress?.port ?? 0 })
        try? await gracefulShutdown()  // listen until the group shuts down (or is cancelled)
        for channel in channels { try? await channel.close() }
    }
}
