import Carrier
import CarrierGateway
import Foundation

/// One SMTP submission session as a state machine: command lines in, replies and actions out.
/// ``SMTPConnectionHandler`` feeds it from the socket; nothing here touches the network, so every
/// rule of the dialogue (RFC 5321, 3207, 4954, 1870, 6152, 6531, 2920, 3463) reads in one place.
struct SMTPSession {
    /// What the connection should do next.
    enum Action {
        case reply(String)
        /// Send the `220` already in the replies, then start TLS and forget any pipelined input.
        case startTLS
        /// Queue the message (the reply comes once it is durable or refused).
        case submit(data: [UInt8], recipients: [String], client: GatewayClient)
        /// Send the replies, then close.
        case close
    }

    struct Settings {
        var hostname: String
        var maxMessageBytes: Int
        var maxRecipients: Int
        /// STARTTLS is offered (a certificate is configured and the listener is not implicit TLS).
        var offersStartTLS: Bool
        /// AUTH is allowed before TLS (loopback only, `allow_plain_auth`).
        var authWithoutTLS: Bool
        /// Who a session that does not log in submits as (a loopback listener's `loopback_client`).
        var anonymousClient: GatewayClient? = nil
    }

    /// The longest command line taken (RFC 5321 says 512; AUTH lines with long tokens need more).
    static let maximumCommandLength = 4096
    /// The longest line of a message, without its CRLF (RFC 5322 §2.1.1).
    static let maximumDataLineLength = 998

    let settings: Settings
    let authenticate: (String, String) -> GatewayClient?
    private(set) var isTLS: Bool
    private var greeted = false
    private(set) var client: GatewayClient?
    private var sender: String?
    private var recipients: [String] = []
    private var pendingAuth: PendingAuth?
    private var failedLogins = 0
    /// The message being received, once DATA was accepted.
    private var data: [UInt8]?
    private var dataProblem: SubmissionError?
    private(set) var isClosed = false

    private enum PendingAuth {
        case plain
        case loginUser
        case loginPassword(user: String)
    }

    init(settings: Settings, isTLS: Bool, authenticate: @escaping (String, String) -> GatewayClient?) {
        self.settings = settings
        self.isTLS = isTLS
        self.authenticate = authenticate
    }

    /// Whether lines are message content (after `354`) rather than commands.
    var isReceivingData: Bool { data != nil }

    var greeting: String { "220 \(settings.hostname) ESMTP Carrier" }

    mutating func tlsStarted() {
        isTLS = true
        greeted = false  // RFC 3207: the client starts again with EHLO
        resetTransaction()
        client = nil
    }

    private mutating func resetTransaction() {
        sender = nil
        recipients = []
        data = nil
        dataProblem = nil
    }

    private var mayAuthenticate: Bool { isTLS || settings.authWithoutTLS }

    // MARK: Commands

    mutating func command(_ line: String) -> [Action] {
        if let pending = pendingAuth { return authContinuation(pending, line) }
        let verb = line.prefix { $0 != " " }.uppercased()
        let argument = line.dropFirst(verb.count).trimmingWhitespace()
        switch verb {
        case "EHLO": return ehlo(argument)
        case "HELO":
            guard !argument.isEmpty else { return [.reply("501 5.5.4 HELO needs a domain")] }
            greeted = true
            resetTransaction()
            return [.reply("250 \(settings.hostname)")]
        case "STARTTLS": return startTLS(argument)
        case "AUTH": return auth(argument)
        case "MAIL": return mail(argument)
        case "RCPT": return rcpt(argument)
        case "DATA":
            guard argument.isEmpty else { return [.reply("501 5.5.4 DATA takes no argument")] }
            guard sender != nil else { return [.reply("503 5.5.1 MAIL FROM first")] }
            guard !recipients.isEmpty else { return [.reply("554 5.5.1 no valid recipients")] }
            data = []
            return [.reply("354 End data with <CR><LF>.<CR><LF>")]
        case "BDAT": return [.reply("502 5.5.1 CHUNKING is not offered; use DATA")]
        case "RSET":
            resetTransaction()
            return [.reply("250 2.0.0 Ok")]
        case "NOOP": return [.reply("250 2.0.0 Ok")]
        case "QUIT":
            isClosed = true
            return [.reply("221 2.0.0 Bye"), .close]
        case "VRFY": return [.reply("252 2.5.0 Cannot VRFY; send the message and Carrier will try")]
        case "HELP": return [.reply("214 2.0.0 See https://github.com/carrier-mail/carrier docs/serve.md")]
        default: return [.reply("500 5.5.2 Command not recognised")]
        }
    }

