import Foundation
import Reranker
import Scoring
import Store
import Synchronization
import TreeEnsemble

/// The gateway's Prometheus metrics, rendered in the text exposition format at `GET /metrics`.
///
/// One lock guards small dictionaries keyed by label sets; a request touches it once.
public final class GatewayMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram buckets.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: GatewayMetrics.buckets.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    struct ScoreKey: Hashable {
        var model: String
        var version: String
        var badge: Badge
    }

    private struct State {
        var requests: [RequestKey: Histogram] = [:]
        var scores: [ScoreKey: UInt64] = [:]
        var invalidLeads: UInt64 = 0
        var reloads: [String: UInt64] = [:]
        var inFlight = 0
        var rerank: [String: UInt64] = [:]
        var rerankLatency = Histogram()
        var badgeFlips: [String: UInt64] = [:]
        var promptTokens: UInt64 = 0
        var completionTokens: UInt64 = 0
        var cacheHits: UInt64 = 0
        var cacheMisses: UInt64 = 0
        var cacheErrors: UInt64 = 0
        var sharedCalls: UInt64 = 0
        var eventsAccepted: UInt64 = 0
        var eventsDuplicate: UInt64 = 0
        var eventsRejected: UInt64 = 0
        var streamMessages: UInt64 = 0
        var streamsOpen = 0
    }

    private let state = Mutex(State())
    private let started = Date()

    public init() {}

    func requestStarted() { state.withLock { $0.inFlight += 1 } }

    func requestFinished(method: String, route: String, status: Int, seconds: Double) {
        let key = RequestKey(method: method, route: route, status: status)
        var bucket = Self.buckets.count
        for (i, bound) in Self.buckets.enumerated() where seconds <= bound {
            bucket = i
            break
        }
        state.withLock { s in
            s.inFlight -= 1
            var h = s.requests[key] ?? Histogram()
            if bucket < h.counts.count { h.counts[bucket] += 1 }
            h.sum += seconds
            h.count += 1
            s.requests[key] = h
        }
    }

    func scored(model: LoadedModel, badges: [Badge]) {
        guard !badges.isEmpty else { return }
        state.withLock { s in
            for badge in badges { s.scores[ScoreKey(model: model.id, version: model.version, badge: badge), default: 0] += 1 }
        }
    }

    /// Counts an LLM-step outcome, labelled by the prompt (`id@version`) that produced it.
    func reranked(_ outcome: RerankOutcome, prompt: PromptTemplate? = nil) {
        var key: String
        switch outcome.result {
        case .applied: key = outcome.cached ? "cached" : "applied"
        case .fallback(let code, _): key = code.rawValue
        }
        if let prompt, key != "disabled", key != "skipped" { key += "\t\(prompt.id)@\(prompt.version)" }
        let seconds = outcome.latency.seconds
        var bucket = Self.buckets.count
        for (i, bound) in Self.buckets.enumerated() where seconds <= bound {
            bucket = i
            break
        }
        state.withLock { s in
            s.rerank[key, default: 0] += 1
            if outcome.latency > .zero, !outcome.cached, !outcome.shared {
                if bucket < s.rerankLatency.counts.count { s.rerankLatency.counts[bucket] += 1 }
                s.rerankLatency.sum += seconds
                s.rerankLatency.count += 1
            }
            if let usage = outcome.usage {
                s.promptTokens += UInt64(max(0, usage.prompt))
                s.completionTokens += UInt64(max(0, usage.completion))
            }
        }
    }

    func cacheLookups(hits: Int = 0, misses: Int = 0, errors: Int = 0) {
        state.withLock { s in
            s.cacheHits += UInt64(max(0, hits))
            s.cacheMisses += UInt64(max(0, misses))
            s.cacheErrors += UInt64(max(0, errors))
        }
    }

    func sharedCall() { state.withLock { $0.sharedCalls += 1 } }

    func events(accepted: Int, duplicates: Int, rejected: Int) {
        state.withLock { s in
            s.eventsAccepted += UInt64(max(0, accepted))
            s.eventsDuplicate += UInt64(max(0, duplicates))
            s.eventsRejected += UInt64(max(0, rejected))
        }
    }

    func streamOpened(_ delta: Int) { state.withLock { $0.streamsOpen += delta } }

    func streamSent() { state.withLock { $0.streamMessages += 1 } }

    func badgeFlipped(from: Badge, to: Badge) {
        state.withLock { $0.badgeFlips["\(from.rawValue)->\(to.rawValue)", default: 0] += 1 }
    }

    func invalidLeads(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.invalidLeads += UInt64(count) }
    }

    func reloaded(success: Bool) {
        state.withLock { $0.reloads[success ? "success" : "failure", default: 0] += 1 }
    }

    /// The text exposition format (version 0.0.4).
    func render(
        snapshot: ModelRegistry.Snapshot, store: any ScoreStore, reranker: LLMReranker? = nil, prompts: PromptRegistry? = nil,
        webhooks: WebhookSender? = nil
    ) -> String {
        let s = state.withLock { $0 }
        var out = ""
        out.reserveCapacity(8192)
        out += "# HELP leadgate_http_requests_total HTTP requests by method, route and status.\n"
        out += "# TYPE leadgate_http_requests_total counter\n"
        let keys = s.requests.keys.sorted { ($0.route, $0.method, $0.status) < ($1.route, $1.method, $1.status) }
        for key in keys {
            out +=
                "leadgate_http_requests_total{method=\"\(key.method)\",route=\"\(Self.escape(key.route))\",status=\"\(key.status)\"} \(s.requests[key]?.count ?? 0)\n"
        }
        out += "# HELP leadgate_http_request_duration_seconds Time from request head to response, by method, route and status.\n"
        out += "# TYPE leadgate_http_request_duration_seconds histogram\n"
        for key in keys {
            guard let h = s.requests[key] else { continue }
            let labels = "method=\"\(key.method)\",route=\"\(Self.escape(key.route))\",status=\"\(key.status)\""
            var cumulative: UInt64 = 0
            for (i, bound) in Self.buckets.enumerated() {
                cumulative += h.counts[i]
                out += "leadgate_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "leadgate_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(h.count)\n"
            out += "leadgate_http_request_duration_seconds_sum{\(labels)} \(h.sum)\n"
            out += "leadgate_http_request_duration_seconds_count{\(labels)} \(h.count)\n"
        }
        out += "# HELP leadgate_http_requests_in_flight Requests being handled now.\n# TYPE leadgate_http_requests_in_flight gauge\n"
        out += "leadgate_http_requests_in_flight \(max(0, s.inFlight - 1))\n"
        out += "# HELP leadgate_scores_total Leads scored, by model and final badge.\n# TYPE leadgate_scores_total counter\n"
        for key in s.scores.keys.sorted(by: { ($0.model, $0.version, $0.badge.rawValue) < ($1.model, $1.version, $1.badge.rawValue) }) {
            out +=
                "leadgate_scores_total{model=\"\(Self.escape(key.model))\",version=\"\(Self.escape(key.version))\",badge=\"\(key.badge.rawValue)\"} \(s.scores[key] ?? 0)\n"
        }
        out +=
            "# HELP leadgate_invalid_leads_total Leads refused with field errors (single and batch).\n# TYPE leadgate_invalid_leads_total counter\n"
        out += "leadgate_invalid_leads_total \(s.invalidLeads)\n"
        out += "# HELP leadgate_model_reloads_total Model reloads (SIGHUP or admin call) by result.\n# TYPE leadgate_model_reloads_total counter\n"
        for result in ["success", "failure"] { out += "leadgate_model_reloads_total{result=\"\(result)\"} \(s.reloads[result] ?? 0)\n" }
        out +=
            "# HELP leadgate_model_info Loaded models (value 1); role is default, challenger, fallback or available.\n# TYPE leadgate_model_info gauge\n"
        for model in snapshot.models {
            let role =
                model === snapshot.primary
                ? "default" : model === snapshot.challenger ? "challenger" : model === snapshot.fallback ? "fallback" : "available"
            let e = model.ensemble
            out +=
                "leadgate_model_info{model=\"\(Self.escape(model.id))\",version=\"\(Self.escape(model.version))\",role=\"\(role)\",library=\"\(e.library.rawValue)\",trees=\"\(e.treeCount)\",features=\"\(e.featureCount)\"} 1\n"
        }
        out +=
            "# HELP leadgate_model_degraded 1 when the fallback serves because the default model failed to load.\n# TYPE leadgate_model_degraded gauge\n"
        out += "leadgate_model_degraded \(snapshot.isDegraded ? 1 : 0)\n"
        let status = store.status
        out += "# HELP leadgate_store_up 1 when the store answers (Redis reachable; always 1 in memory).\n# TYPE leadgate_store_up gauge\n"
        out += "leadgate_store_up{kind=\"\(status.kind)\"} \(status.up ? 1 : 0)\n"
        out += "# HELP leadgate_store_failures_total Failed connects and lost connections to Redis.\n# TYPE leadgate_store_failures_total counter\n"
        out += "leadgate_store_failures_total \(status.failures)\n"
        out += "# HELP leadgate_store_timeouts_total Store reads that ran out of their timeout.\n# TYPE leadgate_store_timeouts_total counter\n"
        out += "leadgate_store_timeouts_total \(status.timeouts)\n"
        out +=
            "# HELP leadgate_store_dropped_total Store operations refused because the queue was full.\n# TYPE leadgate_store_dropped_total counter\n"
        out += "leadgate_store_dropped_total \(status.dropped)\n"
        out += "# HELP leadgate_store_connections Open Redis connections.\n# TYPE leadgate_store_connections gauge\n"
        out += "leadgate_store_connections \(status.connections)\n"
        out += "# HELP leadgate_live_scores Entries this process holds (live scores; and cached answers without Redis).\n"
        out += "# TYPE leadgate_live_scores gauge\n"
        out += "leadgate_live_scores \(status.localEntries)\n"
        if status.kind == "redis" {
            out += "# HELP leadgate_live_reads_total Live-score reads by source: near (this gateway's copy, kept exact by Redis "
            out += "invalidations), redis, local (this gateway's own scores while Redis is down).\n# TYPE leadgate_live_reads_total counter\n"
            out += "leadgate_live_reads_total{source=\"near\"} \(status.liveReadsNear)\n"
            out += "leadgate_live_reads_total{source=\"redis\"} \(status.liveReadsRedis)\n"
            out += "leadgate_live_reads_total{source=\"local\"} \(status.liveReadsLocal)\n"
            out += "# HELP leadgate_live_tracking Whether Redis reports live-key changes to this gateway (the near copy is in use).\n"
            out += "# TYPE leadgate_live_tracking gauge\nleadgate_live_tracking \(status.tracking ? 1 : 0)\n"
        }
        out += "# HELP leadgate_cache_lookups_total Lookups of cached LLM answers by result.\n# TYPE leadgate_cache_lookups_total counter\n"
        out += "leadgate_cache_lookups_total{result=\"hit\"} \(s.cacheHits)\n"
        out += "leadgate_cache_lookups_total{result=\"miss\"} \(s.cacheMisses)\n"
        out += "leadgate_cache_lookups_total{result=\"error\"} \(s.cacheErrors)\n"
        out += "# HELP leadgate_llm_calls_shared_total Leads that joined an identical LLM call already in flight.\n"
        out += "# TYPE leadgate_llm_calls_shared_total counter\n"
        out += "leadgate_llm_calls_shared_total \(s.sharedCalls)\n"
        out += "# HELP leadgate_events_total Lead events received, by result (duplicate: an event_id already stored).\n"
        out += "# TYPE leadgate_events_total counter\n"
        out += "leadgate_events_total{result=\"accepted\"} \(s.eventsAccepted)\n"
        out += "leadgate_events_total{result=\"duplicate\"} \(s.eventsDuplicate)\n"
        out += "leadgate_events_total{result=\"not_stored\"} \(s.eventsRejected)\n"
        out += "# HELP leadgate_score_streams Open score streams (SSE).\n# TYPE leadgate_score_streams gauge\n"
        out += "leadgate_score_streams \(s.streamsOpen)\n"
        out += "# HELP leadgate_score_stream_messages_total Score changes sent on streams.\n"
        out += "# TYPE leadgate_score_stream_messages_total counter\n"
        out += "leadgate_score_stream_messages_total \(s.streamMessages)\n"
        out += "# HELP leadgate_rerank_total LLM step outcomes: applied, cached, or the fallback reason.\n# TYPE leadgate_rerank_total counter\n"
        for key in s.rerank.keys.sorted() {
            let parts = key.split(separator: "\t", maxSplits: 1).map(String.init)
            let code = parts[0]
            let prompt = parts.count > 1 ? parts[1] : ""
            let status = code == "applied" || code == "cached" ? code : (code == "disabled" || code == "skipped") ? code : "fallback"
            out +=
                "leadgate_rerank_total{status=\"\(status)\",reason=\"\(code == "applied" || code == "cached" ? "" : code)\",prompt=\"\(Self.escape(prompt))\"} \(s.rerank[key] ?? 0)\n"
        }
        if let prompts {
            let snapshot = prompts.snapshot
            out += "# HELP leadgate_prompt_info Loaded prompts (value 1) by id, version, content hash and role (live, candidate, available).\n"
            out += "# TYPE leadgate_prompt_info gauge\n"
            for entry in snapshot.entries {
                guard let prompt = entry.prompt else { continue }
                out +=
                    "leadgate_prompt_info{id=\"\(Self.escape(prompt.id))\",version=\"\(Self.escape(prompt.version))\",hash=\"\(prompt.hash)\",role=\"\(snapshot.role(of: prompt.id))\"} 1\n"
            }
            out += "# HELP leadgate_prompt_files_refused Prompt files that do not load as they are now (the last good version serves).\n"
            out += "# TYPE leadgate_prompt_files_refused gauge\n"
            out += "leadgate_prompt_files_refused \(snapshot.entries.filter { $0.error != nil }.count)\n"
            out += "# HELP leadgate_prompt_candidate_share Share of leads given the candidate prompt.\n# TYPE leadgate_prompt_candidate_share gauge\n"
            out += "leadgate_prompt_candidate_share \(snapshot.rollout.candidate == nil ? 0 : snapshot.rollout.share)\n"
        }
        out += "# HELP leadgate_llm_duration_seconds Time of LLM calls that went out, whatever their outcome.\n"
        out += "# TYPE leadgate_llm_duration_seconds histogram\n"
        var cumulative: UInt64 = 0
        for (i, bound) in Self.buckets.enumerated() {
            cumulative += s.rerankLatency.counts[i]
            out += "leadgate_llm_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "leadgate_llm_duration_seconds_bucket{le=\"+Inf\"} \(s.rerankLatency.count)\n"
        out += "leadgate_llm_duration_seconds_sum \(s.rerankLatency.sum)\nleadgate_llm_duration_seconds_count \(s.rerankLatency.count)\n"
        out += "# HELP leadgate_badge_flips_total Leads whose badge the LLM changed, by base and final badge.\n"
        out += "# TYPE leadgate_badge_flips_total counter\n"
        for key in s.badgeFlips.keys.sorted() {
            let parts = key.components(separatedBy: "->")
            out += "leadgate_badge_flips_total{from=\"\(parts[0])\",to=\"\(parts.last ?? "")\"} \(s.badgeFlips[key] ?? 0)\n"
        }
        out += "# HELP leadgate_llm_tokens_total Tokens the LLM server reported.\n# TYPE leadgate_llm_tokens_total counter\n"
        out += "leadgate_llm_tokens_total{kind=\"prompt\"} \(s.promptTokens)\nleadgate_llm_tokens_total{kind=\"completion\"} \(s.completionTokens)\n"
        if let reranker {
            out += "# HELP leadgate_llm_in_flight LLM calls in flight.\n# TYPE leadgate_llm_in_flight gauge\n"
            out += "leadgate_llm_in_flight \(reranker.inFlight)\n"
            out += "# HELP leadgate_llm_breaker_state 1 for the breaker's current state.\n# TYPE leadgate_llm_breaker_state gauge\n"
            let current = reranker.breaker.state
            for state in ["closed", "open", "half_open"] {
                out += "leadgate_llm_breaker_state{state=\"\(state)\"} \(current.rawValue == state ? 1 : 0)\n"
            }
        }
        if let webhooks {
            let c = webhooks.stats
            out += "# HELP leadgate_webhooks_total Badge-change webhook deliveries by result.\n# TYPE leadgate_webhooks_total counter\n"
            out += "leadgate_webhooks_total{result=\"delivered\"} \(c.delivered)\nleadgate_webhooks_total{result=\"failed\"} \(c.failed)\n"
            out += "# HELP leadgate_webhook_attempts_total Webhook POSTs made, retries included.\n# TYPE leadgate_webhook_attempts_total counter\n"
            out += "leadgate_webhook_attempts_total \(c.attempts)\n"
        }
        out += "# HELP leadgate_uptime_seconds Seconds since the gateway started.\n# TYPE leadgate_uptime_seconds gauge\n"
        out += "leadgate_uptime_seconds \(Int(Date().timeIntervalSince(started)))\n"
        return out
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
