import CCurl
import Foundation

/// How an SMTP connection is protected.
public enum TLSMode: String, Sendable, Hashable, CaseIterable {
    /// STARTTLS is required: if the server does not offer it, nothing is sent (never downgraded).
    case starttls
    /// TLS from the first byte (port 465 style).
    case implicit
    /// No TLS at all (only when an account asks for it).
    case none
}

/// One SMTP transaction as libcurl performs it: connect (TLS as asked), EHLO, AUTH, MAIL, RCPT, DATA.
public struct SMTPRequest: Sendable {
    public var host: String
    public var port: Int
    public var tls: TLSMode
    /// The name given in EHLO.
    public var helo: String
    public var mailFrom: String
    public var recipients: [String]
    public var data: Data
    public var username: String?
    public var password: String?
    /// An OAuth2 access token for XOAUTH2.
    public var bearer: String?
    /// `PLAIN`, `LOGIN` or `XOAUTH2` to pin; nil lets libcurl choose from what the server offers.
    public var mechanism: String?
    /// Open a new connection instead of reusing an idle one.
    public var freshConnection: Bool
    /// After this many messages a connection is replaced by a new one.
    public var maxMessagesPerConnection: Int?

    public init(host: String, port: Int, tls: TLSMode, helo: String, mailFrom: String, recipients: [String], data: Data,
                username: String? = nil, password: String? = nil, bearer: String? = nil, mechanism: String? = nil,
                freshConnection: Bool = false, maxMessagesPerConnection: Int? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.helo = helo
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.data = data
        self.username = username
        self.password = password
        self.bearer = bearer
        self.mechanism = mechanism
        self.freshConnection = freshConnection
        self.maxMessagesPerConnection = maxMessagesPerConnection
    }
}

/// What happened in an SMTP transaction.
public struct SMTPResult: Sendable {
    /// The last reply code (250 when the message was queued).
    public var replyCode: Int
    /// The last reply line from the server.
    public var lastReply: String
    /// Recipients the server refused at RCPT TO, with its reply.
    public var rejected: [(recipient: String, reply: String)]
    /// The conversation, client lines as `C: …`, server lines as `S: …`, credentials as `***`.
    public var transcript: [String]
    /// Whether an idle connection was reused.
    public var reusedConnection: Bool
}

/// An SMTP failure with the conversation that led to it.
public struct SMTPFailure: Error, Sendable {
    public var transfer: TransferError
    /// The server's reply code, when it gave one.
    public var replyCode: Int?
    public var lastReply: String?
    public var transcript: [String]
    /// Whether DATA had been sent (the message may have been accepted).
    public var dataSent: Bool
    public var rejected: [(recipient: String, reply: String)]
    /// Whether the transaction ran on a connection kept from an earlier message.
    public var reusedConnection: Bool
}

/// Collects the SMTP conversation from libcurl's debug callback.
final class SMTPTranscript {
    var lines: [String] = []
    var inAuth = false
    var dataSent = false
    var lastReply: String?
    /// The last reply with a 4xx or 5xx code: what the failure is about (later lines may be "221 Bye").
    var lastErrorReply: String?
    var pendingRecipient: String?
    var rejected: [(recipient: String, reply: String)] = []
    var reused = false

    func client(_ text: String) {
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init) {
            let upper = line.uppercased()
            if upper.hasPrefix("AUTH ") {
                inAuth = true
                let parts = line.split(separator: " ")
                lines.append("C: AUTH \(parts.count > 1 ? parts[1] : "")" + (parts.count > 2 ? " ***" : ""))
            } else if inAuth {
                lines.append("C: ***")
            } else {
                lines.append("C: " + line)
                if upper.hasPrefix("RCPT TO:") { pendingRecipient = Self.address(in: line) }
                if upper == "DATA" { dataSent = true }
            }
        }
    }

    func server(_ text: String) {
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init) {
            lines.append("S: " + line)
            lastReply = line
            let code = Int(line.prefix(3)) ?? 0
            if code >= 400 && pendingRecipient == nil { lastErrorReply = line }
            if inAuth && code != 334 { inAuth = false }
            let isFinal = line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-"
            if isFinal, let recipient = pendingRecipient {
                if code >= 400 { rejected.append((recipient, line)) }
                pendingRecipient = nil
            }
        }
    }

    func info(_ text: String) {
        if text.hasPrefix("Re-using existing connection") || text.hasPrefix("Reusing existing connection") { reused = true }
    }

    static func address(in line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.firstIndex(of: ">"), open < close else { return line }
        return String(line[line.index(after: open)..<close])
    }
}

