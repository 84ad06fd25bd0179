public import CoreMetrics
import Reranker
public import Scoring
public import Telemetry

/// The scoring pipeline's metrics, recorded through swift-metrics (any backend; the gateway's
/// `/metrics` prints them in the Prometheus text format).
public final class PipelineMetrics: Sendable {
    public static let descriptors: [MetricDescriptor] = [
        scores, invalidLeads, rerank, llmDuration, badgeFlips, tokens, cacheLookups, sharedCalls, webhooks, webhookAttempts,
    ]
    static let scores = MetricDescriptor("leadgate_scores_total", .counter, "Leads scored, by model and final badge.")
    static let invalidLeads = MetricDescriptor("leadgate_invalid_leads_total", .counter, "Leads refused with field errors (single and batch).")
    static let rerank = MetricDescriptor("leadgate_rerank_total", .counter, "LLM step outcomes: applied, cached, or the fallback reason.")
    static let llmDuration = MetricDescriptor(
        "leadgate_llm_duration_seconds", .timer(buckets: MetricDescriptor.latencyBuckets), "Time of LLM calls that went out, whatever their outcome.")
    static let badgeFlips = MetricDescriptor(
        "leadgate_badge_flips_total", .counter, "Leads whose badge the LLM changed, by base and final badge.")
    static let tokens = MetricDescriptor("leadgate_llm_tokens_total", .counter, "Tokens the LLM server reported.")
    static let cacheLookups = MetricDescriptor("leadgate_cache_lookups_total", .counter, "Lookups of cached LLM answers by result.")
    static let sharedCalls = MetricDescriptor(
        "leadgate_llm_calls_shared_total", .counter, "Leads that joined an identical LLM call already in flight.")
    static let webhooks = MetricDescriptor("leadgate_webhooks_total", .counter, "Badge-change webhook deliveries by result.")
    static let webhookAttempts = MetricDescriptor("leadgate_webhook_attempts_total", .counter, "Webhook POSTs made, retries included.")

    private let scoresFamily: CounterFamily
    private let invalid: Counter
    private let rerankFamily: CounterFamily
    private let llmTimer: Timer
    private let flips: CounterFamily
    private let promptTokens: Counter
    private let completionTokens: Counter
    private let cacheHits: Counter
    private let cacheMisses: Counter
    private let cacheErrors: Counter
    private let shared: Counter
    let webhooksDelivered: Counter
    let webhooksFailed: Counter
    let webhookPosts: Counter

    public init(factory: any MetricsFactory) {
        scoresFamily = CounterFamily(Self.scores, labels: ["model", "version", "badge"], factory: factory)
        invalid = Counter(label: Self.invalidLeads.name, factory: factory)
        rerankFamily = CounterFamily(Self.rerank, labels: ["status", "reason", "prompt"], factory: factory)
        llmTimer = Timer(label: Self.llmDuration.name, factory: factory)
        flips = CounterFamily(Self.badgeFlips, labels: ["from", "to"], factory: factory)
        promptTokens = Counter(label: Self.tokens.name, dimensions: [("kind", "prompt")], factory: factory)
        completionTokens = Counter(label: Self.tokens.name, dimensions: [("kind", "completion")], factory: factory)
        cacheHits = Counter(label: Self.cacheLookups.name, dimensions: [("result", "hit")], factory: factory)
        cacheMisses = Counter(label: Self.cacheLookups.name, dimensions: [("result", "miss")], factory: factory)
        cacheErrors = Counter(label: Self.cacheLookups.name, dimensions: [("result", "error")], factory: factory)
        shared = Counter(label: Self.sharedCalls.name, factory: factory)
        webhooksDelivered = Counter(label: Self.webhooks.name, dimensions: [("result", "delivered")], factory: factory)
        webhooksFailed = Counter(label: Self.webhooks.name, dimensions: [("result", "failed")], factory: factory)
        webhookPosts = Counter(label: Self.webhookAttempts.name, factory: factory)
    }

    public func scored(model: LoadedModel, badges: [Badge]) {
        var counts: [Badge: Int] = [:]
        for badge in badges { counts[badge, default: 0] += 1 }
        for (badge, count) in counts { scoresFamily.increment(model.id, model.version, badge.rawValue, by: count) }
    }

    func invalidLeads(_ count: Int) {
        if count > 0 { invalid.increment(by: count) }
    }

    /// Counts an LLM-step outcome, labelled by the prompt (`id@version`) that produced it.
    func reranked(_ outcome: RerankOutcome, prompt: PromptTemplate? = nil) {
        let status: String
        var reason = ""
        switch outcome.result {
        case .applied: status = outcome.cached ? "cached" : "applied"
        case .fallback(let code, _):
            status = code == .disabled || code == .skipped ? code.rawValue : "fallback"
            reason = code.rawValue
        }
        let labelled = status != "disabled" && status != "skipped"
        rerankFamily.increment(status, reason, labelled ? prompt.map { "\($0.id)@\($0.version)" } ?? "" : "")
        if outcome.latency > .zero, !outcome.cached, !outcome.shared { llmTimer.recordNanoseconds(outcome.latency.nanoseconds) }
        if let usage = outcome.usage {
            promptTokens.increment(by: max(0, usage.prompt))
            completionTokens.increment(by: max(0, usage.completion))
        }
    }

    func cacheLookups(hits: Int = 0, misses: Int = 0, errors: Int = 0) {
        if hits > 0 { cacheHits.increment(by: hits) }
        if misses > 0 { cacheMisses.increment(by: misses) }
        if errors > 0 { cacheErrors.increment(by: errors) }
    }

    func sharedCall() { shared.increment() }

    func badgeFlipped(from: Badge, to: Badge) { flips.increment(from.rawValue, to.rawValue) }
}
