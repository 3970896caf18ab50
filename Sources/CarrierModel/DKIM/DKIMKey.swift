import COpenSSL
import Foundation

/// One DKIM signing key: the domain and selector its public half is published under
/// (`SELECTOR._domainkey.DOMAIN`), and the private key (RSA of 1024 bits or more, or Ed25519).
///
/// The key is read once, when the configuration is loaded; a key that cannot be used is an error
/// then, not at the first send.
public struct DKIMKey: Sendable {
    /// The signing algorithm, from the key's type.
    public enum Algorithm: String, Sendable {
        case rsaSHA256 = "rsa-sha256"
        case ed25519SHA256 = "ed25519-sha256"

        /// `k=` in the DNS record.
        public var keyType: String { self == .rsaSHA256 ? "rsa" : "ed25519" }
    }

    /// The `d=` domain.
    public var domain: String
    /// The `s=` selector.
    public var selector: String
    public var algorithm: Algorithm { privateKey.algorithm }
    let privateKey: DKIMPrivateKey

    /// Reads a PEM private key (PKCS #8 `BEGIN PRIVATE KEY`, or `BEGIN RSA PRIVATE KEY`).
    public init(domain: String, selector: String, privateKeyPEM: String) throws(DKIMError) {
        let domain = domain.lowercased()
        guard !domain.isEmpty, domain.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") }) else {
            throw DKIMError("the DKIM domain '\(domain.escapingControlCharacters())' is not a domain name")
        }
        guard !selector.isEmpty, selector.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") }) else {
            throw DKIMError("the DKIM selector '\(selector.escapingControlCharacters())' is not a selector (letters, digits, dots, hyphens)")
        }
        self.domain = domain
        self.selector = selector
        self.privateKey = try DKIMPrivateKey(pem: privateKeyPEM)
    }

    /// A new key (RSA of 2048 bits, or Ed25519) and its PKCS #8 PEM, to keep in a file of mode 0600.
    public static func generate(domain: String, selector: String, algorithm: Algorithm) throws(DKIMError) -> (key: DKIMKey, pem: String) {
        let made = try DKIMPrivateKey(generating: algorithm)
        let pem = made.pem
        return (try DKIMKey(domain: domain, selector: selector, privateKeyPEM: pem), pem)
    }

    /// Whether this key may sign for mail from `domain`: its own domain or a subdomain of it.
    public func covers(_ fromDomain: String) -> Bool {
        let from = fromDomain.lowercased()
        return from == domain || from.hasSuffix("." + domain)
    }

    /// The TXT record to publish at `SELECTOR._domainkey.DOMAIN`: `v=DKIM1; k=…; p=…`.
    public var dnsRecord: String {
        "v=DKIM1; k=\(algorithm.keyType); p=\(privateKey.publicKeyBase64)"
    }

    /// The record as a zone-file line, its value split into strings of at most 255 characters.
    public var zoneLine: String {
        var chunks: [String] = []
        var rest = Substring(dnsRecord)
        while !rest.isEmpty {
            chunks.append("\"" + rest.prefix(255) + "\"")
            rest = rest.dropFirst(255)
        }
        return "\(selector)._domainkey.\(domain). IN TXT ( \(chunks.joined(separator: " ")) )"
    }
}

/// What is wrong with a DKIM key or signature.
public struct DKIMError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An OpenSSL private key, read once and shared (OpenSSL keys are immutable once made).
final class DKIMPrivateKey: @unchecked Sendable {
    let key: OpaquePointer
    let algorithm: DKIMKey.Algorithm

