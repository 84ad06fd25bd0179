import Foundation
public import Scoring
import Store

/// Everything `leadgate serve` reads at start: `config/leadgate.yaml`, then `LEADGATE_*` environment
/// variables, then command-line flags, each overriding the one before. ``load(file:environment:overrides:)``
/// validates every value and names the key and the fix when one is wrong.
public struct GatewayConfig: Sendable {
    public enum AuthMode: String, Sendable, CaseIterable { case none, apiKey = "api_key", jwt }
    public enum LogFormat: String, Sendable, CaseIterable { case json, text }
    public enum UnknownFields: String, Sendable, CaseIterable { case warn, reject }

    /// An API key: its SHA-256 (the key itself lives only in an environment variable) and its scopes.
    public struct APIKey: Sendable {
        public var name: String
        public var sha256: [UInt8]
        public var scopes: Set<Scope>
    }

    public struct JWT: Sendable {
        public enum Algorithm: String, Sendable, CaseIterable { case hs256 = "HS256", rs256 = "RS256" }
        public var algorithm: Algorithm
        /// The HS256 secret or the RS256 public key (PEM), read from the environment.
        public var key: [UInt8]
        public var issuer: String?
        public var audience: String?
        public var leewaySeconds: Int
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var maxBodyBytes = 1 << 20
    public var maxBatchBodyBytes = 32 << 20
    public var maxBatchLeads = 10_000
    public var maxNotesChars = 4_000
    public var maxLeadIDChars = 128
    public var unknownFields = UnknownFields.warn
    public var thresholds = ScoreThresholds()
    public var reasonCount = 4
    /// Threads for batch scoring (0 = one per core).
    public var batchThreads = 0
    public var models = ModelSelection(directory: "config/models")
    public var authMode = AuthMode.none
    public var apiKeys: [APIKey] = []
    public var jwt: JWT?
    public var liveScoreCapacity = 100_000
    public var logLevel = "info"
    public var logFormat = LogFormat.json
    /// Redis (ARCHITECTURE §3, §6); without a URL the in-memory store serves.
    public var redisURL: String?
    public var redisKeyPrefix = "leadgate:"
    public var redisPoolSize = 4
    public var redisConnectTimeoutMS = 200
    /// The socket timeout of one Redis command on a pool thread.
    public var redisCommandTimeoutMS = 250
    /// The cache lookup before an LLM call: its own short timeout inside the LLM budget.
    public var redisLookupTimeoutMS = 20
    /// Reading a live score (`GET /v1/leads/{id}/score`) and erasing a lead.
    public var redisReadTimeoutMS = 100
    /// A short Redis lock so that gateways sharing Redis make one LLM call for identical leads.
    public var redisLock = false
    /// Accepted LLM answers and live scores live this long.
    public var cacheTTLSeconds = 86_400
    public var liveTTLSeconds = 7 * 86_400
    /// Cached answers kept in the process by the in-memory store (and the near copy with Redis).
    public var cacheCapacity = 100_000
    /// With Redis: how long a gateway keeps its own copy of a cached answer (0 = always ask Redis).
    public var cacheLocalTTLSeconds = 60
    /// With Redis: how long a gateway keeps its own copy of the live scores it wrote (its fallback
    /// while Redis does not answer).
    public var liveLocalTTLSeconds = 600
    /// A live score older than this says `"stale": true`.
    public var liveStaleAfterSeconds = 3_600
    /// With Redis: how long a gateway serves a live score it read without asking Redis again, while
    /// Redis reports changes to it (`live_scores.near_ttl_s`; 0 = always ask Redis).
    public var liveNearTTLSeconds = 30
    /// A lead's event log lives this long after its last event (`live_scores.events_ttl_s`).
    public var eventsTTLSeconds = 90 * 86_400
    /// Open score streams (SSE) this gateway serves at once; more get a 503.
    public var maxStreams = 10_000
    /// Seconds between keep-alive comments on a score stream.
    public var streamHeartbeatSeconds = 15
    /// Events one request may carry (`POST /v1/leads/{id}/events`).
    public var maxEventsPerRequest = 500
    /// Events one bulk request may carry (`POST /v1/leads/events`).
    public var maxBulkEvents = 10_000
    /// Badge-change webhooks: where to post, the signing secret (from the environment), retries.
    public var webhookURL: String?
    public var webhookSecret: [UInt8] = []
    public var webhookSecretEnv = "LEADGATE_WEBHOOK_SECRET"
    public var webhookMaxAttempts = 5
    public var webhookBackoffMS = 250
    public var webhookTimeoutMS = 2_000
    /// Voice platforms: Retell's API key (it signs each request with it) and Vapi's server secret,
    /// read from these environment variables. When set, the platform's own signature or secret
    /// authenticates its requests instead of LeadGate's API keys.
    public var retellKeyEnv = "LEADGATE_RETELL_API_KEY"
    public var retellKey: [UInt8] = []
    public var vapiSecretEnv = "LEADGATE_VAPI_SECRET"
    public var vapiSecret: [UInt8] = []
    public var llmBaseURL: String?
    public var llmModel: String?
    public var llmAPIKey: String?
    public var llmTimeoutMS = 500
    /// The live prompt's file (ARCHITECTURE §5); its folder holds the other prompts.
    public var llmPrompt = "prompts/lead-adjust.prompt"
    /// A prompt id tried on a share of leads (A/B), sticky by lead id.
    public var llmCandidatePrompt: String?
    public var llmCandidateShare = 0.0
    public var llmResponseFormat = "json_schema"
    public var llmMaxTokensField = "max_tokens"
    public var llmMaxInFlight = 1_000
    public var llmConnectTimeoutMS = 150
    /// Taken off the budget for the work after a late call (see ``ScoringService/llmDeadline(_:)``).
    public var llmDeadlineMarginMS = 15
    public var llmCABundle: String?
    /// Circuit breaker: failures in a row that open it (0 = never), and how long it stays open.
    public var llmBreakerFailures = 5
    public var llmBreakerCoolDownMS = 5_000

