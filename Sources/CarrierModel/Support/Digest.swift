import COpenSSL
import Foundation

/// SHA-256 and HMAC-SHA256 through OpenSSL, for schemes that sign requests (SigV4, Azure) and
/// webhook event ids. SHA-256 goes through the algorithm the library table fetched once
/// (`carrier_crypto_sha256()`, `COpenSSL/shim.h`).
package enum Digest {
    package static func sha256(_ data: some DataProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        withBytes(of: data) { bytes in
            if let sha256 = carrier_crypto_sha256() {
                _ = libcrypto.EVP_Digest(bytes.baseAddress, bytes.count, &out, nil, sha256, nil)
            } else {
                _ = libcrypto.SHA256(bytes.baseAddress, bytes.count, &out)
            }
        }
        return out
    }

    package static func hmacSHA256(key: [UInt8], _ data: some DataProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        withBytes(of: data) { _ = libcrypto.HMAC(libcrypto.EVP_sha256(), key, Int32(key.count), $0.baseAddress, $0.count, &out, &length) }
        return Array(out.prefix(Int(length)))
    }

    /// The data's own bytes when they are contiguous (arrays, `Data`), else a copy: copying
    /// through the generic collection went a byte at a time, more than the hash itself.
    private static func withBytes(of data: some DataProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if data.withContiguousStorageIfAvailable(body) == nil { Array(data).withUnsafeBufferPointer(body) }
    }

    /// Lower-case hex, two digits a byte, written straight into the string's storage.
    package static func hex(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for index in bytes.indices {
                out[2 * index] = HexDigit.lower(bytes[index] >> 4)
                out[2 * index + 1] = HexDigit.lower(bytes[index] & 0x0F)
            }
            return bytes.count * 2
        }
    }
}
