import COpenSSL

/// An RSA (or any PKCS#1 v1.5-capable) public key read from PEM, for RS256 signatures.
final class PublicKey: @unchecked Sendable {
    // The EVP_PKEY is never mutated after init; OpenSSL 3 allows concurrent verification with one key.
    private let key: OpaquePointer

    init?(pem: [UInt8]) {
        guard
            let bio = pem.withUnsafeBytes({ raw in BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) })
        else { return nil }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
            ERR_clear_error()
            return nil
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// Verifies an RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `message`.
    func verifyRS256(message: [UInt8], signature: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = message.withUnsafeBufferPointer { m in
            signature.withUnsafeBufferPointer { s in
                EVP_DigestVerify(context, s.baseAddress, s.count, m.baseAddress, m.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }
}
