import Foundation
import Scoring
import Store
import Training

/// The checks run after every source is read: ranges, and values that must agree.
extension GatewayConfig {
    func validate() throws(ConfigurationError) {
        guard !host.isEmpty else { throw ConfigurationError(key: "server.host", "is empty. Set an address such as 127.0.0.1 or 0.0.0.0.") }
        guard (0...65535).contains(port) else { throw ConfigurationError(key: "server.port", "\(port) is not a port. Use 0–65535.") }
        func positive(_ value: Int, _ key: String, max: Int = Int.max) throws(ConfigurationError) {
            guard value > 0, value <= max else { throw ConfigurationError(key: key, "is \(value). Use a whole number from 1 to \(max).") }
        }
        try validateRecords()
        try validateJobs()
        if retrain.everySeconds > 0, records.backend == .off {
            throw ConfigurationError(
                key: "learning.retrain.every", "needs the records (it trains on recorded decisions and outcomes), but `records` is off.")
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
}
