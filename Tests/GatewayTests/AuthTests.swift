import Foundation
import Testing

/// Every route under every kind of credential: 401 without valid credentials, 403 without the
/// route's scope, success with it.
@Suite struct AuthTests {
    /// (method, path, body, scope the route needs; nil = public)
    static let routes: [(String, String, String?, String?)] = [
        ("GET", "/healthz", nil, nil),
        ("GET", "/readyz", nil, nil),
        ("GET", "/metrics", nil, nil),
        ("GET", "/openapi.json", nil, nil),
        ("POST", "/v1/leads/score", #"{"lead_id": "auth-1", "features": {}}"#, "crm.write.leads"),
        ("POST", "/v1/leads/batch-score", #"{"leads": [{"lead_id": "auth-2", "features": {}}]}"#, "crm.write.leads"),
        ("GET", "/v1/leads/auth-1/score", nil, "crm.read.leads"),
        ("DELETE", "/v1/leads/auth-9", nil, "crm.write.leads"),
        ("POST", "/v1/leads/auth-8/prewarm", #"{"features": {}}"#, "crm.write.leads"),
        ("POST", "/v1/leads/prewarm", #"{"leads": [{"lead_id": "auth-7", "features": {}}]}"#, "crm.write.leads"),
        ("GET", "/v1/models", nil, "crm.read.leads"),
        ("GET", "/v1/decisions/auth-unknown:0", nil, "crm.read.leads"),
        ("GET", "/v1/leads/auth-1/history", nil, "crm.read.leads"),
        ("GET", "/v1/leads/auth-1/outcomes", nil, "crm.read.leads"),
        ("POST", "/v1/outcomes", #"{"lead_id": "auth-1", "outcome": "converted"}"#, "crm.write.leads"),
        ("POST", "/v1/admin/models/reload", nil, "prompts.admin"),
        ("GET", "/v1/prompts", nil, "prompts.admin"),
        ("POST", "/v1/integrations/vapi", #"{"message": {"type": "status-update"}}"#, "crm.read.leads"),
        ("POST", "/v1/integrations/retell", #"{"name": "get_lead_score", "args": {"lead_id": "auth-1"}}"#, "crm.read.leads"),
        ("POST", "/v1/leads/auth-6/events", #"{"event_id": "e-1", "type": "search"}"#, "crm.write.leads"),
        ("POST", "/v1/leads/events", #"{"events": [{"lead_id": "auth-5", "event_id": "e-1", "type": "search"}]}"#, "crm.write.leads"),
    ]

    static let keys = [
        "writer": ("LG_KEY_WRITER", "writer-key-0123456789abcdef", ["crm.write.leads"]),
        "reader": ("LG_KEY_READER", "reader-key-0123456789abcdef", ["crm.read.leads"]),
        "admin": ("LG_KEY_ADMIN", "admin-key-0123456789abcdef", ["prompts.admin"]),
    ]

    static var apiKeyConfig: (yaml: String, env: [String: String]) {
        var yaml = "auth:\n  mode: api_key\n  api_keys:\n"
        var env: [String: String] = [:]
        for (name, (variable, key, scopes)) in keys.sorted(by: { $0.key < $1.key }) {
            yaml += "    - { name: \(name), key_env: \(variable), scopes: [\(scopes.joined(separator: ", "))] }\n"
            env[variable] = key
        }
        return (yaml, env)
    }

    /// Sends every route with `headers`, and checks each status against `expected(scope)`.
    func check(_ base: String, headers: [String: String], expected: (String?) -> Int, label: String) async throws {
        for (method, path, body, scope) in Self.routes {
            var all = headers
            if body != nil { all["Content-Type"] = "application/json" }
            let response = try await HTTPClient.send(method, base + path, headers: all, body: body.map { Array($0.utf8) })
            let want = expected(scope)
            if want == 200 {
                // Allowed: 200, 202 for the routes that accept work (prewarm), and 404 for a decision
                // no one made (past auth: a refused caller gets 401 or 403).
                let ok = path.hasSuffix("/prewarm") ? 202 : path.hasPrefix("/v1/decisions/") ? 404 : 200
                #expect(response.status == ok, "\(label): \(method) \(path) → \(response.status) \(response.text.prefix(200))")
            } else {
                #expect(response.status == want, "\(label): \(method) \(path) → \(response.status), want \(want)")
                #expect(response.header("content-type") == "application/problem+json", "\(label): \(method) \(path)")
                if want == 401 { #expect(response.header("www-authenticate")?.contains("Bearer") == true) }
            }
        }
    }

    @Test func apiKeyMatrix() async throws {
        let (yaml, env) = Self.apiKeyConfig
        try await withGateway(yaml: yaml, environment: env) { base in
            // The live-score route needs a scored lead, whichever key the matrix tries first.
            let seed = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", headers: ["X-API-Key": "writer-key-0123456789abcdef"],
                json: #"{"lead_id": "auth-1", "features": {}}"#)
            #expect(seed.status == 200)
            try await check(base, headers: [:], expected: { $0 == nil ? 200 : 401 }, label: "no credentials")
            try await check(base, headers: ["X-API-Key": "wrong-key-0123456789abcdef"], expected: { $0 == nil ? 200 : 401 }, label: "bad key")
            for (name, (_, key, scopes)) in Self.keys {
                try await check(
                    base, headers: ["X-API-Key": key], expected: { $0 == nil || scopes.contains($0 ?? "") ? 200 : 403 }, label: name)
                try await check(
                    base, headers: ["Authorization": "Bearer \(key)"], expected: { $0 == nil || scopes.contains($0 ?? "") ? 200 : 403 },
                    label: "\(name) as bearer")
            }
        }
    }

    @Test func hs256Matrix() async throws {
        let secret = "an-hs256-secret-of-at-least-32-bytes!!"
        let yaml = "auth:\n  mode: jwt\n  jwt: { algorithm: HS256, secret_env: LG_JWT_SECRET, issuer: crm, audience: leadgate }\n"
        try await withGateway(yaml: yaml, environment: ["LG_JWT_SECRET": secret]) { base in
            let good = ["iss": "crm", "aud": "leadgate"]
            for scope in ["crm.write.leads", "crm.read.leads", "prompts.admin"] {
                let token = try JWTSigner.hs256(secret: secret, claims: JWTSigner.claims(scope: scope, extra: good))
                try await check(base, headers: ["Authorization": "Bearer \(token)"], expected: { $0 == nil || $0 == scope ? 200 : 403 }, label: scope)
            }
            let all = "crm.write.leads crm.read.leads prompts.admin"
            let bad: [(String, String)] = [
                ("expired", try JWTSigner.hs256(secret: secret, claims: JWTSigner.claims(scope: all, expiresIn: -3600, extra: good))),
                ("wrong secret", try JWTSigner.hs256(secret: secret + "x", claims: JWTSigner.claims(scope: all, extra: good))),
                (
                    "wrong issuer",
                    try JWTSigner.hs256(secret: secret, claims: JWTSigner.claims(scope: all, extra: ["iss": "evil", "aud": "leadgate"]))
                ),
                ("wrong audience", try JWTSigner.hs256(secret: secret, claims: JWTSigner.claims(scope: all, extra: ["iss": "crm", "aud": "x"]))),
                ("alg none", try JWTSigner.signingInput(alg: "none", claims: JWTSigner.claims(scope: all, extra: good)) + "."),
                ("garbage", "not.a.jwt"),
            ]
            for (label, token) in bad {
                try await check(base, headers: ["Authorization": "Bearer \(token)"], expected: { $0 == nil ? 200 : 401 }, label: label)
            }
            let noScope = try JWTSigner.hs256(secret: secret, claims: JWTSigner.claims(scope: nil, extra: good))
            try await check(base, headers: ["Authorization": "Bearer \(noScope)"], expected: { $0 == nil ? 200 : 403 }, label: "no scope")
        }
    }

    @Test func rs256Matrix() async throws {
        let fixtures = Paths.repositoryRoot.appendingPathComponent("Tests/Fixtures/jwt")
        let publicKey = try String(contentsOf: fixtures.appendingPathComponent("test-public.pem"), encoding: .utf8)
        let privateKey = try String(contentsOf: fixtures.appendingPathComponent("test-private.pem"), encoding: .utf8)
        let otherKey = try String(contentsOf: fixtures.appendingPathComponent("other-private.pem"), encoding: .utf8)
        let yaml = "auth:\n  mode: jwt\n  jwt: { algorithm: RS256, public_key_env: LG_JWT_PUBLIC_KEY }\n"
        try await withGateway(yaml: yaml, environment: ["LG_JWT_PUBLIC_KEY": publicKey]) { base in
            let token = try JWTSigner.rs256(privateKeyPEM: privateKey, claims: JWTSigner.claims(scope: "crm.read.leads crm.write.leads"))
            try await check(
                base, headers: ["Authorization": "Bearer \(token)"], expected: { $0 == "prompts.admin" ? 403 : 200 }, label: "RS256")
            let forged = try JWTSigner.rs256(privateKeyPEM: otherKey, claims: JWTSigner.claims(scope: "crm.read.leads"))
            try await check(base, headers: ["Authorization": "Bearer \(forged)"], expected: { $0 == nil ? 200 : 401 }, label: "other key")
            // An HS256 token signed with the public key as the secret (algorithm confusion) is refused.
            let confused = try JWTSigner.hs256(secret: publicKey, claims: JWTSigner.claims(scope: "crm.read.leads"))
            try await check(base, headers: ["Authorization": "Bearer \(confused)"], expected: { $0 == nil ? 200 : 401 }, label: "alg confusion")
        }
    }
}
