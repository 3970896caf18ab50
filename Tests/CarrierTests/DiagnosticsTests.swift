import Carrier
import Foundation
import Testing

/// Bad input gets one clear error that says what, where and how to fix it.
@Suite("Diagnostics for bad input")
struct DiagnosticsTests {
    /// The SendGrid file with one line replaced.
    func sendgrid(replacing old: String, with new: String) throws -> String {
        let text = try String(contentsOfFile: Repository.providers + "/sendgrid.yaml", encoding: .utf8)
        #expect(text.contains(old))
        return text.replacingOccurrences(of: old, with: new)
    }

    func diagnostics(_ text: String) -> [Diagnostic] {
        do {
            _ = try DefinitionLoader.load(text: text, file: "bad.yaml")
            return []
        } catch {
            return error.diagnostics
        }
    }

    func line(of needle: String, in text: String) -> Int {
        (text.components(separatedBy: "\n").firstIndex { $0.contains(needle) } ?? -2) + 1
    }

    @Test func typoedKeyGivesFileLineColumnAndASuggestion() throws {
        let text = try sendgrid(replacing: "  response:\n    success:", with: "  respones:\n    success:")
        let found = diagnostics(text)
        let d = try #require(found.first { $0.message.contains("respones") })
        #expect(d.file == "bad.yaml")
        #expect(d.mark.line == line(of: "respones:", in: text))
        #expect(d.mark.column == 3)
        #expect(d.hint == "did you mean 'response'?")
        #expect(d.description.hasPrefix("bad.yaml:\(d.mark.line):3: error: unknown key 'respones'"))
    }

    @Test func wrongTypeNamesTheExpectedType() throws {
        let text = try sendgrid(replacing: "    - {port: 2525, tls: starttls}", with: "    - {port: twenty, tls: starttls}")
        let d = try #require(diagnostics(text).first)
        #expect(d.message == "'port' in an smtp port must be a whole number")
        #expect(d.mark.line == line(of: "port: twenty", in: text))
        #expect(d.mark.column == 14)
    }

    @Test func brokenExpressionPointsIntoTheExpression() throws {
        let text = try sendgrid(replacing: #"subject: "{{ subject }}""#, with: #"subject: "{{ subject | uper }}""#)
        let d = try #require(diagnostics(text).first)
        #expect(d.message.contains("unknown filter 'uper'"))
        #expect(d.hint == "did you mean 'upper'?")
        #expect(d.mark.line == line(of: "subject | uper", in: text))
        let column = try #require(text.components(separatedBy: "\n")[d.mark.line - 1].range(of: "uper"))
        #expect(d.mark.column == text.components(separatedBy: "\n")[d.mark.line - 1].distance(from: text.startIndex, to: column.lowerBound) + 1)
    }

    @Test func syntaxErrorInExpression() throws {
        let text = try sendgrid(replacing: #"from: "{{ from }}""#, with: #"from: "{{ from. }}""#)
        let d = try #require(diagnostics(text).first)
        #expect(d.message.contains("expected a name after '.'"))
        #expect(d.mark.line == line(of: "from. }}", in: text))
    }

    @Test func unknownVariableIsCaughtAtLoad() throws {
        let text = try sendgrid(replacing: #"subject: "{{ subject }}""#, with: #"subject: "{{ subjct }}""#)
        let d = try #require(diagnostics(text).first)
        #expect(d.message.contains("unknown variable 'subjct'"))
        #expect(d.hint == "did you mean 'subject'?")
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let d = diagnostics("id: x\napi: {url: [unclosed\n")
        #expect(d.first?.mark.line == 3)
    }

    @Test func missingCredentialNamesTheVariable() async throws {
        let configuration = try Configuration.parse("""
            accounts:
              sg: {provider: sendgrid, credentials: {api_key: "${CARRIER_TEST_UNSET_KEY}"}}
            """, file: "c.yaml", environment: [:])
        #expect {
            _ = try configuration.account(named: "sg")
        } throws: { error in
            "\(error)".contains("CARRIER_TEST_UNSET_KEY") && "\(error)".contains("export CARRIER_TEST_UNSET_KEY")
        }
        let empty = try Configuration.parse("accounts:\n  sg: {provider: sendgrid}\n", file: "c.yaml")
        await #expect {
            try await Mailer(configuration: empty, registry: Fixtures.registry()).send(Fixtures.referenceMessage())
        } throws: { error in
            "\(error)".contains("needs the credential 'api_key'")
        }
    }

    @Test func malformedMessageNamesEachField() {
        let text = #"""
            {"from": "not-an-address", "to": [{"email": "a@example.com"}, {"emial": "b@example.com"}],
             "subject": "Hi", "text": "x", "attachments": [{"filename": "a.pdf", "content": "%%%not base64"}],
             "colour": "red"}
            """#
        #expect {
            _ = try Message.parse(text)
        } throws: { error in
            guard let error = error as? MessageError else { return false }
            let fields = error.problems.map(\.field)
            return fields.contains("from") && fields.contains("to[1].emial") && fields.contains("to[1].email")
                && fields.contains("attachments[0].content") && fields.contains("colour")
                && error.problems.first { $0.field == "colour" }?.hint != nil
        }
    }

    @Test func messageWithoutRecipientsOrBody() {
        #expect {
            _ = try Message.parse(#"{"from": "a@example.com", "subject": "x"}"#)
        } throws: { error in
            let problems = (error as? MessageError)?.problems ?? []
            return problems.contains { $0.message.contains("no recipient") } && problems.contains { $0.message.contains("no body") }
        }
    }

    @Test func headerInjectionIsRefused() {
        #expect(throws: MessageError.self) {
            _ = try Message.parse(#"{"from": "a@example.com", "to": ["b@example.com"], "subject": "x", "text": "y", "headers": {"X-A": "1\r\nBcc: evil@example.com"}}"#)
        }
    }
}
