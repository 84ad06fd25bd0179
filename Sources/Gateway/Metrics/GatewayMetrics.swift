import CoreMetrics
import Foundation
import Jobs
import Pipeline
import Reranker
import Scoring
import Store
import Synchronization
public import Telemetry
import TreeEnsemble
import Voice

/// The gateway's own metrics (HTTP, models, store, prompts, the LLM client), through swift-metrics.
/// Request counts and durations are recorded as requests finish; the state of components (the
/// store's connections, the breaker, loaded models) is sampled by ``sample(_:)`` before every
/// scrape of `/metrics`.
public final class GatewayMetrics: Sendable {
    static let requests = MetricDescriptor("leadgate_http_requests_total", .counter, "HTTP requests by method, route and status.")
    static let duration = MetricDescriptor(
        "leadgate_http_request_duration_seconds", .timer(buckets: MetricDescriptor.latencyBuckets),
        "Time from request head to response, by method, route and status.")
    static let inFlight = MetricDescriptor("leadgate_http_requests_in_flight", .gauge, "Requests being handled now.")
    static let reloads = MetricDescriptor("leadgate_model_reloads_total", .counter, "Model reloads (SIGHUP or admin call) by result.")
    static let driftPSI = MetricDescriptor(
        "leadgate_model_drift_psi", .gauge,
        "Population stability index of recent inputs (per field, and `probability`) against the model card's training reference.")
    static let llmStepEnabled = MetricDescriptor(
        "leadgate_llm_step_enabled", .gauge, "0 when the LLM guard rail or an operator turned a model's LLM step off, 1 when turned back on.")
    static let modelPerformance = MetricDescriptor(
        "leadgate_model_performance", .gauge,
        "Live performance of a model version on recorded outcomes (learning.performance window): measure is auc, pr_auc, ece, accuracy, f1 or llm_lift."
    )
    static let modelInfo = MetricDescriptor(
        "leadgate_model_info", .gauge, "Loaded models (value 1); role is default, challenger, fallback or available.")
    static let degraded = MetricDescriptor(
        "leadgate_model_degraded", .gauge, "1 when the fallback serves because the default model failed to load.")
    static let storeUp = MetricDescriptor("leadgate_store_up", .gauge, "1 when the store answers (Redis reachable; always 1 in memory).")
    static let storeFailures = MetricDescriptor("leadgate_store_failures_total", .counter, "Failed connects and lost connections to Redis.")
    static let storeTimeouts = MetricDescriptor("leadgate_store_timeouts_total", .counter, "Store reads that ran out of their timeout.")
    static let storeDropped = MetricDescriptor(
        "leadgate_store_dropped_total", .counter, "Store operations refused because the queue was full.")
    static let storeConnections = MetricDescriptor("leadgate_store_connections", .gauge, "Open Redis connections.")
    static let liveScores = MetricDescriptor(
        "leadgate_live_scores", .gauge, "Entries this process holds (live scores; and cached answers without Redis).")
    static let liveReads = MetricDescriptor(
        "leadgate_live_reads_total", .counter,
        "Live-score reads by source: near (this gateway's copy, kept exact by Redis invalidations), redis, local (this gateway's own scores while Redis is down)."
    )
    static let tracking = MetricDescriptor(
        "leadgate_live_tracking", .gauge, "Whether Redis reports live-key changes to this gateway (the near copy is in use).")
    static let promptInfo = MetricDescriptor(
        "leadgate_prompt_info", .gauge, "Loaded prompts (value 1) by id, version, content hash and role (live, candidate, available).")
    static let promptsRefused = MetricDescriptor(
        "leadgate_prompt_files_refused", .gauge, "Prompt files that do not load as they are now (the last good version serves).")
    static let candidateShare = MetricDescriptor("leadgate_prompt_candidate_share", .gauge, "Share of leads given the candidate prompt.")
    static let llmInFlight = MetricDescriptor("leadgate_llm_in_flight", .gauge, "LLM calls in flight.")
    static let breaker = MetricDescriptor("leadgate_llm_breaker_state", .gauge, "1 for the breaker's current state.")
    static let uptime = MetricDescriptor("leadgate_uptime_seconds", .gauge, "Seconds since the gateway started.")

    static let descriptors: [MetricDescriptor] = [
        requests, duration, inFlight, reloads, modelInfo, degraded, storeUp, storeFailures, storeTimeouts, storeDropped, storeConnections,
        liveScores, liveReads, tracking, promptInfo, promptsRefused, candidateShare, llmInFlight, breaker, uptime, driftPSI, llmStepEnabled,
        modelPerformance,
    ]

    /// Every metric LeadGate records, for backends that print help text (``PrometheusExporter``).
    public static let catalog: [MetricDescriptor] =
        descriptors + PipelineMetrics.descriptors + VoiceMetrics.descriptors + RecordsMetrics.descriptors + JobMetrics.descriptors

    private let factory: any MetricsFactory
    private let requestCounters: CounterFamily
    private let requestTimers: TimerFamily
    private let active = Atomic<Int>(0)
    private let reloadCounters: CounterFamily
    private let models: GaugeFamily
    private let prompts: GaugeFamily
    private let breakerStates: GaugeFamily
    private let driftGauges: GaugeFamily
    private let llmStepGauges: GaugeFamily
    private let performanceGauges: GaugeFamily
    private let gauges: Gauges
    private let totals = Mutex<[String: Int]>([:])
    private let started = Date()

    /// The gauges sampled before a scrape.
    private struct Gauges: Sendable {
        var inFlight, degraded, storeUp, connections, localEntries, tracking, refused, share, llmInFlight, uptime: Gauge
    }

