import Dispatch
public import Foundation
public import Records
public import Reranker
public import Scoring
public import Store
import Synchronization

/// The one scoring path of LeadGate, for every entry point (a single score, a batch, events, a
/// prewarm, a background refresh, the voice platforms, jobs):
///
/// 1. **evaluate** (``Evaluator``): validate, pick the model, score with TreeSHAP reasons;
/// 2. **adjust** (``Adjuster``): the LLM multiplier, from the cache, an identical call in flight, or
///    a call under the request's deadline; any failure is a fallback with a reason code;
/// 3. **finish** (``ScoredLead``): the final score, badge and sentence, encoded once;
/// 4. **publish** (``Publisher``): the live score, score streams, badge-change webhooks, and the
///    decision record.
///
/// It returns typed values; the HTTP layer only decodes requests and encodes these.
public final class ScoringPipeline: Sendable {
    public let settings: PipelineSettings
    public let registry: ModelRegistry
    /// Cached LLM answers, live scores and cross-gateway locks (Redis or in memory).
    public let store: any ScoreStore
    /// The LLM step; nil when no LLM is configured (every lead then says `disabled`).
    public let reranker: LLMReranker?
    /// The prompt files and their rollout; present with the LLM step.
    public let prompts: PromptRegistry?
    public let metrics: PipelineMetrics
    public let evaluator: Evaluator
    let adjuster: Adjuster
    public let publisher: Publisher
    /// The system of record's write path, when records are on.
    public var recorder: Recorder? { publisher.recording?.recorder }
    let refresher: Refresher
    /// How leads scored from events are rebuilt for a refresh (installed by the `Voice` module).
    let refolding = Mutex<(any EventRefolding)?>(nil)

    /// Live-score changes for the score streams open on this gateway.
    public var feed: LiveFeed { publisher.feed }
    /// Models whose LLM step is off (the guard rail or an operator).
    public let guardRail: LLMGuardRail

    public init(
        settings: PipelineSettings, registry: ModelRegistry, store: any ScoreStore, metrics: PipelineMetrics, reranker: LLMReranker? = nil,
        prompts: PromptRegistry? = nil, webhooks: WebhookSender? = nil, recorder: Recorder? = nil, guardRail: LLMGuardRail = LLMGuardRail()
    ) {
        var settings = settings
        // The decision record keeps the LLM's answer as received.
        if recorder != nil { settings.keepRawAnswers = true }
        self.settings = settings
        self.registry = registry
        self.store = store
        self.metrics = metrics
        self.reranker = reranker
        self.prompts = prompts
        evaluator = Evaluator(registry: registry, settings: settings, reranker: reranker, prompts: prompts)
        self.guardRail = guardRail
        adjuster = Adjuster(settings: settings, store: store, reranker: reranker, metrics: metrics, flights: SingleFlight(), guardRail: guardRail)
        refresher = Refresher()
        let recording = recorder.map {
            DecisionRecording(recorder: $0, instance: settings.gatewayInstance, liveTTL: settings.liveTTL, reranker: reranker)
        }
        publisher = Publisher(
            store: store, webhooks: webhooks, metrics: metrics, refresher: refresher, readTimeout: settings.readTimeout, recording: recording)
    }

    // MARK: Steps

    /// Validates and scores one lead with the model (step 1).
    public func evaluate(_ input: LeadInput, shared: ScoreOptions = ScoreOptions(), snapshot: ModelRegistry.Snapshot? = nil) -> Result<
        EvaluatedLead, Problem
    > {
        evaluator.evaluate(input, shared: shared, snapshot: snapshot ?? registry.snapshot)
    }

    /// The LLM step of one lead, to end by `deadline` (step 2).
    public func adjust(_ lead: EvaluatedLead, deadline: ContinuousClock.Instant) async -> RerankOutcome {
        await adjuster.adjust(lead, deadline: deadline)
    }

    /// The final score of a lead and its JSON (step 3); counts a badge the LLM changed.
    public func finish(_ lead: EvaluatedLead, outcome: RerankOutcome, scoredAt: Date = Date()) -> ScoredLead {
        let scored = ScoredLead(lead, outcome: outcome, scoredAt: scoredAt, reranker: reranker)
        if scored.badge != scored.baseBadge { metrics.badgeFlipped(from: scored.baseBadge, to: scored.badge) }
        return scored
    }

    /// The outcome of a lead whose LLM step will not run now: pending (it runs in the background),
    /// disabled, or skipped.
    func immediateOutcome(_ lead: EvaluatedLead, llmLater: Bool) -> RerankOutcome {
        llmLater ? Adjuster.pending : adjuster.noLLMStep(lead)
    }

