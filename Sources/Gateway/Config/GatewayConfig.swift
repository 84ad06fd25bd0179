import Foundation
public import Jobs
public import Scoring
import Store
public import Training

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

    /// The system of record; `.off` unless loaded from a file or the environment
    /// (``load(file:environment:overrides:)`` defaults it to the embedded SQLite file).
    public var records = RecordsSettings()
    /// `learning.drift`: the input-drift checks against each model card's reference.
    public var drift = DriftSettings()
    /// `learning.rerank_guard`: the LLM guard rail (off unless configured).
    public var rerankGuard = RerankGuardSettings()
    /// `learning.performance`: the `model_performance` snapshots.
    public var performance = PerformanceSnapshotSettings()
    /// `learning.retrain` and `learning.min_outcomes`: the scheduled retraining (off unless `every` is set).
    public var retrain = RetrainSettings()
    /// `jobs`: async scores and bulk jobs (they need Redis).
    public var jobs = JobSettings()

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
            config.records.backend = .sqlite(path: "data/leadgate.sqlite")
            config.records.journalPath = "data/records.journal"
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
}