    init(factory: any MetricsFactory, storeKind: String) {
        self.factory = factory
        requestCounters = CounterFamily(Self.requests, labels: ["method", "route", "status"], factory: factory)
        requestTimers = TimerFamily(Self.duration, labels: ["method", "route", "status"], factory: factory)
        reloadCounters = CounterFamily(Self.reloads, labels: ["result"], factory: factory)
        for result in ["success", "failure"] { _ = reloadCounters.counter([result]) }
        models = GaugeFamily(Self.modelInfo, labels: ["model", "version", "role", "library", "trees", "features"], factory: factory)
        prompts = GaugeFamily(Self.promptInfo, labels: ["id", "version", "hash", "role"], factory: factory)
        breakerStates = GaugeFamily(Self.breaker, labels: ["state"], factory: factory)
        driftGauges = GaugeFamily(Self.driftPSI, labels: ["model", "version", "field"], factory: factory)
        llmStepGauges = GaugeFamily(Self.llmStepEnabled, labels: ["model"], factory: factory)
        performanceGauges = GaugeFamily(Self.modelPerformance, labels: ["model", "version", "measure"], factory: factory)
        func gauge(_ d: MetricDescriptor, _ dimensions: [(String, String)] = []) -> Gauge {
            Gauge(label: d.name, dimensions: dimensions, factory: factory)
        }
        gauges = Gauges(
            inFlight: gauge(Self.inFlight), degraded: gauge(Self.degraded), storeUp: gauge(Self.storeUp, [("kind", storeKind)]),
            connections: gauge(Self.storeConnections), localEntries: gauge(Self.liveScores),
            tracking: gauge(Self.tracking), refused: gauge(Self.promptsRefused), share: gauge(Self.candidateShare),
            llmInFlight: gauge(Self.llmInFlight), uptime: gauge(Self.uptime))
    }

    /// The latest drift check of one model version.
    func drift(model: String, version: String, fields: [(name: String, psi: Double)], probability: Double?) {
        for (name, psi) in fields { driftGauges.record(psi, [model, version, name]) }
        if let probability { driftGauges.record(probability, [model, version, "probability"]) }
    }

    /// A model's LLM step was turned off or back on.
    func llmStep(model: String, enabled: Bool) { llmStepGauges.record(enabled ? 1 : 0, [model]) }

    /// The latest performance snapshot of a model version (measures without a value are skipped).
    func performance(model: String, version: String, measures: [(String, Double?)]) {
        for case (let name, let value?) in measures { performanceGauges.record(value, [model, version, name]) }
    }

    func requestStarted() { active.add(1, ordering: .relaxed) }

    func requestFinished(method: String, route: String, status: Int, duration: Duration) {
        active.subtract(1, ordering: .relaxed)
        let labels = [method, route, String(status)]
        requestCounters.counter(labels).increment()
        requestTimers.timer(labels).recordNanoseconds(duration.nanoseconds)
    }

    func reloaded(success: Bool) { reloadCounters.increment(success ? "success" : "failure") }

    /// Brings a counter kept by a component (a running total) to `total`.
    private func advance(_ descriptor: MetricDescriptor, _ dimensions: [(String, String)] = [], to total: Int) {
        let key = descriptor.name + dimensions.map { "|\($0.1)" }.joined()
        let delta = totals.withLock { t -> Int in
            let d = total - (t[key] ?? 0)
            if d > 0 { t[key] = total }
            return d
        }
        let counter = Counter(label: descriptor.name, dimensions: dimensions, factory: factory)
        if delta > 0 { counter.increment(by: delta) }
    }

    /// Samples the components' state into the gauges (and the store's running totals into counters).
    func sample(_ pipeline: ScoringPipeline) {
        // The scrape itself is a request in flight; it does not count.
        gauges.inFlight.record(max(0, active.load(ordering: .relaxed) - 1))
        let snapshot = pipeline.registry.snapshot
        models.set(
            snapshot.models.map { model in
                let role =
                    model === snapshot.primary
                    ? "default" : model === snapshot.challenger ? "challenger" : model === snapshot.fallback ? "fallback" : "available"
                let e = model.ensemble
                return ([model.id, model.version, role, e.library.rawValue, String(e.treeCount), String(e.featureCount)], 1)
            })
        gauges.degraded.record(snapshot.isDegraded ? 1 : 0)
        let status = pipeline.store.status
        gauges.storeUp.record(status.up ? 1 : 0)
        advance(Self.storeFailures, to: status.failures)
        advance(Self.storeTimeouts, to: status.timeouts)
        advance(Self.storeDropped, to: status.dropped)
        gauges.connections.record(status.connections)
        gauges.localEntries.record(status.localEntries)
        if status.kind == "redis" {
            advance(Self.liveReads, [("source", "near")], to: status.liveReadsNear)
            advance(Self.liveReads, [("source", "redis")], to: status.liveReadsRedis)
            advance(Self.liveReads, [("source", "local")], to: status.liveReadsLocal)
            gauges.tracking.record(status.tracking ? 1 : 0)
        }
        if let registry = pipeline.prompts {
            let snapshot = registry.snapshot
            prompts.set(snapshot.entries.compactMap(\.prompt).map { ([$0.id, $0.version, $0.hash, snapshot.role(of: $0.id)], 1) })
            gauges.refused.record(snapshot.entries.filter { $0.error != nil }.count)
            gauges.share.record(snapshot.rollout.candidate == nil ? 0 : snapshot.rollout.share)
        }
        if let reranker = pipeline.reranker {
            gauges.llmInFlight.record(reranker.inFlight)
            let current = reranker.breaker.state.rawValue
            breakerStates.set(["closed", "open", "half_open"].map { ([$0], current == $0 ? 1 : 0) })
        }
        gauges.uptime.record(Int(Date().timeIntervalSince(started)))
    }
}
