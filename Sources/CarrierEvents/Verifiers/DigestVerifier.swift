import COpenSSL
import CarrierYAML
import Foundation

/// `verify: {digest: {algorithm, message, signature, encoding}}`: a plain digest of a message that
/// holds the secret itself — Unisender Go's `auth`, the MD5 of the body with `auth` replaced by
/// the API key. `message` must use `secret`, or the digest proves nothing: the file is refused
/// when it does not.
struct DigestVerifier: WebhookVerifier {
    static let name = "digest"
    var algorithm: String
    var message: Mapping
    var signature: Mapping
    var encoding: String

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> DigestVerifier? {
        let r = file.reader(value, context: "verify 'digest'")
        defer { r.finish() }
        let algorithm = r.oneOf("algorithm", ["md5", "sha1", "sha256"]) ?? "sha256"
        let encoding = r.oneOf("encoding", ["hex", "base64"]) ?? "hex"
        let variables = EventsSpec.requestVariables
        guard let message = file.template(r, "message", required: true, variables: variables),
              let signature = file.template(r, "signature", required: true, variables: variables) else { return nil }
        if let node = value["message"], !(node.scalar ?? "").contains("secret") {
            r.error(node, "the digest's message must include the secret, or anyone could make it", hint: "use {{ secret }} in the message")
        }
        return DigestVerifier(algorithm: algorithm, message: message, signature: signature, encoding: encoding)
    }

    func verify(_ input: VerifierContext) async throws(WebhookError) -> Verification {
        _ = try input.requiredSecret()
        let given = (try input.render(signature)).text
        guard !given.isEmpty else { throw WebhookError(.unverified, "the webhook carries no signature") }
        let data = Array((try input.render(message)).text.utf8)
        let md: OpaquePointer? = algorithm == "md5" ? libcrypto.EVP_md5() : algorithm == "sha1" ? libcrypto.EVP_sha1() : libcrypto.EVP_sha256()
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard libcrypto.EVP_Digest(data, data.count, &out, &length, md, nil) == 1 else {
            throw WebhookError(.configuration, "OpenSSL could not compute \(algorithm)")
        }
        let expected = Array(out.prefix(Int(length)))
        let bytes = encoding == "hex" ? FilterLibrary.bytes(hex: given.lowercased()) : Data(base64Encoded: given).map(Array.init)
        guard let bytes, ConstantTime.equal(bytes, expected) else {
            throw WebhookError(.unverified, "the webhook's signature does not match (\(algorithm.uppercased()) with the account's webhook_secret)")
        }
        return .verified
    }
}
