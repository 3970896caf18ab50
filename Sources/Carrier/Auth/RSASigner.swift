import COpenSSL
import Foundation

/// RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256) through OpenSSL, for JWT grants.
enum RSASigner {
    struct SigningError: Error, CustomStringConvertible {
        var description: String
    }

    static func sign(_ input: Data, privateKeyPEM: String) throws(SigningError) -> Data {
        let pem = Array(privateKeyPEM.utf8)
        guard let bio = pem.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
            throw SigningError(description: "OpenSSL could not read the key")
        }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw SigningError(description: "the private key is not a PEM RSA key (expected -----BEGIN PRIVATE KEY-----)")
        }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { throw SigningError(description: "OpenSSL is out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            throw SigningError(description: "OpenSSL could not start an RS256 signature")
        }
        var length = 0
        let bytes = Array(input)
        guard EVP_DigestSign(context, nil, &length, bytes, bytes.count) == 1 else {
            throw SigningError(description: "OpenSSL could not size the signature")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, bytes, bytes.count) == 1 else {
            throw SigningError(description: "OpenSSL could not sign")
        }
        return Data(signature.prefix(length))
    }
}
