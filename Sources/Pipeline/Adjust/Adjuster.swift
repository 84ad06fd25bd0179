import Reranker
import Scoring
import Store

/// The second step, the LLM adjustment of a scored lead, to end by a deadline: skipped, disabled, a
/// cached answer (looked up with its own short timeout inside the budget), or the outcome of a call,
/// shared with identical calls in flight here (single-flight) and, with `redis.lock`, across gateways.
/// Only accepted answers are cached.
struct Adjuster: Sendable {
    let settings: PipelineSettings
    let store: any ScoreStore
    let reranker: LLMReranker?
    let metrics: PipelineMetrics
    let flights: SingleFlight
    let guardRail: LLMGuardRail

    static let disabled = "no LLM is configured (llm.base_url / LEADGATE_LLM_BASE_URL)"

    /// The outcome of a lead whose LLM step will not run: skipped by the request, or disabled (no
    /// LLM configured, or the guard rail turned the model's step off).
    func noLLMStep(_ lead: EvaluatedLead) -> RerankOutcome {
        guard lead.rerank else { return .fallback(.skipped, "the request asked for no rerank") }
        return .fallback(.disabled, guardRail.offReason(modelID: lead.model.id) ?? Self.disabled)
    }

    /// The outcome of a live score written before its LLM step ends.
    static let pending = RerankOutcome(result: .fallback(.skipped, detail: "pending"))

    /// One lead's LLM step.
    func adjust(_ lead: EvaluatedLead, deadline: ContinuousClock.Instant) async -> RerankOutcome {
        guard lead.rerank else { return .fallback(.skipped, "the request asked for no rerank") }
        if let off = guardRail.offReason(modelID: lead.model.id) { return .fallback(.disabled, off) }
        guard reranker != nil, let key = lead.cacheKey else { return .fallback(.disabled, Self.disabled) }
        let start = ContinuousClock.now
        let lookup = min(settings.lookupTimeout, deadline - start - .milliseconds(5))
        if lookup > .zero {
            switch await store.adjustments([key], timeout: lookup) {
            case .success(let values):
                if let payload = values.first ?? nil, let hit = AdjustmentCache.decode(payload) {
                    metrics.cacheLookups(hits: 1)
                    return cached(hit, lead: lead, key: key, since: start)
                }
                metrics.cacheLookups(misses: 1)
            case .failure:
                metrics.cacheLookups(errors: 1)
            }
        }
        return await call(lead, key: key, deadline: deadline)
    }

    /// The LLM step of many leads at once, under one deadline: every cached answer in one round
    /// trip, then one call per miss, all in flight together (the reranker's bulkhead bounds them).
    /// Leads whose step does not run get nil.
    func adjust(_ leads: [EvaluatedLead?], deadline: ContinuousClock.Instant) async -> [RerankOutcome?] {
        var outcomes = [RerankOutcome?](repeating: nil, count: leads.count)
        guard reranker != nil else { return outcomes }
        var asking: [(index: Int, lead: EvaluatedLead, key: String)] = []
        for (i, lead) in leads.enumerated() {
            if let lead, lead.rerank, let key = lead.cacheKey, guardRail.offReason(modelID: lead.model.id) == nil { asking.append((i, lead, key)) }
        }
        guard !asking.isEmpty else { return outcomes }
        var hits = [String?](repeating: nil, count: asking.count)
        let start = ContinuousClock.now
        let lookup = min(settings.lookupTimeout, deadline - start - .milliseconds(5))
        if lookup > .zero {
            switch await store.adjustments(asking.map(\.key), timeout: lookup) {
            case .success(let values) where values.count == asking.count: hits = values
            case .success: break
            case .failure: metrics.cacheLookups(errors: asking.count)
            }
        }
        var misses: [(index: Int, lead: EvaluatedLead, key: String)] = []
        for (n, item) in asking.enumerated() {
            if let payload = hits[n], let hit = AdjustmentCache.decode(payload) {
                outcomes[item.index] = cached(hit, lead: item.lead, key: item.key, since: start)
            } else {
                misses.append(item)
            }
        }
        metrics.cacheLookups(hits: asking.count - misses.count, misses: misses.count)
        await withTaskGroup(of: (Int, RerankOutcome).self) { group in
            for item in misses {
                group.addTask { (item.index, await self.call(item.lead, key: item.key, deadline: deadline)) }
            }
            for await (i, outcome) in group { outcomes[i] = outcome }
        }
        return outcomes
    }

