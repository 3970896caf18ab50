import CarrierYAML
import Foundation

/// `body: {multipart: {field: value, …}}`: `multipart/form-data` (RFC 7578). An object with
/// `filename` and `content` (base64, optional `content_type`) becomes a file part.
struct MultipartBody: BodyEncoding {
    static let name = "multipart"
    var template: Mapping

    /// One part: a field, or a file.
    struct Part: Sendable {
        var name: String
        var value: String?
        var filename: String?
        var contentType: String?
        var data: Data?

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

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> MultipartBody? {
        MultipartBody(template: file.fieldsTemplate(value, encoding: name))
    }

    func body(_ rendered: Value) throws(CarrierError) -> RequestBody {
        let parts = Self.parts(rendered)
        for part in parts {
            // The only part header written raw; names and filenames are quoted below.
            if let type = part.contentType, !HeaderRules.isMediaType(type) {
                throw .header(HeaderInjectionError(place: "multipart part", name: "Content-Type",
                                                   problem: "'\(type.prefix(80))' of part '\(part.name)' is not a media type (type/subtype)"))
            }
        }
        let boundary = "carrier-" + UUID().uuidString.lowercased()
        return RequestBody(contentType: "multipart/form-data; boundary=\(boundary)", bytes: Self.encode(parts, boundary: boundary),
                           display: .array(parts.map(\.display)), boundary: boundary)
    }

    /// Parts in order; a list repeats the field.
    static func parts(_ value: Value) -> [Part] {
        guard let object = value.objectValue else { return [] }
        var out: [Part] = []
        for entry in object {
            for item in entry.value.arrayValue ?? [entry.value] where !item.isEmpty {
                if case .object = item, let filename = item["filename"].stringValue, let content = item["content"].stringValue {
                    out.append(Part(name: entry.key, filename: filename, contentType: item["content_type"].stringValue ?? "application/octet-stream",
                                    data: Base64.decode(content) ?? Data()))
                } else {
                    out.append(Part(name: entry.key, value: item.text))
                }
            }
        }
        return out
    }

    static func encode(_ parts: [Part], boundary: String) -> Data {
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