extension CurlEngine {
    /// Runs one SMTP transaction. The handle pool key keeps connections per server and login,
    /// so consecutive messages reuse the session.
    public func send(_ request: SMTPRequest, options: TransferOptions) async -> Result<SMTPResult, SMTPFailure> {
        let key = "smtp|\(request.host)|\(request.port)|\(request.username ?? "")"
        return await run(key: key, configure: { handle in
            Self.configureSMTP(handle, request, options)
        }, finish: { handle, code in
            let collector = Unmanaged<ResponseCollector>.fromOpaque(handle.collector!).takeRetainedValue()
            handle.collector = nil
            let transcript = collector.transcript!
            let reply = handle.info(CURLINFO_RESPONSE_CODE)
            if code == CURLE_OK { handle.messagesOnConnection += 1 }
            guard code == CURLE_OK else {
                var error = Self.transferError(code, handle: handle, errorBuffer: collector.errorText)
                error.requestSent = transcript.dataSent
                if let refusal = transcript.lastErrorReply, code != CURLE_USE_SSL_FAILED {
                    error.kind = .refused
                    error.message = "the server refused: \(refusal)"
                }
                if code == CURLE_USE_SSL_FAILED {
                    error.message = "the server at \(request.host):\(request.port) does not offer STARTTLS, which this account requires; nothing was sent"
                }
                return .failure(SMTPFailure(transfer: error, replyCode: reply > 0 ? reply : nil, lastReply: transcript.lastErrorReply ?? transcript.lastReply,
                                            transcript: transcript.lines, dataSent: transcript.dataSent, rejected: transcript.rejected,
                                            reusedConnection: transcript.reused))
            }
            return .success(SMTPResult(replyCode: reply, lastReply: transcript.lastReply ?? "", rejected: transcript.rejected,
                                       transcript: transcript.lines, reusedConnection: transcript.reused))
        })
    }

    private static func configureSMTP(_ handle: CurlHandle, _ request: SMTPRequest, _ options: TransferOptions) {
        let scheme = request.tls == .implicit ? "smtps" : "smtp"
        // The URL's path is the EHLO name.
        handle.set(CURLOPT_URL, "\(scheme)://\(request.host):\(request.port)/\(request.helo)")
        handle.set(CURLOPT_NOSIGNAL, true)
        handle.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        handle.set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        handle.set(CURLOPT_TIMEOUT_MS, Int(options.totalTimeout * 1000))
        switch request.tls {
        case .starttls: handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        case .implicit: handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        case .none: handle.set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        }
        if let caFile = options.caFile { handle.set(CURLOPT_CAINFO, caFile) }
        if request.freshConnection || handle.messagesOnConnection >= (request.maxMessagesPerConnection ?? .max) {
            handle.set(CURLOPT_FRESH_CONNECT, true)
            handle.messagesOnConnection = 0
        }
        if let username = request.username { handle.set(CURLOPT_USERNAME, username) }
        if let password = request.password { handle.set(CURLOPT_PASSWORD, password) }
        if let bearer = request.bearer { handle.set(CURLOPT_XOAUTH2_BEARER, bearer) }
        if let mechanism = request.mechanism { handle.set(CURLOPT_LOGIN_OPTIONS, "AUTH=\(mechanism)") }
        handle.set(CURLOPT_SASL_IR, true)  // the initial response with AUTH saves a round trip
        handle.set(CURLOPT_MAIL_FROM, "<\(request.mailFrom)>")
        handle.set(CURLOPT_MAIL_RCPT, list: request.recipients.map { "<\($0)>" })
        handle.set(CURLOPT_MAIL_RCPT_ALLLOWFAILS, true)
        handle.set(CURLOPT_UPLOAD, true)
        handle.set(CURLOPT_INFILESIZE_LARGE, request.data.count)
        let collector = ResponseCollector()
        collector.upload = request.data
        collector.transcript = SMTPTranscript()
        handle.collector = Unmanaged.passRetained(collector).toOpaque()
        handle.attach(collector: handle.collector!)
        handle.set(CURLOPT_VERBOSE, true)
        handle.attachTranscript(handle.collector!)
    }
}

extension CurlHandle {
    /// Routes libcurl's debug output (the SMTP conversation) into the collector's transcript.
    func attachTranscript(_ pointer: UnsafeMutableRawPointer) {
        _ = carrier_curl_setopt_pointer(raw, CURLOPT_DEBUGDATA, pointer)
        _ = carrier_curl_setopt_debug_function(raw) { _, type, data, size, user in
            guard let user, let data else { return 0 }
            let collector = Unmanaged<ResponseCollector>.fromOpaque(user).takeUnretainedValue()
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            switch type {
            case CURLINFO_HEADER_OUT: collector.transcript?.client(text)
            case CURLINFO_HEADER_IN: collector.transcript?.server(text)
            case CURLINFO_TEXT: collector.transcript?.info(text)
            default: break
            }
            return 0
        }
    }
}
