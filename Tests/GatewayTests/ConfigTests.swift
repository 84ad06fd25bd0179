import Foundation
import Gateway
import Scoring
import Testing
import Training

@Suite struct ConfigTests {
    func load(_ yaml: String, env: [String: String] = [:], overrides: GatewayConfig.Overrides = .init()) throws -> GatewayConfig {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try GatewayConfig.load(file: file.path, environment: env, overrides: overrides)
    }

    @Test func theCommittedFileLoadsWithItsDefaults() throws {
        let config = try GatewayConfig.load(
            file: Paths.repositoryRoot.appendingPathComponent("config/leadgate.yaml").path, environment: [:])
        #expect(config.host == "127.0.0.1" && config.port == 8080)
        #expect(config.models.directory.hasSuffix("config/models"))
        #expect(config.models.defaultModel == "realestate")
        #expect(config.authMode == .none)
        #expect(config.llmTimeoutMS == 500)
    }

    @Test func retrainingDurationsAndDefaults() throws {
        #expect(try load("").retrain.everySeconds == 0)
        let config = try load("learning:\n  min_outcomes: 50\n  retrain: { every: 7d, challenger_hours: 12, work_dir: /tmp/lg-retrain }\n")
        #expect(config.retrain.everySeconds == 7 * 86_400 && config.retrain.minOutcomes == 50 && config.retrain.challengerHours == 12)
        #expect(config.retrain.workDirectory == "/tmp/lg-retrain" && config.retrain.challengerShare == 0.1)
        #expect(try load("learning: { retrain: { every: 90m } }").retrain.everySeconds == 5_400)
        #expect(try load("learning: { retrain: { every: off } }").retrain.everySeconds == 0)
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let yaml = "server: { host: 0.0.0.0, port: 9000 }\nllm: { timeout_ms: 800, base_url: http://file }\n"
        let fromFile = try load(yaml)
        #expect(fromFile.port == 9000 && fromFile.host == "0.0.0.0" && fromFile.llmTimeoutMS == 800)
        let env = [
            "LEADGATE_PORT": "9100", "LEADGATE_LLM_TIMEOUT_MS": "300", "LEADGATE_LLM_BASE_URL": "http://env/v1",
            "LEADGATE_LLM_MODEL": "m", "LEADGATE_LLM_API_KEY": "k", "LEADGATE_REDIS_URL": "redis://127.0.0.1:6390/0",
        ]
        let fromEnv = try load(yaml, env: env)
        #expect(fromEnv.port == 9100 && fromEnv.llmTimeoutMS == 300 && fromEnv.llmBaseURL == "http://env/v1")
        #expect(fromEnv.llmModel == "m" && fromEnv.llmAPIKey == "k" && fromEnv.redisURL == "redis://127.0.0.1:6390/0")
        let fromFlags = try load(yaml, env: env, overrides: .init(host: "::1", port: 9200))
        #expect(fromFlags.port == 9200 && fromFlags.host == "::1")
    }

    @Test(arguments: [
        ("server: { port: 70000 }", [String: String](), "server.port"),
        ("server: { prot: 1 }", [:], "server.prot"),
        ("scoring: { hot_above: 30, cold_below: 50 }", [:], "scoring"),
        ("limits: { max_batch_leads: 0 }", [:], "limits.max_batch_leads"),
        ("limits: { unknown_fields: maybe }", [:], "limits.unknown_fields"),
        ("auth: { mode: api_key }", [:], "auth.api_keys"),
        ("auth: { mode: api_key, api_keys: [{ name: a, key_env: NOPE, scopes: [crm.read.leads] }] }", [:], "auth.api_keys[0].key_env"),
        (
            "auth: { mode: api_key, api_keys: [{ name: a, key_env: K, scopes: [crm.rule] }] }", ["K": "0123456789abcdef0"],
            "auth.api_keys[0].scopes[0]"
        ),
        ("auth: { mode: jwt, jwt: { algorithm: HS256, secret_env: S } }", ["S": "short"], "auth.jwt.secret_env"),
        ("auth: { mode: jwt, jwt: { algorithm: ES256, secret_env: S } }", [:], "auth.jwt.algorithm"),
        ("models: { challenger_share: 0.5 }", [:], "models.challenger"),
        ("models: { challenger: x, challenger_share: 2 }", [:], "models.challenger_share"),
        ("logging: { level: loud }", [:], "logging.level"),
        ("", ["LEADGATE_PORT": "http"], "LEADGATE_PORT"),
        ("", ["LEADGATE_LLM_BASE_URL": "ftp://x"], "llm.base_url"),
        ("", ["LEADGATE_AUTH_MODE": "magic"], "LEADGATE_AUTH_MODE"),
        ("server: [1, 2]", [:], "server"),
        ("learning: { retrain: { every: 24 hours } }", [:], "learning.retrain.every"),
        ("learning: { retrain: { every: 30s } }", [:], "learning.retrain.every"),
        ("records: off\nlearning: { retrain: { every: 24h } }", [:], "learning.retrain.every"),
        ("jobs: { chunk_size: 0 }", [:], "jobs.chunk_size"),
        ("jobs: { llm_share: 1.5 }", [:], "jobs.llm_share"),
        ("jobs: { claim_after: 30 }", [:], "jobs.claim_after"),
        ("", ["LEADGATE_JOBS_CONCURRENCY": "many"], "LEADGATE_JOBS_CONCURRENCY"),
        ("learning: { retrain: { challenger_share: 1 } }", [:], "learning.retrain.challenger_share"),
        ("learning: { retrain: { holdout_fraction: 0.9 } }", [:], "learning.retrain.holdout_fraction"),
        ("learning: { min_outcomes: 3 }", [:], "learning.min_outcomes"),
        ("learning: { retrain: { evry: 24h } }", [:], "learning.retrain.evry"),
    ])
    func errorsNameTheKeyAndTheFix(_ yaml: String, _ env: [String: String], _ key: String) throws {
        do {
            _ = try load(yaml, env: env)
            Issue.record("accepted: \(yaml) \(env)")
        } catch let error as ConfigurationError {
            #expect(error.key == key, "\(error)")
            #expect(error.message.count > 15)
        }
    }

    @Test func badRS256KeyStopsTheStart() throws {
        let config = try load(
            "auth: { mode: jwt, jwt: { algorithm: RS256, public_key_env: P } }",
            env: ["P": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"])
        #expect(throws: ConfigurationError.self) { try Authenticator(config: config) }
    }
}
