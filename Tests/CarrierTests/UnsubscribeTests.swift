import Carrier
import Foundation
import Testing

/// One-click unsubscribe (RFC 8058, RFC 2369) on bulk mail: the headers each recipient's message
/// carries, signed by DKIM; the server's `POST /unsubscribe/TOKEN` adding to the suppression list
/// (curl as the mail client), its `GET` changing nothing, and the next run skipping the address.
@Suite("One-click unsubscribe", .serialized)
struct UnsubscribeTests {
    @Test("A POST to a bulk message's List-Unsubscribe URL suppresses its recipient; GET and forged tokens change nothing; DKIM covers both headers")
    func oneClick() async throws {
        let keys = try DKIMTests.Keys()
        let folder = keys.folder
        defer { folder.remove() }
        try """
            suppressions: ./suppressions.ndjson
            unsubscribe: {url: "https://mail.shop.example.com/unsubscribe", key: "unsubscribe-key-0123456789abcdef", mailto: unsubscribe@shop.example.com}
            accounts:
              out: {provider: file, directory: ./out, dkim: \(keys.yaml())}
            """.write(toFile: folder.path + "/carrier.yaml", atomically: true, encoding: .utf8)
        try #"{"from": "news@shop.example.com", "subject": "Spring news for {{ recipient.name }}", "text": "Hello"}"#
            .write(toFile: folder.path + "/news.json", atomically: true, encoding: .utf8)
        try "email,name\nann@example.com,Ann\nbob@example.com,Bob\n".write(toFile: folder.path + "/list.csv", atomically: true, encoding: .utf8)
        let config = folder.path + "/carrier.yaml"
        let first = try carrier(["bulk", "--list", "spring", "--config", config, folder.path + "/news.json", folder.path + "/list.csv"])
        #expect(first.status == 0, "\(first.stderr)")

        var tokens: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path + "/out") {
            let mime = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/" + name))
            let headers = try Fixtures.parseMIME(mime)["headers"]
            let link = headers["List-Unsubscribe"].text
            #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
            #expect(link.contains("<mailto:unsubscribe@shop.example.com?subject=unsubscribe>"), "\(link)")
            let token = try #require(link.firstMatch(of: /<https:\/\/mail\.shop\.example\.com\/unsubscribe\/([A-Za-z0-9_.-]+)>/)?.1)
            tokens[headers["To"].text] = String(token)
            let signatures = try DKIMTests.verify(mime, keys)
            #expect(signatures.allSatisfy { $0["valid"] == true && $0["h"].text.contains("list-unsubscribe:list-unsubscribe-post") }, "\(signatures)")
        }
        let ann = try #require(tokens.first { $0.key.contains("ann@example.com") }?.value)

        let server = try EventsServer(config: config, output: folder.path + "/events.ndjson")
        defer { server.stop() }
        let page = try curl([server.url + "/unsubscribe/" + ann])
        #expect(page.status == 200 && page.body.contains("ann@example.com") && page.body.contains("method=\"post\""))
        #expect(try carrier(["suppressions", "list", "--config", config]).stdout.contains("empty"), "GET changes nothing")
        var forged = Array(ann)
        forged[4] = forged[4] == "A" ? "B" : "A"
        #expect(try curl(["-X", "POST", "--data", "List-Unsubscribe=One-Click", server.url + "/unsubscribe/" + String(forged)]).status == 404)
        for _ in 0..<2 {
            let posted = try curl(["-X", "POST", "--data", "List-Unsubscribe=One-Click", server.url + "/unsubscribe/" + ann])
            #expect(posted.status == 200 && posted.body.isEmpty, "\(posted)")
        }
        let listed = try JSONParser.parse(try carrier(["suppressions", "list", "--json", "--config", config]).stdout)
        #expect(listed.arrayValue?.map { "\($0["address"].text) \($0["reason"].text) \($0["source"].text)" } == ["ann@example.com unsubscribed unsubscribe:spring"],
                "\(listed)")

        let second = try carrier(["bulk", "--json", "--journal", folder.path + "/second.journal", "--config", config, folder.path + "/news.json", folder.path + "/list.csv"])
        let summary = try JSONParser.parse(second.stdout)
        #expect(summary["sent"] == 1 && summary["failed"]["suppressed"] == 1, "\(second.stdout) \(second.stderr)")

        // An app asks for the links on one message (carrier send, the gateway): Carrier-Unsubscribe: LIST.
        try #"{"from": "news@shop.example.com", "to": ["cy@example.com"], "subject": "Digest", "text": "t", "headers": {"Carrier-Unsubscribe": "digest"}}"#
            .write(toFile: folder.path + "/one.json", atomically: true, encoding: .utf8)
        let one = try carrier(["send", "--json", "--config", config, folder.path + "/one.json"])
        let path = try JSONParser.parse(one.stdout)["attempts"][0]["path"].text
        let headers = try Fixtures.parseMIME(try Data(contentsOf: URL(fileURLWithPath: path)))["headers"]
        #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" && headers["Carrier-Unsubscribe"] == .null, "\(headers)")
        let token = try #require(headers["List-Unsubscribe"].text.firstMatch(of: /unsubscribe\/([A-Za-z0-9_.-]+)>/)?.1)
        #expect(try curl(["-X", "POST", server.url + "/unsubscribe/" + String(token)]).status == 200)
        let cy = try JSONParser.parse(try carrier(["suppressions", "list", "--json", "--config", config]).stdout)
        #expect(cy.arrayValue?.contains { $0["address"] == "cy@example.com" && $0["source"] == "unsubscribe:digest" } == true, "\(cy)")
        try #"{"from": "news@shop.example.com", "to": ["a@example.com", "b@example.com"], "subject": "D", "text": "t", "headers": {"Carrier-Unsubscribe": "digest"}}"#
            .write(toFile: folder.path + "/two.json", atomically: true, encoding: .utf8)
        let two = try carrier(["send", "--config", config, folder.path + "/two.json"])
        #expect(two.status == 2 && two.stderr.contains("names one recipient; this message has 2"), "\(two.stderr)")
    }
}
