import CarrierCurl
import Foundation

/// An HTTP request rendered from a provider file: what goes on the wire, and what `carrier render` shows.
public struct RenderedRequest: Sendable {
    public struct Header: Sendable {
        public var name: String
        public var value: String
        /// Shown as `***` unless secrets are asked for (every header an auth scheme adds).
        public var sensitive: Bool

        /// A header that is safe to write: a field name, and a value on one line.
        static func checked(_ name: String, _ value: String, sensitive: Bool) throws(CarrierError) -> Header {
            do { try HeaderInjectionError.check(name, value, place: "HTTP request") } catch { throw .header(error) }
            return Header(name: name, value: value, sensitive: sensitive)
        }
    }

    public var method: String
    public var url: String
    /// The provider's headers, then Content-Type and Accept, then the auth scheme's.
    public var headers: [Header]
    /// A body set after the request was made (a batch's) brings its own Content-Type: a
    /// multipart boundary must be the one in the header.
    public var body: RequestBody {
        didSet {
            guard let type = body.contentType, let i = headers.firstIndex(where: { HeaderRules.sameFieldName($0.name, "content-type") }) else { return }
            headers[i].value = type
        }
    }

    init(method: String, url: String, headers: [Header], body: RequestBody) {
        self.method = method
        self.url = url
        self.body = body
        var all = headers
        if let type = body.contentType, !all.contains(where: { HeaderRules.sameFieldName($0.name, "content-type") }) {
            all.append(Header(name: "Content-Type", value: type, sensitive: false))
        }
        if !all.contains(where: { HeaderRules.sameFieldName($0.name, "accept") }) {
            all.append(Header(name: "Accept", value: "application/json", sensitive: false))
        }
        self.headers = all
    }

    /// The request as it goes on the wire.
    var wire: CurlHTTPRequest {
        CurlHTTPRequest(method: method, url: url, headers: headers.map { ($0.name, $0.value) }, body: body.bytes)
    }

    /// The request as JSON for people and tests: `{method, url, headers, body}`.
    public func display(redactor: Redactor, showSecrets: Bool) -> Value {
        var headerObject = OrderedObject()
        for header in headers {
            var value: String
            if showSecrets { value = header.value } else if header.sensitive { value = Self.mask(header.value) } else { value = redactor.redact(header.value) }
            if let boundary = body.boundary { value = value.replacingOccurrences(of: boundary, with: "<boundary>") }
            headerObject[header.name] = .string(value)
        }
        return .object(["method": .string(method), "url": .string(showSecrets ? url : redactor.redact(url)),
                        "headers": .object(headerObject),
                        "body": showSecrets ? body.display
                            : body.bytesAreDisplayJSON ? redactor.redact(body.display, json: body.bytes) : redactor.redact(body.display)])
    }

    /// `Bearer ***`, `Basic ***`, or `***`.
    static func mask(_ value: String) -> String {
        let parts = value.split(separator: " ", maxSplits: 1)
        if parts.count == 2, ["Bearer", "Basic", "Token", "Key"].contains(String(parts[0])) { return "\(parts[0]) ***" }
        return "***"
    }
}
