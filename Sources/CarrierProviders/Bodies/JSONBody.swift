import CarrierYAML
import Foundation

/// `body: {json: …}`: the rendered value as JSON (`application/json`).
struct JSONBody: BodyEncoding {
    static let name = "json"
    var template: Mapping

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> JSONBody? {
        JSONBody(template: file.compile(value))
    }

    func body(_ rendered: Value) throws(CarrierError) -> RequestBody {
        RequestBody(contentType: "application/json", bytes: Data(JSONWriter.bytes(rendered)), display: rendered, bytesAreDisplayJSON: true)
    }

    /// Written straight from the template: the same bytes, without the value between.
    func body(in scope: Scope, context: ProviderBinding) throws(CarrierError) -> RequestBody {
        RequestBody(json: try context.renderJSON(template, in: scope))
    }
}
