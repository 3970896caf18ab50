import CarrierYAML
import Foundation

/// `body: {raw: {content_type: message/rfc822, content: "{{ mime }}"}}`: the rendered text as it is.
struct RawBody: BodyEncoding {
    static let name = "raw"
    var template: Mapping
    var contentType: String

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> RawBody? {
        let r = file.reader(value, context: "'raw'")
        defer { r.finish() }
        let contentType = r.string("content_type", required: true)
        guard let content = file.template(r, "content", required: true) else { return nil }
        return RawBody(template: content, contentType: contentType ?? "text/plain")
    }

    func body(_ rendered: Value) throws(CarrierError) -> RequestBody {
        RequestBody(contentType: contentType, bytes: Data(rendered.text.utf8), display: .string(rendered.text))
    }
}
