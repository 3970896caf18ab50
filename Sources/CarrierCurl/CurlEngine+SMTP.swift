import CCurl
import Foundation

/// What the engine remembers of an SMTP server's open connection between transactions.
struct SMTPSession: Sendable {
    /// Messages sent over the current connection.
    var messages = 0
    /// Whether the server offered SMTPUTF8 in its EHLO reply (a reused connection sends no EHLO).
    var offersSMTPUTF8 = false
}

extension CurlEngine {
    /// Runs one SMTP transaction. libcurl's connection cache keeps the session per server and
    /// login, so consecutive messages reuse it; after `maxMessagesPerConnection` it is closed.
    public func send(_ request: SMTPRequest, options: TransferOptions) async -> Result<SMTPResult, SMTPFailure> {
        let key = "smtp|\(request.host)|\(request.port)|\(request.username ?? "")"
        let session = smtpSessions.withLock { $0[key] ?? SMTPSession() }
        let lastOnConnection = session.messages + 1 >= (request.maxMessagesPerConnection ?? .max)
        return await run(key: key, configure: { handle in
            Self.configureSMTP(handle, request, options, offersSMTPUTF8: session.offersSMTPUTF8, lastOnConnection: lastOnConnection)
        }, finish: { handle, code in
            let collector = handle.endCollecting()
            let transcript = collector.transcript!
            let reply = handle.info(CURLINFO_RESPONSE_CODE)
            self.smtpSessions.withLock { sessions in
                var session = sessions[key] ?? SMTPSession()
                if code == CURLE_OK { session.messages = lastOnConnection ? 0 : (transcript.reused ? session.messages : 0) + 1 }
                if transcript.ehloAnswered { session.offersSMTPUTF8 = transcript.offersSMTPUTF8 }
                sessions[key] = session
            }
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
                // Only when the server was asked (its EHLO reply, or the upload check on a reused
                // connection): a refused connection or a TLS failure is not about SMTPUTF8.
                let withoutUTF8 = collector.uploadRefused || (collector.mayUploadWasSet && transcript.ehloAnswered && !transcript.offersSMTPUTF8)
                if withoutUTF8 {
                    error.kind = .refused
                    error.requestSent = false
                    error.message = "the server at \(request.host):\(request.port) does not offer SMTPUTF8, which the non-ASCII addresses "
                        + "of this message need; the message was not sent"
                        + (transcript.lastErrorReply.map { " (server said: \($0))" } ?? "")
                }
                if transcript.greetingRefused && !transcript.dataSent {
                    error.kind = .refused
                    error.message = "the server refused the connection in its greeting: \(transcript.lines.first { $0.hasPrefix("S: ") }?.dropFirst(3) ?? "no greeting")"
                }
                var failure = SMTPFailure(transfer: error, replyCode: reply > 0 ? reply : nil, lastReply: transcript.lastErrorReply ?? transcript.lastReply,
                                          transcript: transcript.lines, dataSent: transcript.dataSent && !collector.uploadRefused,
                                          rejected: transcript.rejected, reusedConnection: transcript.reused)
                failure.aboutServer = withoutUTF8 || (transcript.greetingRefused && !transcript.dataSent)
                return .failure(failure)
            }
            return .success(SMTPResult(replyCode: reply, lastReply: transcript.lastReply ?? "", rejected: transcript.rejected,
                                       transcript: transcript.lines, reusedConnection: transcript.reused))
        })
    }

    private static func configureSMTP(_ handle: CurlHandle, _ request: SMTPRequest, _ options: TransferOptions,
                                      offersSMTPUTF8: Bool, lastOnConnection: Bool) {
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
        if request.freshConnection { handle.set(CURLOPT_FRESH_CONNECT, true) }
        if lastOnConnection { handle.set(CURLOPT_FORBID_REUSE, true) }  // closed after this message
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
        let transcript = SMTPTranscript()
        collector.transcript = transcript
        // Non-ASCII addresses need SMTPUTF8 (RFC 6531); libcurl asks for it when the server
        // offers it. When it does not, the upload is stopped before the message's first byte.
        if ([request.mailFrom] + request.recipients).contains(where: { !$0.utf8.allSatisfy { $0 < 0x80 } }) {
            collector.mayUpload = { transcript.ehloAnswered ? transcript.offersSMTPUTF8 : offersSMTPUTF8 }
            collector.mayUploadWasSet = true
        }
        handle.beginCollecting(collector)
        handle.set(CURLOPT_VERBOSE, true)
        handle.attachTranscript(handle.collector!)
    }
}

extension CurlHandle {
    /// Routes libcurl's debug output (the SMTP conversation) into the collector's transcript.
    func attachTranscript(_ pointer: UnsafeMutableRawPointer) {
        _ = carrier_curl_setopt_pointer(raw, CURLOPT_DEBUGDATA, pointer)
        _ = carrier_curl_setopt_debug_function(raw) { _, type, data, size, user in
            // Commands, replies and libcurl's notes; the message itself (DATA) is not decoded.
            guard let user, let data, type == CURLINFO_HEADER_OUT || type == CURLINFO_HEADER_IN || type == CURLINFO_TEXT else { return 0 }
            let collector = Unmanaged<ResponseCollector>.fromOpaque(user).takeUnretainedValue()
            let text = UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size)
            switch type {
            case CURLINFO_HEADER_OUT: collector.transcript?.client(text)
            case CURLINFO_HEADER_IN: collector.transcript?.server(text)
            default: collector.transcript?.info(text)
            }
            return 0
        }
    }
}
