import CarrierCurl
import Foundation

/// An HTTP request rendered from a provider file, before it is sent: what `carrier render` shows.
public struct RenderedRequest: Sendable {
    public struct Header: Sendable {
        public var name: String
        public var value: String
        /// Shown as `***` unless secrets are asked for (auth headers).
        public var sensitive: Bool
    }

    public enum Body: Sendable {
        case none
        case json(Value)
        case form([(name: String, value: String)])
        case multipart([MultipartPart])
        case raw(contentType: String, text: String)
    }

    public var method: String
    public var url: String
    public var headers: [Header]
    public var body: Body

    /// The request as JSON for people and tests: `{method, url, headers, body}`.
    public func display(redactor: Redactor, showSecrets: Bool) -> Value {
        var headerObject = OrderedObject()
        for header in wireHeaders(boundary: "<boundary>") {
            let value: String
            if showSecrets { value = header.value } else if header.sensitive { value = Self.mask(header.value) } else { value = redactor.redact(header.value) }
            headerObject[header.name] = .string(value)
        }
        let bodyValue: Value
        switch body {
        case .none: bodyValue = .null
        case .json(let v): bodyValue = v
        case .form(let fields): bodyValue = .array(fields.map { .array([.string($0.name), .string($0.value)]) })
        case .multipart(let parts): bodyValue = .array(parts.map(\.display))
        case .raw(_, let text): bodyValue = .string(text)
        }
        return .object(["method": .string(method), "url": .string(showSecrets ? url : redactor.redact(url)),
                        "headers": .object(headerObject), "body": showSecrets ? bodyValue : redactor.redact(bodyValue)])
    }

    /// `Bearer ***`, `Basic ***`, or `***`.
    static func mask(_ value: String) -> String {
        let parts = value.split(separator: " ", maxSplits: 1)
        if parts.count == 2, ["Bearer", "Basic", "Token", "Key"].contains(String(parts[0])) { return "\(parts[0]) ***" }
        return "***"
    }

    /// The provider's headers plus Content-Type and Accept, as they go on the wire.
    func wireHeaders(boundary: String) -> [Header] {
        var out = headers
        let contentType: String?
        switch body {
        case .none: contentType = nil
        case .json: contentType = "application/json"
        case .form: contentType = "application/x-www-form-urlencoded"
        case .multipart: contentType = "multipart/form-data; boundary=\(boundary)"
        case .raw(let type, _): contentType = type
        }
        if let contentType, !out.contains(where: { $0.name.lowercased() == "content-type" }) {
            out.append(Header(name: "Content-Type", value: contentType, sensitive: false))
        }
        if !out.contains(where: { $0.name.lowercased() == "accept" }) {
            out.append(Header(name: "Accept", value: "application/json", sensitive: false))
        }
        return out
    }

    /// The bytes that go on the wire.
    func wire() -> HTTPRequest {
        let boundary = "carrier-" + UUID().uuidString.lowercased()
        let data: Data
        switch body {
        case .none: data = Data()
        case .json(let v): data = Data(JSONWriter.bytes(v))
        case .form(let fields): data = Data(FormEncoding.urlEncoded(fields).utf8)
        case .multipart(let parts): data = FormEncoding.multipart(parts, boundary: boundary)
        case .raw(_, let text): data = Data(text.utf8)
        }
        return HTTPRequest(method: method, url: url, headers: wireHeaders(boundary: boundary).map { ($0.name, $0.value) }, body: data)
    }
}

/// One part of a multipart/form-data body: a field, or a file.
public struct MultipartPart: Sendable {
    public var name: String
    public var value: String?
    public var filename: String?
    public var contentType: String?
    public var data: Data?

    var display: Value {
        var object = OrderedObject()
        object["name"] = .string(name)
        if let value { object["value"] = .string(value) }
        if let filename { object["filename"] = .string(filename) }
        if let contentType { object["content_type"] = .string(contentType) }
        if let data { object["content"] = .string(data.base64EncodedString()) }
        return .object(object)
    }
}

/// Turns a rendered body template into form fields or multipart parts.
enum FormEncoding {
    /// Fields in order; a list value repeats the field; an object value is sent as JSON text.
    static func fields(_ value: Value) -> [(name: String, value: String)] {
        guard let object = value.objectValue else { return [] }
        var out: [(name: String, value: String)] = []
        for entry in object {
            for item in entry.value.arrayValue ?? [entry.value] where !item.isEmpty {
                out.append((entry.key, item.text))
            }
        }
        return out
    }

    /// Parts in order; an object with `filename` and `content` (base64) becomes a file part.
    static func parts(_ value: Value) -> [MultipartPart] {
        guard let object = value.objectValue else { return [] }
        var out: [MultipartPart] = []
        for entry in object {
            for item in entry.value.arrayValue ?? [entry.value] where !item.isEmpty {
                if case .object = item, let filename = item["filename"].stringValue, let content = item["content"].stringValue {
                    out.append(MultipartPart(name: entry.key, filename: filename,
                                             contentType: item["content_type"].stringValue ?? "application/octet-stream",
                                             data: Base64.decode(content) ?? Data()))
                } else {
                    out.append(MultipartPart(name: entry.key, value: item.text))
                }
            }
        }
        return out
    }

    static func urlEncoded(_ fields: [(name: String, value: String)]) -> String {
        fields.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    static func multipart(_ parts: [MultipartPart], boundary: String) -> Data {
        var data = Data()
        func append(_ s: String) { data.append(contentsOf: Array(s.utf8)) }
        for part in parts {
            append("--\(boundary)\r\n")
            var disposition = "Content-Disposition: form-data; name=\"\(quote(part.name))\""
            if let filename = part.filename { disposition += "; filename=\"\(quote(filename))\"" }
            append(disposition + "\r\n")
            if let contentType = part.contentType { append("Content-Type: \(contentType)\r\n") }
            append("\r\n")
            if let bytes = part.data { data.append(bytes) } else { append(part.value ?? "") }
            append("\r\n")
        }
        append("--\(boundary)--\r\n")
        return data
    }

    /// RFC 7578: names and filenames as UTF-8, with `"`, CR and LF percent-encoded.
    private static func quote(_ s: String) -> String {
        s.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }
}
