import Carrier
import CarrierCurl
import CarrierYAML
import Foundation
import Synchronization

/// The built-in provider definitions, loaded once.
let registry: ProviderRegistry = {
    let registry = ProviderRegistry()
    registry.addBuiltIns()
    return registry
}()

/// A fixed clock: a run depends on its input only.
let clock = ManualClock(now: WallTime(secondsSince1970: 1_767_225_600))
let secrets = ObtainedSecrets()

extension FuzzTarget {
    /// A message file, JSON or YAML (`carrier send`'s input), then written as MIME.
    static let message = FuzzTarget(name: "message", summary: "Message.parse (JSON and YAML), then the MIME writer") { bytes in
        guard let message = try? Message.parse(data: Data(bytes), source: "fuzz") else { return }
        _ = try? MIMEWriter().write(message)
    }

    /// A provider file (`providers/*.yaml`).
    static let providerFile = FuzzTarget(name: "provider-file", summary: "the provider-file loader") { bytes in
        _ = try? DefinitionLoader.load(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
    }

    /// A template as a provider file writes it (`"{{ to | map('email') }}"`), compiled and
    /// evaluated against a message.
    static let expression = FuzzTarget(name: "expression", summary: "the expression parser and evaluator",
                                       prepare: { _ = ExpressionScope.scope }) { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        let sink = DiagnosticSink()
        let compiler = MappingCompiler(file: "fuzz", variables: Set(ExpressionScope.values.keys), sink: sink)
        let mapping = compiler.compile(YAMLNode(kind: .scalar(text, plain: false), mark: SourceMark(line: 1, column: 1)))
        guard sink.diagnostics.isEmpty else { return }
        _ = try? mapping.render(in: ExpressionScope.scope)
    }

    /// A template with structure (objects, lists, `$each`, `$if`, `$merge`) as a provider file
    /// writes a request body, rendered two ways against a message: to a value (what `carrier
    /// render` shows), and straight into JSON (what a send writes). The JSON must be the value's,
    /// byte for byte, and one way must fail where the other does.
    static let template = FuzzTarget(name: "template", summary: "a YAML template rendered to a value and straight into JSON: the same bytes",
                                     prepare: { _ = ExpressionScope.scope }) { bytes in
        guard let node = try? YAMLParser.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml") else { return }
        let sink = DiagnosticSink()
        let mapping = MappingCompiler(file: "fuzz", variables: Set(ExpressionScope.values.keys), sink: sink).compile(node)
        guard sink.diagnostics.isEmpty else { return }
        let rendered = try? mapping.render(in: ExpressionScope.scope)
        let out = ByteSink(capacity: 64)
        let written = try? mapping.writeJSON(in: ExpressionScope.scope, into: out)
        require((rendered == nil) == (written == nil),
                "rendering \(rendered == nil ? "failed" : "worked") but writing JSON \(written == nil ? "failed" : "worked")")
        guard let rendered, let written else { return }
        if written == .null { out.append("null") }
        let expected = JSONWriter.bytes(rendered)
        require(out.bytes == expected, "wrote \(String(decoding: out.bytes, as: UTF8.self)), rendered \(String(decoding: expected, as: UTF8.self))")
    }

    /// A `carrier.yaml` (parsed only: resolving accounts reads secret sources).
    static let configuration = FuzzTarget(name: "configuration", summary: "carrier.yaml") { bytes in
        _ = try? Configuration.parse(String(decoding: bytes, as: UTF8.self), file: "/nonexistent/fuzz/carrier.yaml", environment: [:])
    }

    /// A bulk run's recipients, CSV or NDJSON (the format follows the first character).
    static let recipients = FuzzTarget(name: "recipients", summary: "the CSV/NDJSON recipient reader") { bytes in
        let path = FuzzFiles.write(bytes, name: "recipients")
        guard let reader = try? RecipientReader(path: path) else { return }
        for row in reader { _ = row }
    }

    /// `PROVIDER\nheader: value…\n\nBODY`: a webhook verified by the provider's verifier, and its
    /// body read through the provider's event mapping as if verified.
    static let webhook = FuzzTarget(name: "webhook", summary: "each webhook verifier and its event mapping",
                                    prepare: { WebhookFuzzing.prepare() }, checksLeaks: false) { bytes in
        WebhookFuzzing.run(bytes)
    }

    /// `PROVIDER\nSTATUS\nheader: value…\n\nBODY`: an ESP's HTTP answer read by its response rules.
    static let response = FuzzTarget(name: "response", summary: "HTTP answers through each provider's response rules",
                                     prepare: { _ = ResponseFuzzing.interpreters }, checksLeaks: false) { bytes in
        ResponseFuzzing.run(bytes)
    }

    /// Server lines between client commands, as libcurl's debug callback hands them over.
    static let smtpReply = FuzzTarget(name: "smtp-reply", summary: "SMTP reply parsing and classification") { bytes in
        SMTPReplyFuzzing.run(bytes)
    }

    /// A message received as MIME (what an SMTP client or `message/rfc822` hands the gateway),
    /// then written again as MIME for a provider.
    static let mimeMessage = FuzzTarget(name: "mime-message", summary: "the MIME reader (SMTP and message/rfc822 intake), then the MIME writer") { bytes in
        guard let message = try? MIMEReader.message(from: bytes, envelopeRecipients: ["rcpt@example.com"]) else { return }
        _ = try? MIMEWriter().write(message)
    }

    /// Text through the header encoder, back through a parser: the same text, lines within limits.
    static let mimeHeader = FuzzTarget(name: "mime-header", summary: "MIME header encoding round-tripped through a parser") { bytes in
        MIMEHeaderFuzzing.run(bytes)
    }
}

/// What templates see in the expression target: a message with every field, settings, credentials.
enum ExpressionScope {
    static let values: [String: Value] = {
        let message = try! Message.parse("""
            {"from": {"email": "shop@example.com", "name": "Shop"}, "to": ["a@example.com", {"email": "b@example.org", "name": "Bé"}],
             "cc": ["c@example.com"], "bcc": ["d@example.com"], "reply_to": "r@example.com", "subject": "Order #1 ✓",
             "text": "Hello", "html": "<p>Hello</p>", "headers": {"X-Id": "7"}, "tags": ["a", "b"], "metadata": {"k": "v", "n": 1},
             "attachments": [{"filename": "a.txt", "content": "aGk=", "type": "text/plain"}],
             "template": "t1", "template_variables": {"x": [1, 2.5, true, null]}, "send_at": "2026-01-02T03:04:05Z"}
            """, source: "scope")
        var values: [String: Value] = [:]
        for entry in message.value.objectValue! { values[entry.key] = entry.value }
        values["message"] = message.value
        values["settings"] = .object(OrderedObject([("region", .string("eu")), ("sandbox", .bool(false))]))
        values["credentials"] = .object(OrderedObject([("api_key", .string("key-123"))]))
        values["now"] = .int(1_767_225_600)
        values["channel"] = .string("api")
        values["mime"] = .string("From: a@example.com\r\n\r\nhi")
        for name in ["status", "headers", "body", "text", "query", "url", "secret", "item", "recipient", "recipients", "varied"] {
            values[name] = values[name] ?? .object(OrderedObject([("id", .string("x")), ("list", .array([.int(1), .string("2")]))]))
        }
        return values
    }()
    nonisolated(unsafe) static let scope = Scope(values: OrderedObject(values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
}

/// Inputs some readers take only as files: one file per target in a private folder.
enum FuzzFiles {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "/carrier-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func write(_ bytes: [UInt8], name: String) -> String {
        let path = folder + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

/// Runs async code to its end from the synchronous fuzzing callback.
func waitFor<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}

/// `name\nheader: value\n…\n\nbody`: the first line picks a provider (by name, or else by its
/// first byte), then header lines up to an empty line, then the body.
struct FramedInput {
    var provider: String
    var lines: [String]
    var headers: [(name: String, value: String)]
    var body: Data

    init(_ bytes: [UInt8], providers: [String], lineCount: Int = 0) {
        var (first, rest) = bytes.splitFirstLine()
        provider = providers.contains(first) ? first : providers[Int(first.utf8.first ?? 0) % providers.count]
        lines = []
        headers = []
        for _ in 0..<lineCount {
            let (line, after) = Array(rest).splitFirstLine()
            lines.append(line)
            rest = after
        }
        while let newline = rest.firstIndex(of: 0x0A) {
            let line = String(decoding: rest[..<newline], as: UTF8.self)
            rest = rest[(newline + 1)...]
            if line.isEmpty || line == "\r" { break }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            headers.append((String(parts[0]), parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""))
        }
        body = Data(rest)
    }
}