    private func cached(
        _ hit: (adjustment: Adjustment, producer: String?), lead: EvaluatedLead, key: String, since start: ContinuousClock.Instant
    ) -> RerankOutcome {
        var outcome = RerankOutcome(result: .applied(hit.adjustment), latency: ContinuousClock.now - start)
        outcome.cached = true
        metrics.reranked(outcome, prompt: lead.prompt)
        // Another lead's answer reused: index it under this lead too, so erasing either removes it.
        if hit.producer != lead.leadID { store.saveAdjustment(hash: key, payload: nil, leadID: lead.leadID) }
        return outcome
    }

    /// One LLM call per key in flight in this process; with `redis.lock`, one across gateways.
    private func call(_ lead: EvaluatedLead, key: String, deadline: ContinuousClock.Instant) async -> RerankOutcome {
        let outcome = await flights.run(key: key, deadline: deadline) { await self.ask(lead, key: key, deadline: deadline) }
        if outcome.shared {
            metrics.sharedCall()
            if case .applied = outcome.result { store.saveAdjustment(hash: key, payload: nil, leadID: lead.leadID) }
        }
        metrics.reranked(outcome, prompt: lead.prompt ?? reranker?.prompt)
        return outcome
    }

    private func ask(_ lead: EvaluatedLead, key: String, deadline: ContinuousClock.Instant) async -> RerankOutcome {
        guard let reranker else { return .fallback(.disabled, Self.disabled) }
        let prompt = lead.prompt ?? reranker.prompt
        let start = ContinuousClock.now
        let locking = settings.crossGatewayLock && store.kind == "redis"
        if locking, !(await store.lock(key, ttl: deadline - start, timeout: settings.lookupTimeout)) {
            if let outcome = await waitForOtherGateway(lead, key: key, deadline: deadline, since: start) { return outcome }
        }
        defer { if locking { store.unlock(key) } }
        let outcome = await reranker.adjust(
            lead.promptFacts, prompt: prompt, budget: deadline - ContinuousClock.now, keepRaw: settings.keepRawAnswers)
        if case .applied(let adjustment) = outcome.result {
            store.saveAdjustment(
                hash: key,
                payload: AdjustmentCache.encode(adjustment, model: reranker.model(for: prompt), promptHash: prompt.hash, leadID: lead.leadID),
                leadID: lead.leadID)
        }
        return outcome
    }

    /// Another gateway holds the lock of an identical lead's call: waits for its answer in the cache.
    /// Nil when the lock came free with no answer cached (that call failed): then this gateway asks
    /// itself, holding the lock.
    private func waitForOtherGateway(
        _ lead: EvaluatedLead, key: String, deadline: ContinuousClock.Instant, since start: ContinuousClock.Instant
    ) async -> RerankOutcome? {
        while ContinuousClock.now + .milliseconds(25) < deadline {
            try? await Task.sleep(for: .milliseconds(15))
            if case .success(let values) = await store.adjustments([key], timeout: settings.lookupTimeout), let payload = values.first ?? nil,
                let hit = AdjustmentCache.decode(payload)
            {
                if hit.producer != lead.leadID { store.saveAdjustment(hash: key, payload: nil, leadID: lead.leadID) }
                var outcome = RerankOutcome(result: .applied(hit.adjustment), latency: ContinuousClock.now - start)
                outcome.cached = true
                return outcome
            }
            if await store.lock(key, ttl: deadline - ContinuousClock.now, timeout: settings.lookupTimeout) { return nil }
        }
        return .fallback(
            .timeout, "another gateway's call for an identical lead did not answer within the budget", latency: ContinuousClock.now - start)
    }
}
