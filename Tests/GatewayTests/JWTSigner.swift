import COpenSSL
import Foundation

/// Makes JWTs for the tests: HS256 with a secret, RS256 with a PEM private key (libcrypto).
enum JWTSigner {
    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func claims(scope: String?, expiresIn: Int = 600, extra: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = ["sub": "tester", "exp": Int(Date().timeIntervalSince1970) + expiresIn]
        if let scope { claims["scope"] = scope }
        for (k, v) in extra { claims[k] = v }
        return claims
    }

    static func signingInput(alg: String, claims: [String: Any]) throws -> String {
        let header = try JSONSerialization.data(withJSONObject: ["alg": alg, "typ": "JWT"])
        let payload = try JSONSerialization.data(withJSONObject: claims)
        return base64url(Array(header)) + "." + base64url(Array(payload))
    }

    static func hs256(secret: String, claims: [String: Any]) throws -> String {
        let input = try signingInput(alg: "HS256", claims: claims)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        let key = Array(secret.utf8)
        let message = Array(input.utf8)
        _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &out, &length)
        return input + "." + base64url(out)
    }

    static func rs256(privateKeyPEM: String, claims: [String: Any]) throws -> String {
        let input = try signingInput(alg: "RS256", claims: claims)
        let pem = Array(privateKeyPEM.utf8)
        guard let bio = pem.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else { throw SignError() }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil), let context = EVP_MD_CTX_new() else { throw SignError() }
        defer {
            EVP_PKEY_free(key)
            EVP_MD_CTX_free(context)
        }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { throw SignError() }
        let message = Array(input.utf8)
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw SignError() }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else { throw SignError() }
        return input + "." + base64url(Array(signature.prefix(length)))
    }

    struct SignError: Error {}
}
