import CarrierYAML
import Foundation

/// How a rendered request template becomes the bytes of an HTTP body: one plugin per encoding
/// of a provider file's `api.body` (`json`, `form`, `multipart`, `raw`).
///
/// To add an encoding: write a type conforming to this protocol in its own file, add it to
/// ``BodyEncodings/all``, and describe it in docs/provider-format.md and docs/provider.schema.json.
package protocol BodyEncoding: Sendable {
    /// The name in provider files (`body: {json: …}`).
    static var name: String { get }
    /// Reads the encoding's value (`body: {NAME: value}`); problems go to the file's diagnostics.
    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> Self?
    /// The template that renders the body's content for a message.
    var template: Mapping { get }
    /// The body for the rendered template.
    func body(_ rendered: Value) throws(CarrierError) -> RequestBody
}

/// Every body encoding a provider file can name.
enum BodyEncodings {
    static let all: [any BodyEncoding.Type] = [
        JSONBody.self,
        FormBody.self,
        MultipartBody.self,
        RawBody.self,
    ]

    static let names = all.map { $0.name }
}

/// An HTTP request body: its content type, its bytes on the wire, and how `carrier render` shows it.
public struct RequestBody: Sendable {
    public var contentType: String?
    public var bytes: Data
    /// The body for people: the JSON value, the form fields, the multipart parts.
    public var display: Value
    /// A multipart boundary, shown as `<boundary>` so a render reads the same each time.
    public var boundary: String?
    /// Whether `bytes` are `display` written as JSON (a redactor then checks the bytes once).
    public var bytesAreDisplayJSON: Bool

    public init(contentType: String?, bytes: Data, display: Value, boundary: String? = nil, bytesAreDisplayJSON: Bool = false) {
        self.contentType = contentType
        self.bytes = bytes
        self.display = display
        self.boundary = boundary
        self.bytesAreDisplayJSON = bytesAreDisplayJSON
    }
}

extension ProviderFileReader {
    /// A body value that must be a mapping of field names (form and multipart bodies).
    func fieldsTemplate(_ node: YAMLNode, encoding: String) -> Mapping {
        if node.mapping == nil {
            sink.add(Diagnostic(file: file, mark: node.mark, message: "a \(encoding) body must be a mapping of field names to values"))
        }
        return compile(node)
    }
}
