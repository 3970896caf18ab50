import Carrier
import CarrierGateway
import Foundation
import Logging
import NIOCore
import NIOSSL

/// One SMTP connection on SwiftNIO: frames lines, runs them through an ``SMTPSession``, writes
/// its replies, starts TLS on STARTTLS and hands finished messages to the gateway. Lines that
/// arrive while a message is being queued (PIPELINING) wait their turn; a session silent past
/// the command (or, inside DATA, the data) timeout is closed with `421`.
final class SMTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var session: SMTPSession
    private let listener: SMTPListener
    private let tls: NIOSSLContext?
    private var input: [UInt8] = []
    /// A message is being queued: further lines wait until its reply is written.
    private var busy = false
    /// The rest of an over-long command line is skipped until its line break.
    private var skippingLongLine = false
    /// Whether the last line read ended in CRLF (a message ends only at CRLF . CRLF).
    private var previousLineEndedWithCRLF = true
    private var timeout: Scheduled<Void>?

    init(listener: SMTPListener, tls: NIOSSLContext?, isTLS: Bool, settings: SMTPSession.Settings) {
        self.listener = listener
        self.tls = tls
        let gateway = listener.gateway
        self.session = SMTPSession(settings: settings, isTLS: isTLS) { user, password in gateway.client(username: user, password: password) }
    }

    func channelActive(context: ChannelHandlerContext) {
        guard listener.sessionOpened() else {
            write("421 4.7.0 \(session.settings.hostname) too many connections; try again later", context: context)
            context.close(promise: nil)
            return
        }
        guard listener.gateway.isAccepting else {
            write("421 4.3.2 \(session.settings.hostname) is shutting down; try again later", context: context)
            context.close(promise: nil)
            return
        }
        write(session.greeting, context: context)
        armTimeout(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        listener.sessionClosed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { input += bytes }
        process(context: context)
        armTimeout(context: context)  // after the lines are read: inside DATA, the data timeout
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        listener.logger.debug("SMTP session error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Works through the complete lines received, until one needs the gateway.
    private func process(context: ChannelHandlerContext) {
        var position = 0
        defer { if position > 0 { input.removeFirst(min(position, input.count)) } }
        while !busy && !session.isClosed && position < input.count {
            if session.isReceivingData {
                // A bare LF ends a line of content (as Postfix normalises it), but only CRLF . CRLF
                // ends the message: a bare-LF dot never does (no SMTP smuggling).
                guard let newline = input[position...].firstIndex(of: 0x0A) else { return }
                let crlf = newline > position && input[newline - 1] == 0x0D
                let actions = session.dataLine(input[position..<(crlf ? newline - 1 : newline)], endsMessage: crlf && previousLineEndedWithCRLF)
                previousLineEndedWithCRLF = crlf
                position = newline + 1
                perform(actions, context: context)
            } else {
                guard let newline = input[position...].firstIndex(of: 0x0A) else {
                    if input.count - position > SMTPSession.maximumCommandLength {
                        position = input.count
                        skippingLongLine = true
                        write("500 5.5.2 Line too long", context: context)
                    }
                    return
                }
                var line = input[position..<newline]
                position = newline + 1
                if skippingLongLine { skippingLongLine = false; continue }
                if line.last == 0x0D { line = line.dropLast() }
                guard line.count <= SMTPSession.maximumCommandLength else {
                    write("500 5.5.2 Line too long", context: context)
                    continue
                }
                guard listener.gateway.isAccepting else {
                    write("421 4.3.2 \(session.settings.hostname) is shutting down; try again later", context: context)
                    context.close(promise: nil)
                    return
                }
                previousLineEndedWithCRLF = true
                let actions = session.command(String(decoding: line, as: UTF8.self))
                if actions.contains(where: { if case .startTLS = $0 { true } else { false } }) {
                    // Anything the client sent after STARTTLS in clear is dropped, never read as if
                    // it had come over TLS (RFC 3207 §4.2).
                    position = input.count
                }
                perform(actions, context: context)
            }
        }
    }

    private func perform(_ actions: [SMTPSession.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .reply(let text):
                write(text, context: context)
            case .close:
                context.close(promise: nil)
            case .startTLS:
                guard let tls else { continue }
                do {
                    try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
                    session.tlsStarted()
                } catch {
                    context.close(promise: nil)
                }
            case .submit(let data, let recipients, let client):
                busy = true
                queue(data, recipients: recipients, client: client, context: context)
            }
        }
    }

    /// Reads the message and queues it; the reply is written back on the event loop once the
    /// message is durable (`250`) or refused.
    private func queue(_ data: [UInt8], recipients: [String], client: GatewayClient, context: ChannelHandlerContext) {
        let gateway = listener.gateway
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        Task {
            let reply: String
            do {
                let message = try MIMEReader.message(from: data, envelopeRecipients: recipients)
                let record = try await gateway.submit(message, client: client, intake: "smtp")
                reply = "250 2.0.0 Ok: queued as \(record.id)"
            } catch let error as SubmissionError {
                reply = error.smtpReply
            } catch let error as MIMEReader.Failure {
                reply = "554 5.6.0 " + error.description
            } catch {
                reply = "451 4.3.0 \(error)"
            }
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.busy = false
                handler.write(reply, context: context)
                handler.process(context: context)
            }
        }
    }

    private func write(_ reply: String, context: ChannelHandlerContext) {
        // Replies are Carrier's own text; what they quote of the client was escaped when they were made.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n")), promise: nil)
    }

    /// Closes the session when the client stays silent past the timeout of what it is doing.
    private func armTimeout(context: ChannelHandlerContext) {
        timeout?.cancel()
        let seconds = session.isReceivingData ? listener.settings.dataTimeout : listener.settings.commandTimeout
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { [self] in
            write("421 4.4.2 \(session.settings.hostname) timeout: nothing received for \(Int(seconds)) s; closing", context: context)
            context.close(promise: nil)
        }
    }
}
