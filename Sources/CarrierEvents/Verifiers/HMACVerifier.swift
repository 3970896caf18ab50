import COpenSSL
import CarrierYAML
import Foundation

/// `verify: {hmac: {algorithm, key, key_encoding, message, signature, encoding}}`: an HMAC of
/// chosen parts of the request, keyed by the webhook secret — Mailgun's timestamp+token,
/// Svix's `id.timestamp.body` (Resend), Mandrill's URL and parameters, MailerSend's body.
///
/// `signature` may render to a list: the webhook passes when any item matches (Svix sends one
/// per active secret).
struct HMACVerifier: WebhookVerifier {
    static let name = "hmac"
    var algorithm: String
    var key: Mapping
    var keyEncoding: String
    var message: Mapping
    var signature: Mapping
    var encoding: String

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> HMACVerifier? {
        let r = file.reader(value, context: "verify 'hmac'")
        defer { r.finish() }
        let algorithm = r.oneOf("algorithm", ["sha1", "sha256", "sha512"]) ?? "sha256"
        let keyEncoding = r.oneOf("key_encoding", ["text", "hex", "base64"]) ?? "text"
        let encoding = r.oneOf("encoding", ["hex", "base64"]) ?? "hex"
        let variables = EventsSpec.requestVariables
        guard let key = file.template(r, "key", required: true, variables: variables),
              let message = file.template(r, "message", required: true, variables: variables),
              let signature = file.template(r, "signature", required: true, variables: variables) else { return nil }
        return HMACVerifier(algorithm: algorithm, key: key, keyEncoding: keyEncoding, message: message, signature: signature, encoding: encoding)
    }

    func verify(_ input: VerifierContext) async throws(WebhookError) -> Verification {
        _ = try input.requiredSecret()
        let keyText = (try input.render(key)).text
        let keyBytes: [UInt8]
        switch keyEncoding {
        case "hex": keyBytes = FilterLibrary.bytes(hex: keyText) ?? []
        case "base64": keyBytes = Data(base64Encoded: Base64.padded(keyText)).map(Array.init) ?? []
        default: keyBytes = Array(keyText.utf8)
        }
        guard !keyBytes.isEmpty else { throw WebhookError(.configuration, "the webhook secret is not valid \(keyEncoding)") }
        let expected = Self.mac(algorithm, key: keyBytes, Array((try input.render(message)).text.utf8))
        let given = try input.render(signature)
        let candidates = (given.arrayValue ?? [given]).map(\.text).filter { !$0.isEmpty }
        guard !candidates.isEmpty else { throw WebhookError(.unverified, "the webhook carries no signature") }
        for candidate in candidates {
            let bytes = encoding == "hex" ? FilterLibrary.bytes(hex: candidate.lowercased()) : Data(base64Encoded: candidate).map(Array.init)
            if let bytes, ConstantTime.equal(bytes, expected) { return .verified }
        }
        throw WebhookError(.unverified, "the webhook's signature does not match (HMAC-\(algorithm.uppercased()) with the account's webhook_secret)")
    }

    static func mac(_ algorithm: String, key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let md: OpaquePointer? = algorithm == "sha1" ? libcrypto.EVP_sha1() : algorithm == "sha512" ? libcrypto.EVP_sha512() : libcrypto.EVP_sha256()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = libcrypto.HMAC(md, key, Int32(key.count), data, data.count, &out, &length)
        return Array(out.prefix(Int(length)))
    }
}
