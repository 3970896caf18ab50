import COpenSSL

/// OpenSSL's libcrypto, opened the first time Carrier hashes, signs or verifies: its functions
/// are called as `libcrypto.EVP_sha256()`. Not linked, so that a start pays for it only when it
/// is used (Sources/COpenSSL/shim.h lists the functions and says why).
package let libcrypto: carrier_crypto_api = carrier_crypto().pointee
