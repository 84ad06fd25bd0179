public import Foundation
import Hashing
public import Scoring

/// Checks credentials: none, API keys (`X-API-Key` or `Authorization: Bearer`), or JWT bearer tokens
/// (HS256 with a shared secret, RS256 with a public key).
public struct Authenticator: Sendable {
    /// Why a request is not authenticated (401).
    public struct Failure: Error, Sendable {
        public var message: String
    }

    enum Verifier: Sendable {
        case none
        case apiKeys([GatewayConfig.APIKey])
        case hs256(secret: [UInt8], GatewayConfig.JWT)
        case rs256(PublicKey, GatewayConfig.JWT)
    }

    let verifier: Verifier
    /// The scheme named in `WWW-Authenticate` on a 401.
    public let challenge: String

    public init(config: GatewayConfig) throws(ConfigurationError) {
        switch config.authMode {
        case .none:
            verifier = .none
            challenge = ""
        case .apiKey:
            verifier = .apiKeys(config.apiKeys)
            challenge = "Bearer realm=\"leadgate\", ApiKey header=\"X-API-Key\""
        case .jwt:
            guard let jwt = config.jwt else { throw ConfigurationError(key: "auth.jwt", "is missing. Add algorithm and key.") }
            switch jwt.algorithm {
            case .hs256:
                verifier = .hs256(secret: jwt.key, jwt)
            case .rs256:
                guard let key = PublicKey(pem: jwt.key) else {
                    throw ConfigurationError(
                        key: "auth.jwt.public_key_env", "does not hold a PEM public key (-----BEGIN PUBLIC KEY-----). Export the key's PEM text.")
                }
                verifier = .rs256(key, jwt)
            }
            challenge = "Bearer realm=\"leadgate\""
        }
    }

    public var isEnabled: Bool {
        if case .none = verifier { return false }
        return true
    }

    /// The caller behind `authorization` / `apiKey` header values, or why there is none.
    public func authenticate(authorization: String?, apiKey: String?, now: Date = Date()) -> Result<Principal, Failure> {
        switch verifier {
        case .none:
            return .success(.anonymous)
        case .apiKeys(let keys):
            guard let presented = apiKey ?? Self.bearer(authorization) else {
                return .failure(Failure(message: "No credentials. Send the API key in `X-API-Key` or `Authorization: Bearer <key>`."))
            }
            let digest = SHA256.hash(Array(presented.utf8))
            var match: GatewayConfig.APIKey?
            for key in keys where HMAC.constantTimeEqual(key.sha256, digest) { match = key }
            guard let match else { return .failure(Failure(message: "The API key is not valid. Check the key you send.")) }
            return .success(Principal(subject: "key:\(match.name)", scopes: match.scopes))
        case .hs256(let secret, let settings):
            guard let token = Self.bearer(authorization) else {
                return .failure(Failure(message: "No credentials. Send a JWT in `Authorization: Bearer <token>`."))
            }
            return verifyJWT(token, settings: settings, now: now) { message, signature in
                HMAC.constantTimeEqual(HMAC.sha256(key: secret, message: message), signature)
            }
        case .rs256(let key, let settings):
            guard let token = Self.bearer(authorization) else {
                return .failure(Failure(message: "No credentials. Send a JWT in `Authorization: Bearer <token>`."))
            }
            return verifyJWT(token, settings: settings, now: now) { message, signature in
                key.verifyRS256(message: message, signature: signature)
            }
        }
    }

    static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private func verifyJWT(
        _ token: String, settings: GatewayConfig.JWT, now: Date, signatureValid: ([UInt8], [UInt8]) -> Bool
    ) -> Result<Principal, Failure> {
        func fail(_ message: String) -> Result<Principal, Failure> { .failure(Failure(message: message)) }
        guard token.utf8.count <= 8192 else { return fail("The token is longer than 8192 bytes.") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { return fail("The token is not a JWT (three base64url parts).") }
        guard let header = (try? JSONSerialization.jsonObject(with: Data(headerBytes))) as? [String: Any],
            let claims = (try? JSONSerialization.jsonObject(with: Data(payloadBytes))) as? [String: Any]
        else { return fail("The token's header or claims are not JSON objects.") }
        guard let alg = header["alg"] as? String, alg == settings.algorithm.rawValue else {
            return fail("The token's algorithm must be \(settings.algorithm.rawValue).")
        }
        let signed = Array("\(parts[0]).\(parts[1])".utf8)
        guard signatureValid(signed, signature) else { return fail("The token's signature is not valid.") }
        let seconds = now.timeIntervalSince1970
        let leeway = Double(settings.leewaySeconds)
        guard let exp = (claims["exp"] as? NSNumber)?.doubleValue else { return fail("The token has no `exp` claim. Issue tokens that expire.") }
        guard seconds <= exp + leeway else { return fail("The token has expired. Get a new one.") }
        if let nbf = (claims["nbf"] as? NSNumber)?.doubleValue, seconds + leeway < nbf {
            return fail("The token is not valid yet (`nbf`).")
        }
        if let issuer = settings.issuer, claims["iss"] as? String != issuer {
            return fail("The token's issuer must be `\(issuer)`.")
        }
        if let audience = settings.audience {
            let audiences = (claims["aud"] as? [String]) ?? ((claims["aud"] as? String).map { [$0] } ?? [])
            guard audiences.contains(audience) else { return fail("The token's audience must include `\(audience)`.") }
        }
        var names: [String] = []
        for key in ["scope", "scp", "scopes"] {
            if let text = claims[key] as? String { names += text.split(separator: " ").map(String.init) }
            if let list = claims[key] as? [String] { names += list }
        }
        let scopes = Set(names.compactMap(Scope.init(rawValue:)))
        return .success(Principal(subject: (claims["sub"] as? String) ?? "jwt", scopes: scopes))
    }
}

/// Base64url without padding (RFC 7515).
enum Base64URL {
    static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !s.contains("=") else { return nil }
        while s.utf8.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
