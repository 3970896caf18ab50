import Foundation

/// A webhook as it arrived: its headers, its exact body, and the public URL the ESP called
/// (Mandrill signs it).
public struct WebhookRequest: Sendable {
    public var headers: [(name: String, value: String)]
    public var body: Data
    public var url: String?

    public init(headers: [(name: String, value: String)], body: Data, url: String? = nil) {
        self.headers = headers
        self.body = body
        self.url = url
    }

    /// The last value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.last { HeaderRules.sameFieldName($0.name, name) }?.value
    }

    /// What a provider file's webhook rules read of this request: `body` (as ``read(maximumJSONDepth:)``
    /// gave it), `text`, `url`, `secret`, `settings`, `now`; `text`, `headers` and `query` are made
    /// only when a rule reads them (the query takes a URL parse). The receiver and `providers test`'s
    /// examples read webhooks through this one scope.
    package func scope(body: Value, url: String, secret: String?, settings: Value, now: Int) -> Scope {
        var scope = Scope(values: ["body": body, "url": .string(url), "secret": secret.map(Value.string) ?? .null, "settings": settings,
                                   "now": .int(now)])
        // The text is made only for the rules that sign it (a UTF-8 check and a copy of the body).
        let bytes = self.body
        scope.setLazy("text") { .string(String(decoding: bytes, as: UTF8.self)) }
        scope.setLazy("headers") { .object(OrderedObject(headers: headers)) }
        scope.setLazy("query") { .object(queryObject) }
        return scope
    }

    /// The URL's query parameters (the last value of each), as templates read them (`query`).
    package var queryObject: OrderedObject {
        var object = OrderedObject()
        for item in url.flatMap({ URLComponents(string: $0)?.queryItems }) ?? [] where !item.name.isEmpty {
            object[item.name] = .string(item.value ?? "")
        }
        return object
    }


    /// The body as templates read it: a form post's fields when the Content-Type says form (never
    /// JSON, so what is read is what the form signed), else JSON when it parses, JSON Lines for
    /// `jsonl`/`ndjson`, else the text. With it, for a body that says it is JSON, why it is not
    /// valid JSON (not UTF-8, a key twice, deeper than `maximumJSONDepth`; JSON Lines are read
    /// line by line), or nil. A valid JSON body is parsed once.
    package func read(maximumJSONDepth: Int) -> (body: Value, jsonProblem: String?) {
        let type = (header("content-type") ?? "").lowercased()
        if type.hasPrefix("application/x-www-form-urlencoded") { return (formFields, nil) }
        let saysJSON = type.hasPrefix("application/json") || type.contains(ascii: "+json") || type.contains(ascii: "jsonl") || type.contains(ascii: "ndjson")
        guard saysJSON, !body.isEmpty else { return (lenientBody(type), nil) }
        if let offset = UTF8Check.firstInvalidOffset(in: body) {
            return (lenientBody(type), "the JSON payload is not UTF-8 (byte \(offset))")
        }
        func strict(_ bytes: [UInt8]) throws(JSONSyntaxError) -> Value {
            try JSONParser.parse(bytes, duplicateKeys: .refuse, maximumDepth: maximumJSONDepth)
        }
        do { return (try strict(Array(body)), nil) } catch {
            // JSON Lines, which some ESPs send as application/json: every line must read.
            let lines = body.split(separator: UInt8(ascii: "\n")).filter { !$0.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x09 } }
            guard lines.count > 1 else { return (lenientBody(type), "the JSON payload cannot be read: \(error)") }
            for (i, line) in lines.enumerated() {
                do { _ = try strict(Array(line)) } catch {
                    return (lenientBody(type), "line \(i + 1) of the JSON Lines payload cannot be read: \(error)")
                }
            }
            return (lenientBody(type), nil)
        }
    }

    /// A form post's fields, in order.
    private var formFields: Value {
        var object = OrderedObject()
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            guard let key = parts.first, !key.isEmpty else { continue }
            object[key] = .string(parts.count > 1 ? parts[1] : "")
        }
        return .object(object)
    }

    /// JSON when it parses, JSON Lines for `jsonl`/`ndjson`, else the text.
    private func lenientBody(_ type: String) -> Value {
        if let json = try? JSONParser.parse(Array(body)) { return json }
        let text = String(decoding: body, as: UTF8.self)
        if type.contains(ascii: "jsonl") || type.contains(ascii: "ndjson") {
            let lines = text.split(whereSeparator: \.isNewline).compactMap { try? JSONParser.parse(String($0)) }
            if !lines.isEmpty { return .array(lines) }
        }
        return .string(text)
    }
}
