import COpenSSL
import Foundation

/// SHA-256 and HMAC-SHA256 through OpenSSL, for schemes that sign requests (SigV4, Azure).
package enum Digest {
    package static func sha256(_ data: some DataProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        withBytes(of: data) { _ = libcrypto.SHA256($0.baseAddress, $0.count, &out) }
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

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 0x0F)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
