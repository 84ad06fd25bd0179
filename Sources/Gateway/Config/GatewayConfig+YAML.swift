import Foundation
import Hashing
import Scoring
import Store
import Training

/// The YAML file: every section and key, checked, with its path named in errors.
extension GatewayConfig {
    mutating func apply(yaml root: YAMLNode, environment: [String: String], baseDirectory: String) throws(ConfigurationError) {
        try root.checkKeys([
            "server", "limits", "scoring", "models", "auth", "live_scores", "logging", "redis", "cache", "llm", "webhooks", "integrations",
            "records", "privacy", "audit", "learning", "jobs",
        ])
        try applyJobs(yaml: root)
        if let learning = root["learning"] {
            try learning.checkKeys(["drift", "rerank_guard", "performance", "retrain", "min_outcomes"])
            try applyRetrain(learning: learning, baseDirectory: baseDirectory)
            if let node = learning["performance"] {
                try node.checkKeys(["every_s", "window_days"])
                performance.everySeconds = try node["every_s"]?.int() ?? performance.everySeconds
                performance.windowDays = try node["window_days"]?.int() ?? performance.windowDays
                guard performance.everySeconds >= 0 else {
                    throw ConfigurationError(
                        key: "learning.performance.every_s", "must be 0 (off) or a number of seconds; it is \(performance.everySeconds).")
                }
                guard (1...3650).contains(performance.windowDays) else {
                    throw ConfigurationError(key: "learning.performance.window_days", "must be 1–3650 days; it is \(performance.windowDays).")
                }
            }
            if let node = learning["rerank_guard"] {
                try node.checkKeys(["min_lift", "after_days", "every_s", "min_outcomes"])
                rerankGuard.enabled = true
                rerankGuard.minLift = try node["min_lift"]?.double() ?? rerankGuard.minLift
                rerankGuard.afterDays = try node["after_days"]?.int() ?? rerankGuard.afterDays
                rerankGuard.everySeconds = try node["every_s"]?.int() ?? rerankGuard.everySeconds
                rerankGuard.minOutcomes = try node["min_outcomes"]?.int() ?? rerankGuard.minOutcomes
                guard rerankGuard.minLift > -1, rerankGuard.minLift < 1 else {
                    throw ConfigurationError(key: "learning.rerank_guard.min_lift", "must be an AUC difference in (-1, 1), e.g. 0.05.")
                }
                guard (0...3650).contains(rerankGuard.afterDays) else {
                    throw ConfigurationError(key: "learning.rerank_guard.after_days", "must be 0–3650 days; it is \(rerankGuard.afterDays).")
                }
                guard rerankGuard.everySeconds >= 1 else {
                    throw ConfigurationError(key: "learning.rerank_guard.every_s", "must be at least 1 second; it is \(rerankGuard.everySeconds).")
                }
                guard rerankGuard.minOutcomes >= 2 else {
                    throw ConfigurationError(key: "learning.rerank_guard.min_outcomes", "must be at least 2; it is \(rerankGuard.minOutcomes).")
                }
            }
            if let node = learning["drift"] {
                try node.checkKeys(["window_days", "every_s", "warn", "alert", "min_decisions"])
                drift.windowDays = try node["window_days"]?.int() ?? drift.windowDays
                drift.everySeconds = try node["every_s"]?.int() ?? drift.everySeconds
                drift.warn = try node["warn"]?.double() ?? drift.warn
                drift.alert = try node["alert"]?.double() ?? drift.alert
                drift.minDecisions = try node["min_decisions"]?.int() ?? drift.minDecisions
                guard (1...3650).contains(drift.windowDays) else {
                    throw ConfigurationError(key: "learning.drift.window_days", "must be 1–3650 days; it is \(drift.windowDays).")
                }
                guard drift.everySeconds >= 0 else {
                    throw ConfigurationError(key: "learning.drift.every_s", "must be 0 (off) or a number of seconds; it is \(drift.everySeconds).")
                }
                guard drift.warn > 0, drift.alert >= drift.warn else {
                    throw ConfigurationError(
                        key: "learning.drift.alert", "must be at least `warn`, and `warn` above 0 (they are \(drift.warn) and \(drift.alert)).")
                }
                guard drift.minDecisions >= 1 else {
                    throw ConfigurationError(key: "learning.drift.min_decisions", "must be at least 1; it is \(drift.minDecisions).")
                }
            }
        }
        try applyRecords(yaml: root, environment: environment, baseDirectory: baseDirectory)
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
                    apiKeys.append(APIKey(name: name, sha256: SHA256.hash(Array(secret.utf8)), scopes: try Self.scopes(entry.required("scopes"))))
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

    static func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _: T.Type) throws(ConfigurationError) -> T
    where T.RawValue == String {
        let text = try node.string()
        guard let value = T(rawValue: text) else {
            throw ConfigurationError(key: node.path, "`\(text)` is not allowed. Use one of: \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return value
    }

    static func scopes(_ node: YAMLNode) throws(ConfigurationError) -> Set<Scope> {
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

extension GatewayConfig {
    /// `learning.retrain` and `learning.min_outcomes`.
    mutating func applyRetrain(learning: YAMLNode, baseDirectory: String) throws(ConfigurationError) {
        retrain.workDirectory = (baseDirectory as NSString).appendingPathComponent("data/retrain")
        retrain.minOutcomes = try learning["min_outcomes"]?.int() ?? retrain.minOutcomes
        guard retrain.minOutcomes >= 10 else {
            throw ConfigurationError(key: "learning.min_outcomes", "must be at least 10 held-out outcomes; it is \(retrain.minOutcomes).")
        }
        guard let node = learning["retrain"] else { return }
        try node.checkKeys([
            "every", "window_days", "holdout_fraction", "ece_bound", "challenger_share", "challenger_hours", "threads", "work_dir", "positive",
            "keep_versions", "check_s",
        ])
        if let every = node["every"] {
            let text = try every.string()
            guard let seconds = Self.duration(text) else {
                throw ConfigurationError(
                    key: "learning.retrain.every", "`\(text)` is not a duration. Use e.g. 24h, 7d, 90m, 3600s, or off.")
            }
            retrain.everySeconds = seconds
        }
        retrain.windowDays = try node["window_days"]?.int() ?? retrain.windowDays
        retrain.holdoutFraction = try node["holdout_fraction"]?.double() ?? retrain.holdoutFraction
        retrain.eceBound = try node["ece_bound"]?.double() ?? retrain.eceBound
        retrain.challengerShare = try node["challenger_share"]?.double() ?? retrain.challengerShare
        retrain.challengerHours = try node["challenger_hours"]?.double() ?? retrain.challengerHours
        retrain.threads = try node["threads"]?.int() ?? retrain.threads
        retrain.positive = try node["positive"]?.string() ?? retrain.positive
        retrain.keepVersions = try node["keep_versions"]?.int() ?? retrain.keepVersions
        retrain.checkSeconds = try node["check_s"]?.int() ?? retrain.checkSeconds
        if let dir = try node["work_dir"]?.string() {
            retrain.workDirectory = dir.hasPrefix("/") ? dir : (baseDirectory as NSString).appendingPathComponent(dir)
        }
        let r = retrain
        let checks: [(Bool, String, String)] = [
            (r.everySeconds == 0 || r.everySeconds >= 60, "every", "must be off or at least 60 s"),
            ((1...3650).contains(r.windowDays), "window_days", "must be 1–3650 days"),
            (r.holdoutFraction >= 0.05 && r.holdoutFraction <= 0.5, "holdout_fraction", "must be 0.05–0.5"),
            (r.eceBound >= 0 && r.eceBound < 1, "ece_bound", "must be in [0, 1), e.g. 0.02"),
            (r.challengerShare >= 0 && r.challengerShare < 1, "challenger_share", "must be in [0, 1): 0 promotes fully at once"),
            (r.challengerHours >= 0 && r.challengerHours <= 24 * 90, "challenger_hours", "must be 0–2160 hours"),
            ((0...256).contains(r.threads), "threads", "must be 0 (every core) to 256"),
            (!r.positive.isEmpty && r.positive.count <= 64, "positive", "must be the outcome that counts as converted"),
            ((0...100).contains(r.keepVersions), "keep_versions", "must be 0–100"),
            (r.checkSeconds >= 1 && r.checkSeconds <= 3_600, "check_s", "must be 1–3600 s"),
        ]
        for (ok, key, message) in checks where !ok {
            throw ConfigurationError(key: "learning.retrain.\(key)", "\(message).")
        }
    }

    /// `24h`, `7d`, `90m`, `3600s`, a bare number of seconds, or `off`/`0`; nil when unreadable.
    static func duration(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "off" || t == "0" { return 0 }
        let units: [(String, Int)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let n = Int(t.dropLast(suffix.count)), n >= 0, n <= 10 * 365 * 86_400 / scale else { return nil }
            return n * scale
        }
        guard let n = Int(t), n >= 0 else { return nil }
        return n
    }
}
