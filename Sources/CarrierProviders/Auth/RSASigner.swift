import COpenSSL
import Foundation

/// RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256) through OpenSSL, for JWT grants.
enum RSASigner {
    struct SigningError: Error, CustomStringConvertible {
        var description: String
    }

    static func sign(_ input: Data, privateKeyPEM: String) throws(SigningError) -> Data {
        guard let key = withMemoryBIO(Array(privateKeyPEM.utf8), { libcrypto.PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw SigningError(description: "the private key is not a PEM RSA key (expected -----BEGIN PRIVATE KEY-----)")
        }
        defer { libcrypto.EVP_PKEY_free(key) }
        guard let context = libcrypto.EVP_MD_CTX_new() else { throw SigningError(description: "OpenSSL is out of memory") }
        defer { libcrypto.EVP_MD_CTX_free(context) }
        guard libcrypto.EVP_DigestSignInit(context, nil, libcrypto.EVP_sha256(), nil, key) == 1 else {
            throw SigningError(description: "OpenSSL could not start an RS256 signature")
        }
        var length = 0
        let bytes = Array(input)
        guard libcrypto.EVP_DigestSign(context, nil, &length, bytes, bytes.count) == 1 else {
            throw SigningError(description: "OpenSSL could not size the signature")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard libcrypto.EVP_DigestSign(context, &signature, &length, bytes, bytes.count) == 1 else {
            throw SigningError(description: "OpenSSL could not sign")
        }
        return Data(signature.prefix(length))
    }
}
