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
    /// The body for a message: the template rendered in `scope`, then ``body(_:)``; an encoding
    /// may render its template its own way (JSON writes it straight into bytes).
    func body(in scope: Scope, context: ProviderBinding) throws(CarrierError) -> RequestBody
}

extension BodyEncoding {
    package func body(in scope: Scope, context: ProviderBinding) throws(CarrierError) -> RequestBody {
        try body(try context.render(template, in: scope))
    }
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
    /// The body for people: the JSON value, the form fields, the multipart parts. A JSON body
    /// written straight from its template is read back from its bytes when it is shown.
    public var display: Value {
        get { shown ?? (try? JSONParser.parse(Array(bytes))) ?? .null }
        set { shown = newValue }
    }
    private var shown: Value?
    /// A multipart boundary, shown as `<boundary>` so a render reads the same each time.
    public var boundary: String?
    /// Whether `bytes` are `display` written as JSON (a redactor then checks the bytes once).
    public var bytesAreDisplayJSON: Bool

    public init(contentType: String?, bytes: Data, display: Value, boundary: String? = nil, bytesAreDisplayJSON: Bool = false) {
        self.contentType = contentType
        self.bytes = bytes
        self.shown = display
        self.boundary = boundary
        self.bytesAreDisplayJSON = bytesAreDisplayJSON
    }

    /// A JSON body whose value is read back from its bytes only when it is shown.
    init(json bytes: Data) {
        contentType = "application/json"
        self.bytes = bytes
        bytesAreDisplayJSON = true
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
