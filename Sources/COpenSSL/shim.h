#ifndef CARRIER_COPENSSL_SHIM_H
#define CARRIER_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* libcrypto is opened on first use (dlopen of libcrypto.so.3), not linked: loading it, applying
   its 21,000 relocations and running its initialisers cost about 0.8 ms at every start, which
   `carrier render`, `carrier send` to most providers and every command that signs or verifies
   nothing should not pay. The headers give the types and constants; the functions Carrier calls
   are the fields of one table, each typed from its own declaration, and Swift calls them as
   `libcrypto.EVP_sha256()` (CarrierModel's `libcrypto`). A function Carrier starts to use is
   added to CARRIER_CRYPTO_FUNCTIONS. */

#define CARRIER_CRYPTO_FUNCTIONS(X) \
    X(SHA256) X(HMAC) X(EVP_Digest) X(EVP_MD_fetch) \
    X(EVP_md5) X(EVP_sha1) X(EVP_sha256) X(EVP_sha512) \
    X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) \
    X(EVP_DigestSignInit) X(EVP_DigestSign) X(EVP_DigestVerifyInit) X(EVP_DigestVerify) \
    X(EVP_PKEY_free) X(EVP_PKEY_get_bits) X(EVP_PKEY_get_base_id) \
    X(EVP_PKEY_new_raw_public_key) X(EVP_PKEY_get_raw_public_key) \
    X(EVP_PKEY_CTX_new_id) X(EVP_PKEY_CTX_free) X(EVP_PKEY_keygen_init) X(EVP_PKEY_keygen) \
    X(EVP_PKEY_CTX_set_rsa_keygen_bits) \
    X(PEM_read_bio_PUBKEY) X(PEM_read_bio_PrivateKey) X(PEM_write_bio_PrivateKey) X(PEM_read_bio_X509) \
    X(d2i_PUBKEY) X(d2i_PublicKey) X(d2i_X509) X(i2d_PUBKEY) \
    X(X509_free) X(X509_get_pubkey) X(X509_verify_cert) \
    X(X509_STORE_new) X(X509_STORE_free) X(X509_STORE_add_cert) X(X509_STORE_set_flags) \
    X(X509_STORE_CTX_new) X(X509_STORE_CTX_init) X(X509_STORE_CTX_free) \
    X(BIO_new) X(BIO_new_mem_buf) X(BIO_free) X(BIO_read) X(BIO_s_mem) \
    X(ERR_clear_error) X(CRYPTO_free)

struct carrier_crypto_api {
#define CARRIER_CRYPTO_FIELD(name) __typeof__(name) *_Nonnull name;
    CARRIER_CRYPTO_FUNCTIONS(CARRIER_CRYPTO_FIELD)
#undef CARRIER_CRYPTO_FIELD
};

/* SHA-256 looked up once, when the library is loaded (beside the table, which holds functions
   only): `SHA256()` looks the algorithm up in OpenSSL 3's provider store at every call, half
   the time of hashing a 250-byte webhook. Null if the lookup failed. */
static inline EVP_MD *_Nullable *_Nonnull carrier_crypto_sha256_slot(void) {
    static EVP_MD *sha256;
    return &sha256;
}

/* Function-local static: Swift emits inline functions into its objects, not header globals. */
static inline struct carrier_crypto_api *carrier_crypto_table(void) {
    static struct carrier_crypto_api table;
    return &table;
}

static inline void carrier_crypto_load(void) {
    struct carrier_crypto_api *table = carrier_crypto_table();
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "carrier: cannot load libcrypto (%s); install it with: apt-get install libssl3\n", dlerror());
        exit(70);
    }
#define CARRIER_CRYPTO_BIND(name) \
    if (!(*(void **)&table->name = dlsym(lib, #name))) { \
        fprintf(stderr, "carrier: libcrypto has no %s; Carrier needs OpenSSL 3\n", #name); exit(70); }
    CARRIER_CRYPTO_FUNCTIONS(CARRIER_CRYPTO_BIND)
#undef CARRIER_CRYPTO_BIND
    *carrier_crypto_sha256_slot() = table->EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

/* The table, loaded once. */
static inline const struct carrier_crypto_api *_Nonnull carrier_crypto(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, carrier_crypto_load);
    return carrier_crypto_table();
}

/* The SHA-256 fetched when the library was loaded (loading it first), or null. */
static inline const EVP_MD *_Nullable carrier_crypto_sha256(void) {
    (void)carrier_crypto();
    return *carrier_crypto_sha256_slot();
}
#endif
