import COpenSSL

/// Runs `read` on a read-only OpenSSL BIO over `bytes`. `BIO_new_mem_buf` does not copy, so the
/// BIO lives only inside the call, while the bytes are pinned.
package func withMemoryBIO<T>(_ bytes: [UInt8], _ read: (OpaquePointer) -> T?) -> T? {
    bytes.withUnsafeBytes { raw in
        guard let bio = libcrypto.BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
        defer { _ = libcrypto.BIO_free(bio) }
        return read(bio)
    }
}