    public init() {}

    /// Flags given on the command line (they win over everything).
    public struct Overrides: Sendable {
        public var host: String?
        public var port: Int?
        public var modelsDirectory: String?
        public init(host: String? = nil, port: Int? = nil, modelsDirectory: String? = nil) {
            self.host = host
            self.port = port
            self.modelsDirectory = modelsDirectory
        }
    }

    /// Reads the file (when given or found), then the environment, then `overrides`.
    ///
    /// - Parameters:
    ///   - file: The YAML file; `nil` reads `LEADGATE_CONFIG`, else `config/leadgate.yaml` when it exists.
    ///   - environment: Usually `ProcessInfo.processInfo.environment`.
    /// - Throws: ``ConfigurationError`` naming the key (`server.port`, `LEADGATE_PORT`, `--port`) and the fix.
    public static func load(
        file: String?, environment: [String: String], overrides: Overrides = Overrides()
    ) throws(ConfigurationError) -> GatewayConfig {
        var config = GatewayConfig()
        var path = file ?? environment["LEADGATE_CONFIG"]
        let explicit = path != nil
        if path == nil, FileManager.default.fileExists(atPath: "config/leadgate.yaml") { path = "config/leadgate.yaml" }
        var baseDirectory = FileManager.default.currentDirectoryPath
        if let path {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(
                    key: explicit ? (file != nil ? "--config" : "LEADGATE_CONFIG") : path,
                    "`\(path)` cannot be read. Point it at a readable YAML file (see config/leadgate.yaml).")
            }
            baseDirectory = ((path as NSString).deletingLastPathComponent as NSString).standardizingPath
            if baseDirectory.isEmpty { baseDirectory = "." }
            try config.apply(yaml: try YAMLNode.parse(text, file: path), environment: environment, baseDirectory: baseDirectory)
        } else {
            config.models.directory = "config/models"
        }
        try config.apply(environment: environment)
        if let host = overrides.host { config.host = host }
        if let port = overrides.port {
            guard (0...65535).contains(port) else {
                throw ConfigurationError(key: "--port", "\(port) is not a port. Use 0–65535 (0 = any free port).")
            }
            config.port = port
        }
        if let dir = overrides.modelsDirectory { config.models.directory = dir }
        try config.validate()
        return config
    }

