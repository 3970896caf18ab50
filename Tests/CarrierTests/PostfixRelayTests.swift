import Carrier
import Foundation
import Testing

/// The deployment most users will have: Postfix in front of the gateway, relaying to it over
/// STARTTLS with SASL (`relayhost = [127.0.0.1]:PORT`). A message handed to Postfix's own
/// `sendmail` must reach the ESP's API (the capture server).
@Suite("Postfix relays to carrier serve", .enabled(if: Peers.postfix, "needs Postfix and root, as make test has"))
struct PostfixRelayTests {
    @Test func sendmailThroughPostfixReachesTheESP() async throws {
        let server = try CaptureServer()
        defer { server.stop() }
        try await server.script(["*": [Answer.json(200, .object(["success": true, "message_ids": ["mt-pf"]]))]])
        let folder = try ServeTests.project(server, smtp: """
                listen: 127.0.0.1:0
                tls: {certificate: cert.pem, key: key.pem}
            """)
        defer { folder.remove() }
        let gateway = try GatewayProcess(folder: folder.path, smtpListeners: 1)
        defer { gateway.stop() }

        // A Postfix instance of its own: configuration, queue and data under the test folder.
        let postfix = try PostfixInstance(folder: folder.path + "/postfix", relay: gateway.smtpPorts[0], user: "shop", password: "pw-shop")
        defer { postfix.stop() }
        let message = "From: Shop <orders@shop.example.com>\nTo: Ann <ann@example.com>\nSubject: relayed by Postfix\n\nHello from Postfix.\n"
        let sent = try run("/usr/sbin/sendmail", ["-C", postfix.config, "-f", "orders@shop.example.com", "ann@example.com"], input: Data(message.utf8))
        #expect(sent.status == 0, "\(sent.stderr)")
        try await poll("the message reaches the ESP", seconds: 60) { try await server.requests().count == 1 }
        let request = try #require(try await server.requests().first).json
        #expect(request["subject"] == "relayed by Postfix" && request["to"][0]["email"] == "ann@example.com")
        #expect(request["text"].text.contains("Hello from Postfix."))
        let log = (try? String(contentsOfFile: postfix.log, encoding: .utf8)) ?? ""
        #expect(log.contains("status=sent (250 2.0.0 Ok: queued as "), "\(log)")
        #expect(log.contains("TLS connection established to 127.0.0.1"), "Postfix relayed over STARTTLS: \(log)")
    }
}

/// A private Postfix (its own main.cf, queue and log) relaying everything to one host with SASL
/// and mandatory STARTTLS; stopped by the test that started it.
struct PostfixInstance {
    let config: String
    let log: String

    init(folder: String, relay port: Int, user: String, password: String) throws {
        config = folder + "/conf"
        log = folder + "/postfix.log"
        for sub in ["conf", "queue", "data"] { try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true) }
        // Postfix's daemons run as the postfix user: they must reach the folder, and own its data.
        var path = folder
        while path != "/" && !path.isEmpty {
            chmod(path, 0o755)
            path = (path as NSString).deletingLastPathComponent
        }
        guard let account = getpwnam("postfix") else { throw TestFailure("no postfix user") }
        chown(folder + "/data", account.pointee.pw_uid, account.pointee.pw_gid)
        try FileManager.default.copyItem(atPath: "/etc/postfix/master.cf", toPath: config + "/master.cf")
        let main = """
            compatibility_level = 3.6
            queue_directory = \(folder)/queue
            data_directory = \(folder)/data
            mail_owner = postfix
            setgid_group = postdrop
            inet_interfaces = loopback-only
            inet_protocols = ipv4
            master_service_disable = inet
            myhostname = relay.test.invalid
            mydestination =
            local_transport = error:no local delivery
            relayhost = [127.0.0.1]:\(port)
            smtp_sasl_auth_enable = yes
            smtp_sasl_password_maps = static:\(user):\(password)
            smtp_sasl_security_options = noanonymous
            smtp_sasl_tls_security_options = noanonymous
            smtp_tls_security_level = encrypt
            smtp_tls_loglevel = 1
            maillog_file_prefixes = \(folder)
            maillog_file = \(log)

            """
        try main.write(toFile: config + "/main.cf", atomically: true, encoding: .utf8)
        let started = try run("/usr/sbin/postfix", ["-c", config, "start"])
        guard started.status == 0 else { throw TestFailure("postfix did not start: \(started.stdout)\(started.stderr)") }
    }

    func stop() {
        _ = try? run("/usr/sbin/postfix", ["-c", config, "stop"])
    }
}