    /// When the LLM step must have ended for a request received at `receivedAt`: `llm.timeout_ms`
    /// after it, less `llm.deadline_margin_ms` kept for turning a late call into the response (when
    /// hundreds of calls time out together, finishing them all takes a few milliseconds of CPU).
    public func llmDeadline(_ receivedAt: ContinuousClock.Instant) -> ContinuousClock.Instant {
        receivedAt.advanced(by: max(.milliseconds(1), settings.llmTimeout - settings.llmDeadlineMargin))
    }

    // MARK: Entry points

    /// Scores one request end to end: evaluate, adjust, finish, publish.
    public func score(_ input: LeadInput, receivedAt: ContinuousClock.Instant = .now, context: DecisionContext = DecisionContext()) async -> Result<
        ScoredLead, Problem
    > {
        switch evaluate(input) {
        case .failure(let problem):
            metrics.invalidLeads(1)
            return .failure(problem)
        case .success(let lead):
            let outcome = await adjust(lead, deadline: llmDeadline(receivedAt))
            let scored = finish(lead, outcome: outcome)
            publisher.publish([scored], context: context)
            metrics.scored(model: scored.model, badges: [scored.badge])
            return .success(scored)
        }
    }

    /// Scores a batch on all cores, off the cooperative pool; then the LLM step for every lead at once
    /// (bounded by the reranker's bulkhead), all under one deadline. One bad lead is a problem in its
    /// place; the others are not affected.
    public func scoreBatch(_ batch: BatchInput, receivedAt: ContinuousClock.Instant = .now, context: DecisionContext = DecisionContext()) async
        -> [Result<ScoredLead, Problem>]
    {
        let snapshot = registry.snapshot
        let scoredAt = Date()
        let threads = settings.batchThreads > 0 ? settings.batchThreads : ProcessInfo.processInfo.activeProcessorCount
        let leads = batch.leads
        let shared = batch.options
        let evaluator = self.evaluator
        let evaluated: [Result<EvaluatedLead, Problem>] = await Self.offPool {
            parallelMap(count: leads.count, threads: threads) { i in evaluator.evaluate(leads[i], shared: shared, snapshot: snapshot) }
        }
        let outcomes = await adjuster.adjust(evaluated.map { try? $0.get() }, deadline: llmDeadline(receivedAt))
        let results: [Result<ScoredLead, Problem>] = await Self.offPool {
            parallelMap(count: evaluated.count, threads: threads) { i in
                evaluated[i].map { lead in self.finish(lead, outcome: outcomes[i] ?? self.adjuster.noLLMStep(lead), scoredAt: scoredAt) }
            }
        }
        var scored: [ScoredLead] = []
        var indices: [Int] = []
        scored.reserveCapacity(results.count)
        indices.reserveCapacity(results.count)
        for (i, result) in results.enumerated() {
            if case .success(let lead) = result {
                scored.append(lead)
                indices.append(context.index + i)
            }
        }
        publisher.publish(scored, context: context, indices: indices)
        var byModel: [ObjectIdentifier: (LoadedModel, [Badge])] = [:]
        for lead in scored { byModel[ObjectIdentifier(lead.model), default: (lead.model, [])].1.append(lead.badge) }
        for (model, badges) in byModel.values { metrics.scored(model: model, badges: badges) }
        metrics.invalidLeads(results.count - scored.count)
        return results
    }

    /// Prewarm: scores the lead now and stores that score at once (its LLM step `pending`), then runs
    /// the LLM step in the background and stores the adjusted score, so that a voice agent's first
    /// lookup in the call finds it ready.
    public func prewarm(_ input: LeadInput, context: DecisionContext = DecisionContext(kind: .prewarm)) -> Result<ScoredLead, Problem> {
        switch evaluate(input) {
        case .failure(let problem):
            metrics.invalidLeads(1)
            return .failure(problem)
        case .success(let lead):
            return .success(scoreNowAdjustLater(lead, context: context))
        }
    }

    /// Publishes the model's score of `lead` at once and, when its LLM step runs, refreshes it in
    /// the background (prewarms and events).
    public func scoreNowAdjustLater(_ lead: EvaluatedLead, context: DecisionContext) -> ScoredLead {
        let later = lead.rerank && reranker != nil
        let scored = finish(lead, outcome: immediateOutcome(lead, llmLater: later))
        publisher.publish([scored], context: context)
        if later { refreshInBackground(lead) }
        return scored
    }

    /// Runs CPU-bound `work` on a dispatch queue, so the cooperative pool (2 threads here) stays free
    /// for the requests in flight.
    public static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
