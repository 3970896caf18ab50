import Carrier
import Foundation

enum Fixtures {
    /// The reference message: two named `to`, a cc, a bcc, reply-to, text and HTML, a PDF, an inline
    /// image with a content id, a custom header, a tag, metadata and a non-ASCII subject.
    static func referenceMessage() throws -> Message {
        let text = try String(contentsOfFile: Repository.example("order-confirmation.json"), encoding: .utf8)
        return try Message.parse(text, source: "order-confirmation.json")
    }

    /// The reference message without its inline image (for providers that cannot carry one).
    static func referenceWithoutInline() throws -> Message {
        var message = try referenceMessage()
        message.attachments.removeAll { $0.disposition == .inline }
        message.html = "<p>Thanks for your order.</p>"
        return message
    }

    /// A configuration whose one account points the provider at a local server.
    static func configuration(provider: String, channel: String = "api", endpoint: String, credentials: String,
                              settings: String = "{}", extra: String = "") throws -> Configuration {
        try Configuration.parse("""
            accounts:
              test:
                provider: \(provider)
                channel: \(channel)
                endpoint: \(endpoint)
                credentials: \(credentials)
                settings: \(settings)
            \(extra)
            """, file: "test-carrier.yaml")
    }

    static func registry() -> ProviderRegistry {
        let registry = ProviderRegistry()
        registry.addDirectory(Repository.providers)
        return registry
    }

    /// Runs a Python helper of Tests/Support with standard input.
    static func python(_ script: String, _ arguments: [String] = [], input: Data) throws -> ProcessResult {
        try run(Repository.python, [Repository.support + "/" + script] + arguments, input: input)
    }

    /// What Python's email parser sees in a MIME message.
    static func parseMIME(_ mime: Data) throws -> Value {
        let result = try python("parse_mime.py", input: mime)
        guard result.status == 0 else { throw TestFailure("parse_mime.py failed: \(result.stderr)") }
        return try JSONParser.parse(result.stdout)
    }
}