    private mutating func ehlo(_ domain: String) -> [Action] {
        guard !domain.isEmpty else { return [.reply("501 5.5.4 EHLO needs a domain")] }
        greeted = true
        resetTransaction()
        var lines = [settings.hostname, "SIZE \(settings.maxMessageBytes)", "8BITMIME", "SMTPUTF8", "PIPELINING", "ENHANCEDSTATUSCODES"]
        if settings.offersStartTLS && !isTLS { lines.append("STARTTLS") }
        if mayAuthenticate && client == nil { lines.append("AUTH PLAIN LOGIN") }
        let reply = lines.enumerated().map { index, text in "250" + (index == lines.count - 1 ? " " : "-") + text }.joined(separator: "\r\n")
        return [.reply(reply)]
    }

    private mutating func startTLS(_ argument: String) -> [Action] {
        guard argument.isEmpty else { return [.reply("501 5.5.4 STARTTLS takes no argument")] }
        guard settings.offersStartTLS, !isTLS else { return [.reply("502 5.5.1 STARTTLS is not offered here")] }
        return [.reply("220 2.0.0 Ready to start TLS"), .startTLS]
    }

    // MARK: AUTH (RFC 4954)

    private mutating func auth(_ argument: String) -> [Action] {
        guard greeted else { return [.reply("503 5.5.1 EHLO first")] }
        guard client == nil else { return [.reply("503 5.5.1 Already authenticated")] }
        guard mayAuthenticate else { return [.reply("538 5.7.11 Encryption required: STARTTLS first")] }
        guard sender == nil else { return [.reply("503 5.5.1 AUTH is not allowed during a mail transaction")] }
        let parts = argument.split(separator: " ", maxSplits: 1)
        switch parts.first?.uppercased() {
        case "PLAIN":
            if parts.count == 2 { return plain(String(parts[1])) }
            pendingAuth = .plain
            return [.reply("334 ")]
        case "LOGIN":
            if parts.count == 2, let user = Self.base64Text(String(parts[1])) {
                pendingAuth = .loginPassword(user: user)
                return [.reply("334 UGFzc3dvcmQ6")]
            }
            pendingAuth = .loginUser
            return [.reply("334 VXNlcm5hbWU6")]
        default:
            return [.reply("504 5.5.4 Unrecognised authentication type; PLAIN and LOGIN are offered")]
        }
    }

    private mutating func authContinuation(_ pending: PendingAuth, _ line: String) -> [Action] {
        pendingAuth = nil
        if line == "*" { return [.reply("501 5.7.0 Authentication cancelled")] }
        switch pending {
        case .plain: return plain(line)
        case .loginUser:
            guard let user = Self.base64Text(line) else { return [.reply("501 5.5.2 Cannot decode the response")] }
            pendingAuth = .loginPassword(user: user)
            return [.reply("334 UGFzc3dvcmQ6")]
        case .loginPassword(let user):
            guard let password = Self.base64Text(line) else { return [.reply("501 5.5.2 Cannot decode the response")] }
            return login(user, password)
        }
    }

    /// `authzid NUL authcid NUL password`, base64 (RFC 4616).
    private mutating func plain(_ encoded: String) -> [Action] {
        guard let data = Data(base64Encoded: encoded) else { return [.reply("501 5.5.2 Cannot decode the response")] }
        let fields = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard fields.count == 3 else { return [.reply("501 5.5.2 PLAIN needs authzid NUL user NUL password")] }
        return login(fields[1], fields[2])
    }

    private mutating func login(_ user: String, _ password: String) -> [Action] {
        if let found = authenticate(user, password) {
            client = found
            return [.reply("235 2.7.0 Authentication successful")]
        }
        failedLogins += 1
        if failedLogins >= 3 {
            isClosed = true
            return [.reply("421 4.7.0 Too many failed logins; closing"), .close]
        }
        return [.reply("535 5.7.8 Authentication credentials invalid")]
    }

