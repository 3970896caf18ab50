import Foundation

/// A file carried with a message: a regular attachment, or an inline part referenced by `cid:`.
public struct Attachment: Sendable, Hashable {
    public enum Disposition: String, Sendable, Hashable {
        case attachment, inline
    }

    public var filename: String
    /// The MIME type, such as `application/pdf`.
    public var type: String
    public var content: Data {
        didSet { base64 = content.base64EncodedString() }
    }
    /// `content` in base64, made once: templates and the spool read it for every message.
    private(set) var base64: String
    public var disposition: Disposition
    /// The Content-ID an HTML body refers to as `cid:…` (without angle brackets).
    public var contentID: String?

    public init(filename: String, type: String? = nil, content: Data, disposition: Disposition = .attachment,
                contentID: String? = nil) {
        self.filename = filename
        self.type = type ?? MediaTypes.guess(filename: filename)
        self.content = content
        self.base64 = content.base64EncodedString()
        self.disposition = disposition
        self.contentID = contentID
    }

    /// The value templates see: `{filename, type, content (base64), disposition, content_id, size}`.
    /// `size` is left out of what is stored (the spool), so the value decodes back as it is.
    var value: Value {
        var object = OrderedObject()
        object.reserveCapacity(6)
        object.appendNew("filename", .string(filename))
        object.appendNew("type", .string(type))
        object.appendNew("content", .string(base64))
        object.appendNew("disposition", .string(disposition.rawValue))
        if let contentID { object.appendNew("content_id", .string(contentID)) }
        object.appendNew("size", .int(content.count))
        return .object(object)
    }
}

/// Media types by file extension, for attachments given without a `type`.
enum MediaTypes {
    static let byExtension: [String: String] = [
        "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
        "gif": "image/gif", "webp": "image/webp", "svg": "image/svg+xml", "txt": "text/plain",
        "csv": "text/csv", "html": "text/html", "htm": "text/html", "ics": "text/calendar",
        "json": "application/json", "zip": "application/zip", "xml": "application/xml",
        "doc": "application/msword", "xls": "application/vnd.ms-excel",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]

    static func guess(filename: String) -> String {
        let ext = filename.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return byExtension[ext] ?? "application/octet-stream"
    }
}
