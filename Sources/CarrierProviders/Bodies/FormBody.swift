import CarrierYAML
import Foundation

/// `body: {form: {field: value, …}}`: `application/x-www-form-urlencoded`. A list repeats the
/// field; an object is sent as JSON text; empty values are left out.
struct FormBody: BodyEncoding {
    static let name = "form"
    var template: Mapping

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> FormBody? {
        FormBody(template: file.fieldsTemplate(value, encoding: name))
    }

    func body(_ rendered: Value) throws(CarrierError) -> RequestBody {
        let fields = Self.fields(rendered)
        return RequestBody(contentType: "application/x-www-form-urlencoded", bytes: Data(Self.urlEncoded(fields).utf8),
                           display: .array(fields.map { .array([.string($0.name), .string($0.value)]) }))
    }

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

    static func urlEncoded(_ fields: [(name: String, value: String)]) -> String {
        fields.map { PercentEncoding.encode($0.name) + "=" + PercentEncoding.encode($0.value) }.joined(separator: "&")
    }
}