    static func base64Text(_ text: String) -> String? {
        Data(base64Encoded: text.trimmingWhitespace()).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: The envelope

    private mutating func mail(_ argument: String) -> [Action] {
        guard greeted else { return [.reply("503 5.5.1 EHLO first")] }
        guard let client = client ?? settings.anonymousClient else {
            return [.reply(mayAuthenticate ? "530 5.7.0 Authentication required" : "530 5.7.0 Must issue a STARTTLS command first")]
        }
        guard sender == nil else { return [.reply("503 5.5.1 Nested MAIL command")] }
        guard argument.uppercased().hasPrefix("FROM:"), let (address, parameters) = Self.path(argument.dropFirst(5)) else {
            return [.reply("501 5.5.4 Syntax: MAIL FROM:<address>")]
        }
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            switch pair[0].uppercased() {
            case "SIZE":
                guard pair.count == 2, let size = Int(pair[1]) else { return [.reply("501 5.5.4 SIZE needs a number")] }
                if size > settings.maxMessageBytes {
                    return [.reply("552 5.3.4 Message size exceeds the limit of \(settings.maxMessageBytes) bytes")]
                }
            case "BODY":
                guard pair.count == 2, ["7BIT", "8BITMIME"].contains(pair[1].uppercased()) else { return [.reply("501 5.5.4 BODY is 7BIT or 8BITMIME")] }
            case "SMTPUTF8", "AUTH": break
            default: return [.reply("555 5.5.4 Unsupported MAIL parameter \(pair[0].escapingControlCharacters())")]
            }
        }
        if !address.isEmpty && !client.mayUse(from: address) {
            return [.reply("550 5.7.1 Sender \(address.escapingControlCharacters()) not allowed for this login")]
        }
        sender = address
        return [.reply("250 2.1.0 Ok")]
    }

    private mutating func rcpt(_ argument: String) -> [Action] {
        guard sender != nil else { return [.reply("503 5.5.1 MAIL FROM first")] }
        guard argument.uppercased().hasPrefix("TO:"), let (address, _) = Self.path(argument.dropFirst(3)), !address.isEmpty else {
            return [.reply("501 5.5.4 Syntax: RCPT TO:<address>")]
        }
        guard address.contains(ascii: "@"), !address.hasPrefix("@"), !address.hasSuffix("@") else {
            return [.reply("501 5.1.3 Bad recipient address syntax")]
        }
        guard recipients.count < settings.maxRecipients else {
            return [.reply("452 4.5.3 Too many recipients (at most \(settings.maxRecipients) a message)")]
        }
        recipients.append(address)
        return [.reply("250 2.1.5 Ok")]
    }

    /// `<address> PARAM=… …` → the address (empty for `<>`) and the parameters.
    static func path(_ text: Substring) -> (String, [Substring])? {
        let trimmed = text.drop { $0 == " " }
        guard trimmed.first == "<", let close = trimmed.firstIndex(of: ">") else { return nil }
        var address = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        // A source route (`<@a,@b:user@c>`) is ignored, as RFC 5321 allows.
        if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") { address = String(address[address.index(after: colon)...]) }
        guard !address.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) else { return nil }
        let parameters = trimmed[trimmed.index(after: close)...].split(separator: " ")
        return (address, parameters)
    }

    // MARK: DATA

    /// One line of the message, without its line end. The line `.` ends it when `endsMessage`
    /// (it came as CRLF . CRLF); otherwise it is content.
    mutating func dataLine(_ line: ArraySlice<UInt8>, endsMessage: Bool = true) -> [Action] {
        guard data != nil else { return [] }
        if endsMessage && line.count == 1 && line.first == UInt8(ascii: ".") {
            let message = data!
            let problem = dataProblem
            let to = recipients
            resetTransaction()
            if let problem { return [.reply(problem.smtpReply)] }
            guard let client = client ?? settings.anonymousClient else { return [.reply("530 5.7.0 Authentication required")] }
            return [.submit(data: message, recipients: to, client: client)]
        }
        guard dataProblem == nil else { return [] }
        let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line  // dot-unstuffing
        if content.count > Self.maximumDataLineLength {
            dataProblem = SubmissionError(.invalid, "a line of the message is longer than \(Self.maximumDataLineLength) octets (RFC 5322); encode long lines")
            data = []
            return []
        }
        if data!.count + content.count + 2 > settings.maxMessageBytes {
            dataProblem = SubmissionError(.tooLarge, "Message size exceeds the limit of \(settings.maxMessageBytes) bytes")
            data = []
            return []
        }
        data! += content
        data! += [0x0D, 0x0A]
        return []
    }
}
