import COpenSSL

/// An X.509 certificate read from PEM or DER, for verifiers that fetch the ESP's certificate (SNS).
final class X509Certificate {
    private let pointer: OpaquePointer

    /// The certificate in `bytes` (PEM, else DER), or nil.
    init?(_ bytes: [UInt8]) {
        var read = withMemoryBIO(bytes) { libcrypto.PEM_read_bio_X509($0, nil, nil, nil) }
        if read == nil {
            read = bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
                var start = buffer.baseAddress
                return libcrypto.d2i_X509(nil, &start, buffer.count)
            }
        }
        libcrypto.ERR_clear_error()
        guard let read else { return nil }
        pointer = read
    }

    deinit { libcrypto.X509_free(pointer) }

    /// The certificate's public key; the caller frees it with `EVP_PKEY_free`.
    func publicKey() -> OpaquePointer? { libcrypto.X509_get_pubkey(pointer) }

    /// Whether the certificate is valid now and issued (directly or through others in `trust`) by
    /// one of the PEM certificates in `trust`, each of which is taken as an anchor.
    func chains(to trust: [UInt8]) -> Bool {
        guard let store = libcrypto.X509_STORE_new() else { return false }
        defer { libcrypto.X509_STORE_free(store) }
        let anchors = withMemoryBIO(trust) { bio -> Int in
            var added = 0
            while let certificate = libcrypto.PEM_read_bio_X509(bio, nil, nil, nil) {
                if libcrypto.X509_STORE_add_cert(store, certificate) == 1 { added += 1 }  // the store keeps its own reference
                libcrypto.X509_free(certificate)
            }
            return added
        } ?? 0
        libcrypto.ERR_clear_error()
        guard anchors > 0 else { return false }
        _ = libcrypto.X509_STORE_set_flags(store, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        guard let context = libcrypto.X509_STORE_CTX_new() else { return false }
        defer { libcrypto.X509_STORE_CTX_free(context) }
        guard libcrypto.X509_STORE_CTX_init(context, store, pointer, nil) == 1 else { return false }
        defer { libcrypto.ERR_clear_error() }
        return libcrypto.X509_verify_cert(context) == 1
    }
}