    private mutating func apply(yaml root: YAMLNode, environment: [String: String], baseDirectory: String) throws(ConfigurationError) {
        try root.checkKeys([
            "server", "limits", "scoring", "models", "auth", "live_scores", "logging", "redis", "cache", "llm", "webhooks", "integrations",
        ])
        if let integrations = root["integrations"] {
            try integrations.checkKeys(["retell", "vapi"])
            if let retell = integrations["retell"] {
                try retell.checkKeys(["api_key_env"])
                retellKeyEnv = try retell["api_key_env"]?.string() ?? retellKeyEnv
            }
            if let vapi = integrations["vapi"] {
                try vapi.checkKeys(["secret_env"])
                vapiSecretEnv = try vapi["secret_env"]?.string() ?? vapiSecretEnv
            }
        }
        if let hooks = root["webhooks"] {
            try hooks.checkKeys(["url", "secret_env", "max_attempts", "backoff_ms", "timeout_ms"])
            webhookURL = try hooks["url"]?.string()
            webhookSecretEnv = try hooks["secret_env"]?.string() ?? webhookSecretEnv
            webhookMaxAttempts = try hooks["max_attempts"]?.int() ?? webhookMaxAttempts
            webhookBackoffMS = try hooks["backoff_ms"]?.int() ?? webhookBackoffMS
            webhookTimeoutMS = try hooks["timeout_ms"]?.int() ?? webhookTimeoutMS
        }
        if let server = root["server"] {
            try server.checkKeys(["host", "port"])
            host = try server["host"]?.string() ?? host
            port = try server["port"]?.int() ?? port
        }
        if let limits = root["limits"] {
            try limits.checkKeys([
                "max_body_bytes", "max_events_per_request", "max_bulk_events", "max_batch_body_bytes", "max_batch_leads", "max_notes_chars",
                "max_lead_id_chars",
                "unknown_fields",
            ])
            maxBodyBytes = try limits["max_body_bytes"]?.int() ?? maxBodyBytes
            maxBatchBodyBytes = try limits["max_batch_body_bytes"]?.int() ?? maxBatchBodyBytes
            maxEventsPerRequest = try limits["max_events_per_request"]?.int() ?? maxEventsPerRequest
            maxBulkEvents = try limits["max_bulk_events"]?.int() ?? maxBulkEvents
            maxBatchLeads = try limits["max_batch_leads"]?.int() ?? maxBatchLeads
            maxNotesChars = try limits["max_notes_chars"]?.int() ?? maxNotesChars
            maxLeadIDChars = try limits["max_lead_id_chars"]?.int() ?? maxLeadIDChars
            if let node = limits["unknown_fields"] { unknownFields = try Self.choice(node, UnknownFields.self) }
        }
        if let scoring = root["scoring"] {
            try scoring.checkKeys(["hot_above", "cold_below", "reasons", "batch_threads"])
            thresholds.hotAbove = try scoring["hot_above"]?.int() ?? thresholds.hotAbove
            thresholds.coldBelow = try scoring["cold_below"]?.int() ?? thresholds.coldBelow
            reasonCount = try scoring["reasons"]?.int() ?? reasonCount
            batchThreads = try scoring["batch_threads"]?.int() ?? batchThreads
        }
        if let node = root["models"] {
            try node.checkKeys(["directory", "default", "challenger", "challenger_share", "fallback"])
            if let dir = try node["directory"]?.string() {
                models.directory = dir.hasPrefix("/") ? dir : (baseDirectory as NSString).appendingPathComponent(dir)
            }
            models.defaultModel = try node["default"]?.string()
            models.challenger = try node["challenger"]?.string()
            models.challengerShare = try node["challenger_share"]?.double() ?? 0
            models.fallback = try node["fallback"]?.string()
        } else {
            models.directory = (baseDirectory as NSString).appendingPathComponent("models")
        }
        if let auth = root["auth"] {
            try auth.checkKeys(["mode", "api_keys", "jwt"])
            if let node = auth["mode"] { authMode = try Self.choice(node, AuthMode.self) }
            if let keys = auth["api_keys"] {
                for entry in try keys.elements() {
                    try entry.checkKeys(["name", "key_env", "scopes"])
                    let name = try entry.required("name").string()
                    let variable = try entry.required("key_env").string()
                    guard let secret = environment[variable], secret.utf8.count >= 16 else {
                        throw ConfigurationError(
                            key: "\(entry.path).key_env",
                            "names `\(variable)`, which is unset or shorter than 16 characters. Export the key in that variable.")
                    }
                    apiKeys.append(APIKey(name: name, sha256: Digest.sha256(Array(secret.utf8)), scopes: try Self.scopes(entry.required("scopes"))))
                }
            }
            if let node = auth["jwt"] {
                try node.checkKeys(["algorithm", "secret_env", "public_key_env", "issuer", "audience", "leeway_seconds"])
                let algorithm = try Self.choice(node.required("algorithm"), JWT.Algorithm.self)
                let keyNode = try node.required(algorithm == .hs256 ? "secret_env" : "public_key_env")
                let variable = try keyNode.string()
                guard let value = environment[variable], !value.isEmpty else {
                    throw ConfigurationError(
                        key: keyNode.path,
                        "names `\(variable)`, which is unset. Export the \(algorithm == .hs256 ? "HS256 secret" : "RS256 public key (PEM)") in it.")
                }
                if algorithm == .hs256, value.utf8.count < 32 {
                    throw ConfigurationError(key: keyNode.path, "`\(variable)` holds fewer than 32 bytes. Use a secret of at least 32 random bytes.")
                }
                jwt = JWT(
                    algorithm: algorithm, key: Array(value.utf8), issuer: try node["issuer"]?.string(),
                    audience: try node["audience"]?.string(), leewaySeconds: try node["leeway_seconds"]?.int() ?? 30)
            }
        }
        if let live = root["live_scores"] {
            try live.checkKeys(["capacity", "ttl_s", "local_ttl_s", "stale_after_s", "events_ttl_s", "max_streams", "heartbeat_s", "near_ttl_s"])
            liveNearTTLSeconds = try live["near_ttl_s"]?.int() ?? liveNearTTLSeconds
            eventsTTLSeconds = try live["events_ttl_s"]?.int() ?? eventsTTLSeconds
            maxStreams = try live["max_streams"]?.int() ?? maxStreams
            streamHeartbeatSeconds = try live["heartbeat_s"]?.int() ?? streamHeartbeatSeconds
            liveStaleAfterSeconds = try live["stale_after_s"]?.int() ?? liveStaleAfterSeconds
            liveScoreCapacity = try live["capacity"]?.int() ?? liveScoreCapacity
            liveTTLSeconds = try live["ttl_s"]?.int() ?? liveTTLSeconds
            liveLocalTTLSeconds = try live["local_ttl_s"]?.int() ?? liveLocalTTLSeconds
        }
        if let cache = root["cache"] {
            try cache.checkKeys(["ttl_s", "capacity", "local_ttl_s"])
            cacheTTLSeconds = try cache["ttl_s"]?.int() ?? cacheTTLSeconds
            cacheCapacity = try cache["capacity"]?.int() ?? cacheCapacity
            cacheLocalTTLSeconds = try cache["local_ttl_s"]?.int() ?? cacheLocalTTLSeconds
        }
        if let logging = root["logging"] {
            try logging.checkKeys(["level", "format"])
            logLevel = try logging["level"]?.string() ?? logLevel
            if let node = logging["format"] { logFormat = try Self.choice(node, LogFormat.self) }
        }
        if let redis = root["redis"] {
            try redis.checkKeys([
                "url", "key_prefix", "pool_size", "connect_timeout_ms", "command_timeout_ms", "lookup_timeout_ms", "read_timeout_ms", "lock",
            ])
            redisURL = try redis["url"]?.string()
            redisKeyPrefix = try redis["key_prefix"]?.string() ?? redisKeyPrefix
            redisPoolSize = try redis["pool_size"]?.int() ?? redisPoolSize
            redisConnectTimeoutMS = try redis["connect_timeout_ms"]?.int() ?? redisConnectTimeoutMS
            redisCommandTimeoutMS = try redis["command_timeout_ms"]?.int() ?? redisCommandTimeoutMS
            redisLookupTimeoutMS = try redis["lookup_timeout_ms"]?.int() ?? redisLookupTimeoutMS
            redisReadTimeoutMS = try redis["read_timeout_ms"]?.int() ?? redisReadTimeoutMS
            redisLock = try redis["lock"]?.bool() ?? redisLock
        }
        if let llm = root["llm"] {
            try llm.checkKeys([
                "base_url", "model", "timeout_ms", "api_key_env", "prompt", "response_format", "max_tokens_field", "max_in_flight",
                "connect_timeout_ms", "ca_bundle", "breaker", "deadline_margin_ms", "candidate_prompt", "candidate_share",
            ])
            llmCandidatePrompt = try llm["candidate_prompt"]?.string()
            llmCandidateShare = try llm["candidate_share"]?.double() ?? llmCandidateShare
            llmBaseURL = try llm["base_url"]?.string()
            llmModel = try llm["model"]?.string()
            llmTimeoutMS = try llm["timeout_ms"]?.int() ?? llmTimeoutMS
            if let prompt = try llm["prompt"]?.string() {
                llmPrompt = prompt.hasPrefix("/") ? prompt : (baseDirectory as NSString).appendingPathComponent(prompt)
            } else {
                llmPrompt = ((baseDirectory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("prompts/lead-adjust.prompt")
            }
            llmResponseFormat = try llm["response_format"]?.string() ?? llmResponseFormat
            llmMaxTokensField = try llm["max_tokens_field"]?.string() ?? llmMaxTokensField
            llmMaxInFlight = try llm["max_in_flight"]?.int() ?? llmMaxInFlight
            llmConnectTimeoutMS = try llm["connect_timeout_ms"]?.int() ?? llmConnectTimeoutMS
            llmCABundle = try llm["ca_bundle"]?.string()
            llmDeadlineMarginMS = try llm["deadline_margin_ms"]?.int() ?? llmDeadlineMarginMS
            if let breaker = llm["breaker"] {
                try breaker.checkKeys(["consecutive_failures", "cool_down_ms"])
                llmBreakerFailures = try breaker["consecutive_failures"]?.int() ?? llmBreakerFailures
                llmBreakerCoolDownMS = try breaker["cool_down_ms"]?.int() ?? llmBreakerCoolDownMS
            }
            if let variable = try llm["api_key_env"]?.string() { llmAPIKey = environment[variable] }
        }
    }

    private mutating func apply(environment env: [String: String]) throws(ConfigurationError) {
        func int(_ name: String, _ range: ClosedRange<Int>, _ what: String) throws(ConfigurationError) -> Int? {
            guard let text = env[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw ConfigurationError(key: name, "`\(text)` is not \(what). Set an integer in \(range.lowerBound)–\(range.upperBound).")
            }
            return value
        }
        if let host = env["LEADGATE_HOST"] { self.host = host }
        if let port = try int("LEADGATE_PORT", 0...65535, "a port") { self.port = port }
        if let url = env["LEADGATE_REDIS_URL"] { redisURL = url.isEmpty ? nil : url }
        if let prefix = env["LEADGATE_REDIS_KEY_PREFIX"] { redisKeyPrefix = prefix }
        if let url = env["LEADGATE_WEBHOOK_URL"] { webhookURL = url.isEmpty ? nil : url }
        webhookSecret = Array((env[webhookSecretEnv] ?? "").utf8)
        retellKey = Array((env[retellKeyEnv] ?? "").utf8)
        vapiSecret = Array((env[vapiSecretEnv] ?? "").utf8)
        if let url = env["LEADGATE_LLM_BASE_URL"] { llmBaseURL = url.isEmpty ? nil : url }
        if let model = env["LEADGATE_LLM_MODEL"] { llmModel = model.isEmpty ? nil : model }
        if let key = env["LEADGATE_LLM_API_KEY"] { llmAPIKey = key.isEmpty ? nil : key }
        if let ms = try int("LEADGATE_LLM_TIMEOUT_MS", 1...60_000, "a timeout in milliseconds") { llmTimeoutMS = ms }
        if let dir = env["LEADGATE_MODELS_DIR"] { models.directory = dir }
        if let prompt = env["LEADGATE_LLM_PROMPT"] { llmPrompt = prompt }
        if let mode = env["LEADGATE_AUTH_MODE"] {
            guard let value = AuthMode(rawValue: mode) else {
                throw ConfigurationError(key: "LEADGATE_AUTH_MODE", "`\(mode)` is not a mode. Use one of: none, api_key, jwt.")
            }
            authMode = value
        }
        if let level = env["LEADGATE_LOG_LEVEL"] { logLevel = level }
        if let format = env["LEADGATE_LOG_FORMAT"] {
            guard let value = LogFormat(rawValue: format) else {
                throw ConfigurationError(key: "LEADGATE_LOG_FORMAT", "`\(format)` is not a format. Use json or text.")
            }
            logFormat = value
        }
    }

    private func validate() throws(ConfigurationError) {
        guard !host.isEmpty else { throw ConfigurationError(key: "server.host", "is empty. Set an address such as 127.0.0.1 or 0.0.0.0.") }
        guard (0...65535).contains(port) else { throw ConfigurationError(key: "server.port", "\(port) is not a port. Use 0–65535.") }
        func positive(_ value: Int, _ key: String, max: Int = Int.max) throws(ConfigurationError) {
            guard value > 0, value <= max else { throw ConfigurationError(key: key, "is \(value). Use a whole number from 1 to \(max).") }
        }
        try positive(maxBodyBytes, "limits.max_body_bytes", max: 1 << 30)
        try positive(maxBatchBodyBytes, "limits.max_batch_body_bytes", max: 1 << 30)
        try positive(maxBatchLeads, "limits.max_batch_leads", max: 1_000_000)
        try positive(maxNotesChars, "limits.max_notes_chars", max: 1_000_000)
        try positive(maxLeadIDChars, "limits.max_lead_id_chars", max: 1024)
        try positive(liveScoreCapacity, "live_scores.capacity", max: 100_000_000)
        guard (0...64).contains(reasonCount) else { throw ConfigurationError(key: "scoring.reasons", "is \(reasonCount). Use 0–64.") }
        guard (0...256).contains(batchThreads) else {
            throw ConfigurationError(key: "scoring.batch_threads", "is \(batchThreads). Use 0 (one per core) to 256.")
        }
        try thresholds.validate(key: "scoring")
        guard (0...1).contains(models.challengerShare) else {
            throw ConfigurationError(key: "models.challenger_share", "is \(models.challengerShare). Use a share from 0 to 1 (0.1 = 10% of leads).")
        }
        if models.challengerShare > 0, models.challenger == nil {
            throw ConfigurationError(
                key: "models.challenger",
                "is not set, but challenger_share is \(models.challengerShare). Name the challenger model or set the share to 0.")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError(
                key: "logging.level", "`\(logLevel)` is not a level. Use trace, debug, info, notice, warning, error or critical.")
        }
        switch authMode {
        case .none: break
        case .apiKey:
            guard !apiKeys.isEmpty else {
                throw ConfigurationError(key: "auth.api_keys", "is empty, but auth.mode is api_key. Add at least one key (name, key_env, scopes).")
            }
        case .jwt:
            guard jwt != nil else {
                throw ConfigurationError(key: "auth.jwt", "is missing, but auth.mode is jwt. Add algorithm and secret_env or public_key_env.")
            }
        }
        if let url = redisURL {
            do {
                _ = try RedisEndpoint(url: url)
            } catch {
                throw ConfigurationError(key: "redis.url", "\(error.message) (LEADGATE_REDIS_URL overrides it)")
            }
        }
        guard redisKeyPrefix.utf8.count <= 64, !redisKeyPrefix.contains(where: { $0.isWhitespace }) else {
            throw ConfigurationError(
                key: "redis.key_prefix", "`\(redisKeyPrefix)` must be at most 64 characters without spaces, e.g. `leadgate:` or `tenant-a:leadgate:`."
            )
        }
        try positive(redisPoolSize, "redis.pool_size", max: 256)
        try positive(redisConnectTimeoutMS, "redis.connect_timeout_ms", max: 60_000)
        try positive(redisCommandTimeoutMS, "redis.command_timeout_ms", max: 60_000)
        try positive(redisLookupTimeoutMS, "redis.lookup_timeout_ms", max: 60_000)
        try positive(redisReadTimeoutMS, "redis.read_timeout_ms", max: 60_000)
        try positive(cacheTTLSeconds, "cache.ttl_s", max: 365 * 86_400)
        try positive(cacheCapacity, "cache.capacity", max: 100_000_000)
        try positive(liveTTLSeconds, "live_scores.ttl_s", max: 3_650 * 86_400)
        guard (0...86_400).contains(cacheLocalTTLSeconds) else {
            throw ConfigurationError(key: "cache.local_ttl_s", "is \(cacheLocalTTLSeconds). Use 0 (always ask Redis) to 86400 seconds.")
        }
        try positive(liveStaleAfterSeconds, "live_scores.stale_after_s", max: 3_650 * 86_400)
        try positive(eventsTTLSeconds, "live_scores.events_ttl_s", max: 3_650 * 86_400)
        guard (0...86_400).contains(liveNearTTLSeconds) else {
            throw ConfigurationError(key: "live_scores.near_ttl_s", "must be 0–86400; it is \(liveNearTTLSeconds).")
        }
        try positive(maxStreams, "live_scores.max_streams", max: 1_000_000)
        try positive(streamHeartbeatSeconds, "live_scores.heartbeat_s", max: 3_600)
        try positive(maxEventsPerRequest, "limits.max_events_per_request", max: 100_000)
        try positive(maxBulkEvents, "limits.max_bulk_events", max: 1_000_000)
        if let url = webhookURL {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigurationError(key: "webhooks.url", "`\(url)` must start with http:// or https:// (LEADGATE_WEBHOOK_URL overrides it).")
            }
            guard webhookSecret.count >= 16 else {
                throw ConfigurationError(
                    key: "webhooks.secret_env", "`\(webhookSecretEnv)` is unset or shorter than 16 bytes. Export the signing secret in it.")
            }
        }
        try positive(webhookMaxAttempts, "webhooks.max_attempts", max: 20)
        try positive(webhookBackoffMS, "webhooks.backoff_ms", max: 600_000)
        try positive(webhookTimeoutMS, "webhooks.timeout_ms", max: 60_000)
        guard (0...86_400).contains(liveLocalTTLSeconds) else {
            throw ConfigurationError(key: "live_scores.local_ttl_s", "is \(liveLocalTTLSeconds). Use 0 (no fallback copy) to 86400 seconds.")
        }
        if let url = llmBaseURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ConfigurationError(key: "llm.base_url", "`\(url)` must start with http:// or https:// (LEADGATE_LLM_BASE_URL overrides it).")
        }
        guard (1...60_000).contains(llmTimeoutMS) else {
            throw ConfigurationError(key: "llm.timeout_ms", "is \(llmTimeoutMS). Use 1–60000 milliseconds.")
        }
        guard ["json_schema", "json_object", "none"].contains(llmResponseFormat) else {
            throw ConfigurationError(
                key: "llm.response_format",
                "`\(llmResponseFormat)` is not a format. Use json_schema, json_object (servers without JSON schema) or none.")
        }
        guard ["max_tokens", "max_completion_tokens"].contains(llmMaxTokensField) else {
            throw ConfigurationError(key: "llm.max_tokens_field", "`\(llmMaxTokensField)` is not a field. Use max_tokens or max_completion_tokens.")
        }
        try positive(llmMaxInFlight, "llm.max_in_flight", max: 100_000)
        guard (0...1).contains(llmCandidateShare) else {
            throw ConfigurationError(key: "llm.candidate_share", "is \(llmCandidateShare). Use a share from 0 to 1 (0.1 = 10% of leads).")
        }
        try positive(llmConnectTimeoutMS, "llm.connect_timeout_ms", max: 60_000)
        guard (0...1_000_000).contains(llmBreakerFailures) else {
            throw ConfigurationError(key: "llm.breaker.consecutive_failures", "is \(llmBreakerFailures). Use 0 (never open) to 1000000.")
        }
        try positive(llmBreakerCoolDownMS, "llm.breaker.cool_down_ms", max: 3_600_000)
        guard (0..<llmTimeoutMS).contains(llmDeadlineMarginMS) else {
            throw ConfigurationError(
                key: "llm.deadline_margin_ms", "is \(llmDeadlineMarginMS). Use 0 up to less than llm.timeout_ms (\(llmTimeoutMS)).")
        }
    }

    private static func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _: T.Type) throws(ConfigurationError) -> T
    where T.RawValue == String {
        let text = try node.string()
        guard let value = T(rawValue: text) else {
            throw ConfigurationError(key: node.path, "`\(text)` is not allowed. Use one of: \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return value
    }

    private static func scopes(_ node: YAMLNode) throws(ConfigurationError) -> Set<Scope> {
        var result = Set<Scope>()
        for (i, text) in try node.strings().enumerated() {
            guard let scope = Scope(rawValue: text) else {
                throw ConfigurationError(
                    key: "\(node.path)[\(i)]", "`\(text)` is not a scope. Use: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            result.insert(scope)
        }
        return result
    }
}