    init(pem: String) throws(DKIMError) {
        guard let key = withMemoryBIO(Array(pem.utf8), { libcrypto.PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw DKIMError("the DKIM private key is not a PEM private key (expected -----BEGIN PRIVATE KEY----- "
                            + "or -----BEGIN RSA PRIVATE KEY-----; `carrier dkim keygen` writes one)")
        }
        switch libcrypto.EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA:
            guard libcrypto.EVP_PKEY_get_bits(key) >= 1024 else {
                libcrypto.EVP_PKEY_free(key)
                throw DKIMError("the DKIM RSA key has \(libcrypto.EVP_PKEY_get_bits(key)) bits; verifiers need 1024 at least (2048 recommended)")
            }
            algorithm = .rsaSHA256
        case EVP_PKEY_ED25519:
            algorithm = .ed25519SHA256
        default:
            libcrypto.EVP_PKEY_free(key)
            throw DKIMError("the DKIM private key is neither RSA nor Ed25519")
        }
        self.key = key
    }

    /// Generates a new key: RSA of `bits`, or Ed25519.
    init(generating algorithm: DKIMKey.Algorithm, bits: Int32 = 2048) throws(DKIMError) {
        guard let context = libcrypto.EVP_PKEY_CTX_new_id(algorithm == .rsaSHA256 ? EVP_PKEY_RSA : EVP_PKEY_ED25519, nil) else {
            throw DKIMError("OpenSSL cannot make \(algorithm.keyType) keys")
        }
        defer { libcrypto.EVP_PKEY_CTX_free(context) }
        var made: OpaquePointer?
        guard libcrypto.EVP_PKEY_keygen_init(context) == 1,
              algorithm == .ed25519SHA256 || libcrypto.EVP_PKEY_CTX_set_rsa_keygen_bits(context, bits) == 1,
              libcrypto.EVP_PKEY_keygen(context, &made) == 1, let made else {
            throw DKIMError("OpenSSL could not generate a \(algorithm.keyType) key")
        }
        self.key = made
        self.algorithm = algorithm
    }

    deinit { libcrypto.EVP_PKEY_free(key) }

    /// The key as PKCS #8 PEM.
    var pem: String {
        guard let bio = libcrypto.BIO_new(libcrypto.BIO_s_mem()) else { return "" }
        defer { _ = libcrypto.BIO_free(bio) }
        guard libcrypto.PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else { return "" }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = libcrypto.BIO_read(bio, &buffer, Int32(buffer.count))
            if n <= 0 { break }
            out += buffer[..<Int(n)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `p=`: the public key's DER SubjectPublicKeyInfo (RSA), or its 32 raw bytes (Ed25519, RFC 8463).
    var publicKeyBase64: String {
        if algorithm == .ed25519SHA256 {
            var length = 32
            var raw = [UInt8](repeating: 0, count: 32)
            guard libcrypto.EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1 else { return "" }
            return Data(raw.prefix(length)).base64EncodedString()
        }
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = libcrypto.i2d_PUBKEY(key, &pointer)
        guard length > 0, let pointer else { return "" }
        defer { libcrypto.CRYPTO_free(pointer, #file, #line) }
        return Data(UnsafeBufferPointer(start: pointer, count: Int(length))).base64EncodedString()
    }

    /// The signature of `data`: RSASSA-PKCS1-v1_5 over SHA-256, or Ed25519 over the SHA-256 hash (RFC 8463).
    func sign(_ data: [UInt8]) throws(DKIMError) -> [UInt8] {
        guard let context = libcrypto.EVP_MD_CTX_new() else { throw DKIMError("OpenSSL is out of memory") }
        defer { libcrypto.EVP_MD_CTX_free(context) }
        let input = algorithm == .rsaSHA256 ? data : Digest.sha256(data)
        guard libcrypto.EVP_DigestSignInit(context, nil, algorithm == .rsaSHA256 ? libcrypto.EVP_sha256() : nil, nil, key) == 1 else {
            throw DKIMError("OpenSSL could not start a \(algorithm.rawValue) signature")
        }
        var length = 0
        guard libcrypto.EVP_DigestSign(context, nil, &length, input, input.count) == 1 else { throw DKIMError("OpenSSL could not size the signature") }
        var signature = [UInt8](repeating: 0, count: length)
        guard libcrypto.EVP_DigestSign(context, &signature, &length, input, input.count) == 1 else { throw DKIMError("OpenSSL could not sign") }
        return Array(signature.prefix(length))
    }
}
