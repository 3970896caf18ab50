import COpenSSL
import CarrierYAML
import Foundation

/// `verify: {public_key: {algorithm, key, message, signature}}`: a signature over chosen parts of
/// the request, checked with the ESP's public key — ECDSA for SendGrid's signed event webhook,
/// RSA for Postal, Ed25519 for MailPace. `key` is base64 DER (SubjectPublicKeyInfo, as the ESPs
/// show it), PEM, or a raw 32-byte Ed25519 key in base64; `signature` is base64. Ed25519 signs
/// the message itself, so `algorithm` does not apply to it.
struct PublicKeyVerifier: WebhookVerifier {
    static let name = "public_key"
    var algorithm: String
    var key: Mapping
    var message: Mapping
    var signature: Mapping

    static func read(_ value: YAMLNode, in file: ProviderFileReader) -> PublicKeyVerifier? {
        let r = file.reader(value, context: "verify 'public_key'")
        defer { r.finish() }
        let algorithm = r.oneOf("algorithm", ["sha1", "sha256"]) ?? "sha256"
        let variables = EventsSpec.requestVariables
        guard let key = file.template(r, "key", required: true, variables: variables),
              let message = file.template(r, "message", required: true, variables: variables),
              let signature = file.template(r, "signature", required: true, variables: variables) else { return nil }
        return PublicKeyVerifier(algorithm: algorithm, key: key, message: message, signature: signature)
    }

    func verify(_ input: VerifierContext) async throws(WebhookError) -> Verification {
        _ = try input.requiredSecret()
        guard let publicKey = Self.publicKey((try input.render(key)).text) else {
            throw WebhookError(.configuration, "the account's webhook_secret is not a public key (base64 DER or PEM)")
        }
        defer { libcrypto.EVP_PKEY_free(publicKey) }
        let given = (try input.render(signature)).text
        guard !given.isEmpty, let signatureBytes = Data(base64Encoded: given) else {
            throw WebhookError(.unverified, "the webhook carries no signature")
        }
        let data = Array((try input.render(message)).text.utf8)
        guard Self.check(Array(signatureBytes), over: data, key: publicKey, algorithm: algorithm) else {
            throw WebhookError(.unverified, "the webhook's signature does not verify with the account's public key")
        }
        return .verified
    }

    /// A public key from PEM or base64 DER (SubjectPublicKeyInfo, else a bare PKCS #1 RSA key).
    static func publicKey(_ text: String) -> OpaquePointer? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") {
            return withMemoryBIO(Array(trimmed.utf8)) { libcrypto.PEM_read_bio_PUBKEY($0, nil, nil, nil) }
        }
        guard let der = Data(base64Encoded: Base64.padded(trimmed.filter { !$0.isWhitespace })) else { return nil }
        let bytes = Array(der)
        if bytes.count == 32 {
            return libcrypto.EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, bytes, bytes.count)
        }
        return bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
            if let key = libcrypto.d2i_PUBKEY(nil, &pointer, buffer.count) { return key }
            pointer = buffer.baseAddress
            return libcrypto.d2i_PublicKey(EVP_PKEY_RSA, nil, &pointer, buffer.count)
        }
    }

    /// Whether `signature` is the key's signature of `data` (ECDSA's DER form, RSA PKCS #1 v1.5, or Ed25519).
    static func check(_ signature: [UInt8], over data: [UInt8], key: OpaquePointer, algorithm: String) -> Bool {
        guard let context = libcrypto.EVP_MD_CTX_new() else { return false }
        defer { libcrypto.EVP_MD_CTX_free(context) }
        // Ed25519 hashes inside the signature scheme: no digest is named.
        let digest = libcrypto.EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nil : (algorithm == "sha1" ? libcrypto.EVP_sha1() : libcrypto.EVP_sha256())
        guard libcrypto.EVP_DigestVerifyInit(context, nil, digest, nil, key) == 1 else { return false }
        return libcrypto.EVP_DigestVerify(context, signature, signature.count, data, data.count) == 1
    }
}
