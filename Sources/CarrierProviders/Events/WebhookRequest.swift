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
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The URL's query parameters (the last value of each), as templates read them (`query`).
    package var queryObject: OrderedObject {
        var object = OrderedObject()
        for item in url.flatMap({ URLComponents(string: $0)?.queryItems }) ?? [] where !item.name.isEmpty {
            object[item.name] = .string(item.value ?? "")
        }
        return object
    }

    /// Headers by lower-case name (the last value of each), as templates read them.
    package var headerObject: OrderedObject {
        var object = OrderedObject()
        for header in headers { object[header.name.lowercased()] = .string(header.value) }
        return object
    }

    /// The body as templates read it: a form post's fields when the Content-Type says form (never
    /// JSON, so what is read is what the form signed), else JSON when it parses, JSON Lines for
    /// `jsonl`/`ndjson`, else the text.
    package var parsedBody: Value {
        let text = String(decoding: body, as: UTF8.self)
        let type = (header("content-type") ?? "").lowercased()
        if type.hasPrefix("application/x-www-form-urlencoded") {
            var object = OrderedObject()
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                guard let key = parts.first, !key.isEmpty else { continue }
                object[key] = .string(parts.count > 1 ? parts[1] : "")
            }
            return .object(object)
        }
        if let json = try? JSONParser.parse(Array(body)) { return json }
        if type.contains("jsonl") || type.contains("ndjson") {
            let lines = text.split(whereSeparator: \.isNewline).compactMap { try? JSONParser.parse(String($0)) }
            if !lines.isEmpty { return .array(lines) }
        }
        return .string(text)
    }
}
