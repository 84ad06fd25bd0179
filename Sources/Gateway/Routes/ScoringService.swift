import Dispatch
import Foundation
import JSON
import Reranker
public import Scoring
public import Store
import Synchronization

/// One scoring request from decoded input to response JSON: validation, model choice, the score,
/// the live-score write and the metrics. Pure of HTTP, so the routes stay thin.
public final class ScoringService: Sendable {
    let config: GatewayConfig
    public let registry: ModelRegistry
    /// Cached LLM answers, live scores and cross-gateway locks (Redis or in memory).
    public let store: any ScoreStore
    let metrics: GatewayMetrics
    /// The LLM step; `nil` when no LLM is configured (every lead then says `disabled`).
    let reranker: LLMReranker?
    /// The prompt files and their rollout; present with the LLM step.
    let prompts: PromptRegistry?
    /// Badge-change webhooks, when `webhooks.url` is set.
    let webhooks: WebhookSender?
    let flights = SingleFlight()
    /// Live-score changes for the score streams open on this gateway.
    let feed = LiveFeed()
    /// Leads being scored again in the background (stale live scores, prewarms).
    let refreshing = Mutex<[String: Refresh]>([:])

    init(
        config: GatewayConfig, registry: ModelRegistry, store: any ScoreStore, metrics: GatewayMetrics, reranker: LLMReranker?,
        prompts: PromptRegistry? = nil, webhooks: WebhookSender? = nil
    ) {
        self.webhooks = webhooks
        self.config = config
        self.registry = registry
        self.store = store
        self.metrics = metrics
        self.reranker = reranker
        self.prompts = prompts
    }

    /// A lead the model has scored, before the LLM step and rendering.
    struct Evaluated: Sendable {
        var leadID: String
        var score: LeadScore
        var model: LoadedModel
        var role: String
        var rerank: Bool
        var explain: Bool
        var notes: String?
        var features: [String: LeadValue]
        /// The model the request named, if any (kept to score the lead again the same way).
        var requestedModel: String? = nil
        /// The key of the LLM answer in the cache, when the LLM step will run.
        var cacheKey: String?
        /// The prompt for this lead (live or candidate), when the LLM step will run.
        var prompt: PromptTemplate?
        var promptRole = "live"
        /// What to keep as the live score's input when it is not the lead as scored (events keep the
        /// fields as sent, unfolded, and mark them to be folded again).
        var storedInput: String? = nil
    }

    /// A scored lead, rendered.
    struct Scored: Sendable {
        var leadID: String
        var json: String
        var badge: Badge
        var model: LoadedModel
    }

    /// Validates and scores one lead with the model. `shared` are batch-level options (a lead's own
    /// options win).
    func evaluate(_ input: LeadInput, shared: ScoreOptions = ScoreOptions(), snapshot: ModelRegistry.Snapshot) -> Result<Evaluated, Problem> {
        var issues = input.issues
        let leadID = input.leadID ?? ""
        issues += validate(leadID: input.leadID, notes: input.notes)
        let requested = input.options.model ?? shared.model
        var model: LoadedModel?
        var role = "default"
        do {
            model = try registry.select(leadID: leadID, requested: requested, in: snapshot)
            if requested != nil {
                role = "requested"
            } else if let m = model, m === snapshot.challenger, m !== snapshot.primary {
                role = "challenger"
            } else if snapshot.isDegraded {
                role = "fallback"
            }
        } catch {
            issues.append(
                FieldIssue(
                    field: "options.model",
                    message: "`\(error.requested)` is not a loaded model. Use one of: \(error.available.joined(separator: ", ")) (GET /v1/models)."))
        }
        guard let model else { return .failure(.invalid(issues)) }
        let explain = input.options.explain ?? shared.explain ?? true
        let rerank = input.options.rerank ?? shared.rerank ?? true
        let wantsLLM = rerank && reranker != nil
        let lead = Lead(id: leadID, features: input.features)
        // Field problems are reported together with the lead's other problems. The LLM's prompt
        // needs the reasons even when the response leaves them out.
        switch model.scorer.score(
            lead, explain: (explain || wantsLLM) && issues.isEmpty, rejectUnknownFields: config.unknownFields == .reject)
        {
        case .invalid(let problems):
            return .failure(.invalid(issues + problems))
        case .scored(let score):
            guard issues.isEmpty else { return .failure(.invalid(issues)) }
            var key: String?
            var chosen: (prompt: PromptTemplate, role: String)?
            if wantsLLM, let reranker {
                chosen = prompts.flatMap { $0.select(leadID: leadID, in: $0.snapshot) } ?? (reranker.prompt, "live")
                if let chosen {
                    key = AdjustmentCache.key(
                        model: model, features: input.features, notes: input.notes, leadID: leadID, reranker: reranker, prompt: chosen.prompt)
                }
            }
            return .success(
                Evaluated(
                    leadID: leadID, score: score, model: model, role: role, rerank: rerank, explain: explain, notes: input.notes,
                    features: input.features, requestedModel: requested, cacheKey: key, prompt: chosen?.prompt,
                    promptRole: chosen?.role ?? "live"))
        }
    }

    /// When the LLM step must have ended for a request received at `receivedAt`: `llm.timeout_ms`
    /// after it, less `llm.deadline_margin_ms` kept for turning a late call into the response (when
    /// hundreds of calls time out together, finishing them all takes a few milliseconds of CPU).
    func llmDeadline(_ receivedAt: ContinuousClock.Instant) -> ContinuousClock.Instant {
        receivedAt.advanced(by: .milliseconds(max(1, config.llmTimeoutMS - config.llmDeadlineMarginMS)))
    }

    /// The LLM step for one scored lead, to end by `deadline`: skipped, disabled, a cached answer
    /// (looked up with its own short timeout inside the budget), or the outcome of a call, shared
    /// with identical calls in flight.
    func rerank(_ lead: Evaluated, deadline: ContinuousClock.Instant) async -> RerankOutcome {
        guard lead.rerank else { return .fallback(.skipped, "the request asked for no rerank") }
        guard reranker != nil, let key = lead.cacheKey else {
            return .fallback(.disabled, "no LLM is configured (llm.base_url / LEADGATE_LLM_BASE_URL)")
        }
        let start = ContinuousClock.now
        let lookup = min(.milliseconds(config.redisLookupTimeoutMS), deadline - start - .milliseconds(5))
        if lookup > .zero {
            switch await store.adjustments([key], timeout: lookup) {
            case .success(let values):
                if let payload = values.first ?? nil, let hit = AdjustmentCache.decode(payload) {
                    metrics.cacheLookups(hits: 1)
                    return cachedOutcome(hit, lead: lead, key: key, since: start)
                }
                metrics.cacheLookups(misses: 1)
            case .failure:
                metrics.cacheLookups(errors: 1)
            }
        }
        return await callLLM(lead, key: key, deadline: deadline)
    }

    func cachedOutcome(
        _ hit: (adjustment: Adjustment, producer: String?), lead: Evaluated, key: String, since start: ContinuousClock.Instant
    ) -> RerankOutcome {
        var outcome = RerankOutcome(result: .applied(hit.adjustment), latency: ContinuousClock.now - start)
        outcome.cached = true
        metrics.reranked(outcome, prompt: lead.prompt)
        // Another lead's answer reused: index it under this lead too, so erasing either removes it.
        if hit.producer != lead.leadID { store.saveAdjustment(hash: key, payload: nil, leadID: lead.leadID) }
        return outcome
    }

    /// One LLM call per key in flight in this process; with `redis.lock`, one across gateways.
    func callLLM(_ lead: Evaluated, key: String, deadline: ContinuousClock.Instant) async -> RerankOutcome {
        let outcome = await flights.run(key: key, deadline: deadline) { await self.askLLM(lead, key: key, deadline: deadline) }
        if outcome.shared {
            metrics.sharedCall()
            if case .applied = outcome.result { store.saveAdjustment(hash: key, payload: nil, leadID: lead.leadID) }
        }
        metrics.reranked(outcome, prompt: lead.prompt ?? reranker?.prompt)
        return outcome
    }

    private func askLLM(_ lead: Evaluated, key: String, deadline: ContinuousClock.Instant) async -> RerankOutcome {
        guard let reranker else { return .fallback(.disabled, "no LLM is configured") }
        let prompt = lead.prompt ?? reranker.prompt
        let start = ContinuousClock.now
        let lockTimeout = Duration.milliseconds(config.redisLookupTimeoutMS)
        if config.redisLock, store.kind == "redis", !(await store.lock(key, ttl: deadline - start, timeout: lockTimeout)) {
            // Another gateway is asking the LLM about an identical lead: wait for its answer.
            var locked = false
            while ContinuousClock.now + .milliseconds(25) < deadline {
                try? await Task.sleep(for: .milliseconds(15))
                if case .success(let values) = await store.adjustments([key], timeout: lockTimeout), let payload = values.first ?? nil,
                    let hit = AdjustmentCache.decode(payload)
                {
                    if hit.producer != lead.leadID { store.saveAdjustment(hash: key, payload: nil, leadID: lead.leadID) }
                    var outcome = RerankOutcome(result: .applied(hit.adjustment), latency: ContinuousClock.now - start)
                    outcome.cached = true
                    return outcome
                }
                // The lock is free again with no answer cached: that call failed, so ask ourselves.
                if await store.lock(key, ttl: deadline - ContinuousClock.now, timeout: lockTimeout) {
                    locked = true
                    break
                }
            }
            guard locked else {
                return .fallback(
                    .timeout, "another gateway's call for an identical lead did not answer within the budget", latency: ContinuousClock.now - start)
            }
        }
        defer { if config.redisLock, store.kind == "redis" { store.unlock(key) } }
        let outcome = await reranker.adjust(promptFacts(lead), prompt: prompt, budget: deadline - ContinuousClock.now)
        if case .applied(let adjustment) = outcome.result {
            store.saveAdjustment(
                hash: key,
                payload: AdjustmentCache.encode(adjustment, model: reranker.model(for: prompt), promptHash: prompt.hash, leadID: lead.leadID),
                leadID: lead.leadID)
        }
        return outcome
    }

    /// What a prompt sees of a scored lead: its fields with the manifest's labels, the score and the reasons.
    func promptFacts(_ lead: Evaluated) -> PromptTemplate.Facts {
        var facts: [(label: String, value: String)] = []
        for field in lead.model.manifest.fields {
            if let value = lead.features[field.name], value != .null { facts.append((field.label, value.displayText)) }
        }
        return PromptTemplate.Facts(
            leadID: lead.leadID, baseScore: lead.score.baseScore, baseBadge: lead.score.baseBadge.rawValue,
            probability: lead.score.probability, facts: facts, reasons: lead.score.reasons.map { ($0.text, $0.direction.rawValue) },
            notes: lead.notes)
    }

    /// Renders a scored lead with its LLM outcome; counts badge flips.
    func finish(_ lead: Evaluated, outcome: RerankOutcome, scoredAt: String) -> Scored {
        var multiplier = 1.0
        if case .applied(let adjustment) = outcome.result { multiplier = adjustment.multiplier }
        let finalScore = LeadScorer.scoreValue(lead.score.probability, multiplier: multiplier)
        let badge = lead.model.scorer.thresholds.badge(for: finalScore)
        if badge != lead.score.baseBadge { metrics.badgeFlipped(from: lead.score.baseBadge, to: badge) }
        let json = render(lead, finalScore: finalScore, badge: badge, outcome: outcome, scoredAt: scoredAt)
        return Scored(leadID: lead.leadID, json: json, badge: badge, model: lead.model)
    }

    /// Scores one request end to end: score, LLM step, store the live score, count.
    /// The JSON answered, and the prompt used (`id@version hash`) when the LLM step ran, for the log.
    func scoreOne(_ input: LeadInput, receivedAt: ContinuousClock.Instant = .now) async -> Result<(json: String, prompt: String?), Problem> {
        let snapshot = registry.snapshot
        switch evaluate(input, snapshot: snapshot) {
        case .failure(let problem):
            metrics.invalidLeads(1)
            return .failure(problem)
        case .success(let lead):
            let outcome = await rerank(lead, deadline: llmDeadline(receivedAt))
            let scored = finish(lead, outcome: outcome, scoredAt: Timestamp.iso8601(Date()))
            saveLive(scored, lead: lead)
            metrics.scored(model: scored.model, badges: [scored.badge])
            return .success((scored.json, lead.prompt.map { "\($0.id)@\($0.version) \($0.hash)" }))
        }
    }

    /// Scores a batch on all cores, off the cooperative pool; then the LLM step for every lead at once
    /// (bounded by the reranker's bulkhead), all under one deadline. One bad lead becomes an error entry.
    func scoreBatch(_ batch: BatchInput, receivedAt: ContinuousClock.Instant = .now) async -> String {
        let snapshot = registry.snapshot
        let scoredAt = Timestamp.iso8601(Date())
        let threads = config.batchThreads > 0 ? config.batchThreads : ProcessInfo.processInfo.activeProcessorCount
        let leads = batch.leads
        let shared = batch.options
        let evaluated: [Result<Evaluated, Problem>] = await Self.offPool {
            parallelMap(count: leads.count, threads: threads) { i in self.evaluate(leads[i], shared: shared, snapshot: snapshot) }
        }
        var outcomes = [RerankOutcome?](repeating: nil, count: evaluated.count)
        if reranker != nil {
            let deadline = llmDeadline(receivedAt)
            var asking: [(index: Int, lead: Evaluated, key: String)] = []
            for (i, result) in evaluated.enumerated() {
                if case .success(let lead) = result, lead.rerank, let key = lead.cacheKey { asking.append((i, lead, key)) }
            }
            // Every lead's cached answer in one round trip, then one call per miss, all at once
            // (the bulkhead bounds them), under the same deadline.
            var cached = [String?](repeating: nil, count: asking.count)
            let start = ContinuousClock.now
            let lookup = min(.milliseconds(config.redisLookupTimeoutMS), deadline - start - .milliseconds(5))
            if lookup > .zero, !asking.isEmpty {
                switch await store.adjustments(asking.map(\.key), timeout: lookup) {
                case .success(let values) where values.count == asking.count: cached = values
                case .success: break
                case .failure: metrics.cacheLookups(errors: asking.count)
                }
            }
            var misses: [(index: Int, lead: Evaluated, key: String)] = []
            for (n, item) in asking.enumerated() {
                if let payload = cached[n], let hit = AdjustmentCache.decode(payload) {
                    outcomes[item.index] = cachedOutcome(hit, lead: item.lead, key: item.key, since: start)
                } else {
                    misses.append(item)
                }
            }
            metrics.cacheLookups(hits: asking.count - misses.count, misses: misses.count)
            await withTaskGroup(of: (Int, RerankOutcome).self) { group in
                for item in misses {
                    group.addTask { (item.index, await self.callLLM(item.lead, key: item.key, deadline: deadline)) }
                }
                for await (i, outcome) in group { outcomes[i] = outcome }
            }
        }
        let llmOutcomes = outcomes
        let inputs: [String?] = await Self.offPool {
            parallelMap(count: evaluated.count, threads: threads) { i in (try? evaluated[i].get()).map { Self.inputJSON($0) } }
        }
        let results: [Result<Scored, Problem>] = await Self.offPool {
            parallelMap(count: evaluated.count, threads: threads) { i in
                evaluated[i].map { lead in
                    let fallback: RerankOutcome = lead.rerank ? .fallback(.disabled, "no LLM is configured") : .fallback(.skipped, "")
                    return self.finish(lead, outcome: llmOutcomes[i] ?? fallback, scoredAt: scoredAt)
                }
            }
        }
        var w = JSONWriter(capacity: results.count * 900 + 128)
        var failed = 0
        var byModel: [ObjectIdentifier: (LoadedModel, [Badge])] = [:]
        var live: [LiveRecord] = []
        var liveModels: [LoadedModel] = []
        live.reserveCapacity(results.count)
        let storedAt = Self.nowMS()
        w.beginObject()
        w.field("count", results.count)
        w.key("results")
        w.beginArray()
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let scored):
                w.raw(scored.json)
                live.append(LiveRecord(leadID: scored.leadID, json: scored.json, storedAtMS: storedAt, input: inputs[index]))
                liveModels.append(scored.model)
                byModel[ObjectIdentifier(scored.model), default: (scored.model, [])].1.append(scored.badge)
            case .failure(let problem):
                failed += 1
                Self.writeFailure(&w, index: index, leadID: leads[index].leadID, problem: problem)
            }
        }
        w.endArray()
        w.field("scored", results.count - failed)
        w.field("failed", failed)
        w.endObject()
        saveLive(batch: live, models: liveModels)
        for (model, badges) in byModel.values { metrics.scored(model: model, badges: badges) }
        metrics.invalidLeads(failed)
        return w.text
    }

    static func nowMS() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// `{"lead_id", "features", "notes"}`: what scoring the lead again needs, kept with its live score.
    static func inputJSON(_ lead: Evaluated, marker: Bool = false) -> String {
        if !marker, let stored = lead.storedInput { return stored }
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("lead_id", lead.leadID)
        w.key("features")
        w.beginObject()
        for (name, value) in lead.features.sorted(by: { $0.key < $1.key }) {
            w.key(name)
            switch value {
            case .number(let v): w.number(v, digits: 12)
            case .bool(let b): w.bool(b)
            case .string(let t): w.string(t)
            case .null: w.null()
            }
        }
        w.endObject()
        if let notes = lead.notes { w.field("notes", notes) }
        if let model = lead.requestedModel { w.key("options"); w.beginObject(); w.field("model", model); w.endObject() }
        if marker { w.field(foldMarker, true) }
        w.endObject()
        return w.text
    }

    /// Stores a lead's new live score (see ``saveLive(batch:models:)``).
    func saveLive(_ scored: Scored, lead: Evaluated) {
        let record = LiveRecord(leadID: scored.leadID, json: scored.json, storedAtMS: Self.nowMS(), input: Self.inputJSON(lead))
        saveLive(batch: [record], models: [lead.model])
    }

    /// Stores live scores and tells this gateway's score streams; with webhooks, reads the previous
    /// scores first (in one round trip, after the response) and posts each change of badge. A refresh
    /// in flight for one of these leads will not store its older answer.
    func saveLive(batch records: [LiveRecord], models: [LoadedModel]) {
        supersedeRefreshes(records.lazy.map(\.leadID))
        guard let webhooks, !records.isEmpty else {
            store.saveLiveScores(records)
            feed.publish(records)
            return
        }
        Task.detached {
            let previous = await self.store.liveScores(records.map(\.leadID), timeout: .milliseconds(max(self.config.redisReadTimeoutMS, 1_000)))
            self.store.saveLiveScores(records)
            self.feed.publish(records)
            guard case .success(let olds) = previous, olds.count == records.count else { return }
            for (i, record) in records.enumerated() {
                guard let old = olds[i], let before = Self.badge(old.json), let after = Self.badge(record.json), before != after else { continue }
                self.badgeChanged(leadID: record.leadID, from: before, to: after, json: record.json, model: models[i], webhooks: webhooks)
            }
        }
    }

    static func badge(_ json: String) -> String? { (try? JSONReader.parse(Data(json.utf8)))?["badge"]?.string }

    /// Posts `{"event": "badge_changed", "event_id", "lead_id", "from", "to", "score", "base_score", "at", "model"}`.
    func badgeChanged(leadID: String, from before: String, to after: String, json: String, model: LoadedModel, webhooks: WebhookSender) {
        let node = try? JSONReader.parse(Data(json.utf8))
        let eventID = UUID().uuidString.lowercased()
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("event", "badge_changed")
        w.field("event_id", eventID)
        w.field("lead_id", leadID)
        w.field("from", before)
        w.field("to", after)
        w.field("score", Int(node?["score"]?.number ?? -1))
        w.field("base_score", Int(node?["base_score"]?.number ?? -1))
        w.field("at", Timestamp.iso8601(Date()))
        w.key("model")
        w.beginObject()
        w.field("id", model.id)
        w.field("version", model.version)
        w.endObject()
        w.endObject()
        webhooks.send(eventID: eventID, body: w.text)
    }

    /// Live scores stored by any gateway (Redis pub/sub): the ones a stream here watches are read and
    /// passed on (a stream skips a score it has already sent).
    func liveChangedElsewhere(_ ids: [String]?) {
        // nil: the subscription came back after a break; read again every lead a stream watches.
        let watched = ids.map { $0.filter { feed.isWatched($0) } } ?? feed.watchedIDs
        guard !watched.isEmpty else { return }
        Task.detached {
            guard case .success(let records) = await self.store.liveScores(watched, timeout: .milliseconds(self.config.redisReadTimeoutMS))
            else { return }
            self.feed.publish(records.compactMap { $0 })
        }
    }

    /// The rerank outcome of a lead whose LLM step will not run: skipped by the request, or disabled.
    func noLLMStep(_ lead: Evaluated) -> RerankOutcome {
        lead.rerank
            ? .fallback(.disabled, "no LLM is configured (llm.base_url / LEADGATE_LLM_BASE_URL)")
            : .fallback(.skipped, "the request asked for no rerank")
    }

    /// The rerank outcome of a live score written before its LLM step ends.
    static let pending = RerankOutcome(result: .fallback(.skipped, detail: "pending"))

    /// Scores `lead` again with its LLM step, off the request, and stores the new live score. One
    /// refresh per lead runs at a time: a lead that changes meanwhile (a new event, another prewarm)
    /// waits as the next one, and the running refresh does not store its now-outdated answer.
    /// Returns whether a refresh started or was queued.
    @discardableResult
    func refreshInBackground(_ lead: Evaluated) -> Bool {
        let start = refreshing.withLock { r -> Bool in
            if r[lead.leadID] != nil {
                r[lead.leadID] = Refresh(next: lead)
                return false
            }
            r[lead.leadID] = Refresh()
            return true
        }
        guard start else { return true }
        Task.detached {
            var current = lead
            while true {
                let outcome = await self.rerank(current, deadline: ContinuousClock.now.advanced(by: .milliseconds(self.config.llmTimeoutMS)))
                let scored = self.finish(current, outcome: outcome, scoredAt: Timestamp.iso8601(Date()))
                let (next, superseded) = self.refreshing.withLock { r -> (Evaluated?, Bool) in
                    let entry = r[current.leadID]
                    if let next = entry?.next {
                        r[current.leadID] = Refresh()
                        return (next, false)
                    }
                    r[current.leadID] = nil
                    return (nil, entry?.superseded ?? false)
                }
                guard let next else {
                    // A score request stored a newer score meanwhile: this answer is outdated.
                    if !superseded { self.saveLive(scored, lead: current) }
                    return
                }
                current = next
            }
        }
        return true
    }

    /// A lead's refresh in flight, and the newer version of the lead to score after it.
    struct Refresh: Sendable {
        var next: Evaluated?
        /// A live score was stored for the lead after this refresh started (a score request).
        var superseded = false
    }

    /// Marks the refreshes in flight for these leads as outdated: a newer live score is being stored.
    func supersedeRefreshes<S: Sequence>(_ leadIDs: S) where S.Element == String {
        refreshing.withLock { r in
            guard !r.isEmpty else { return }
            for id in leadIDs where r[id] != nil { r[id]?.superseded = true }
        }
    }

    func isRefreshing(_ leadID: String) -> Bool { refreshing.withLock { $0[leadID] != nil } }

    /// Scores again, in the background, the lead a stale live score was made from (folding its events
    /// again when it was scored from events, so that windows and recency move on).
    @discardableResult
    func refreshInBackground(_ record: LiveRecord) -> Bool {
        // Readers of a stale score keep arriving while it is refreshed: skip the scoring then.
        guard !isRefreshing(record.leadID) else { return false }
        guard let input = record.input, case .object(let members)? = try? JSONReader.parse(Data(input.utf8)) else { return false }
        if members.contains(where: { $0.key == Self.foldMarker }) {
            let id = record.leadID
            // Hold the lead's refresh slot while its events are read (an event arriving meanwhile
            // becomes the next version, and wins).
            guard
                refreshing.withLock({ r -> Bool in
                    if r[id] != nil { return false }
                    r[id] = Refresh()
                    return true
                })
            else { return false }
            Task.detached {
                let folded = await self.fold(leadID: id, events: [], options: ScoreOptions(), nowMS: Self.nowMS())
                let newer = self.refreshing.withLock { r -> Evaluated? in
                    let next = r[id]?.next
                    r[id] = nil
                    return next
                }
                if let lead = newer ?? (try? folded.get())?.lead { self.refreshInBackground(lead) }
            }
            return true
        }
        guard case .success(let lead) = evaluate(LeadInput(.object(members)), snapshot: registry.snapshot) else { return false }
        return refreshInBackground(lead)
    }

    /// Prewarm: scores the lead now and stores that score at once (its LLM step `pending`), then runs
    /// the LLM step in the background and stores the adjusted score, so that a voice agent's first
    /// lookup in the call finds it ready.
    func prewarm(_ input: LeadInput) -> Result<Scored, Problem> {
        switch evaluate(input, snapshot: registry.snapshot) {
        case .failure(let problem):
            metrics.invalidLeads(1)
            return .failure(problem)
        case .success(let lead):
            let wantsLLM = lead.rerank && reranker != nil
            let now = finish(
                lead, outcome: wantsLLM ? Self.pending : noLLMStep(lead),
                scoredAt: Timestamp.iso8601(Date()))
            saveLive(now, lead: lead)
            if wantsLLM { refreshInBackground(lead) }
            return .success(now)
        }
    }

    /// Runs CPU-bound `work` on a dispatch queue, so the cooperative pool (2 threads here) stays free
    /// for the requests in flight.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }

    func validate(leadID: String?, notes: String?) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        if let id = leadID {
            if id.isEmpty || id.count > config.maxLeadIDChars {
                issues.append(FieldIssue(field: "lead_id", message: "must be 1–\(config.maxLeadIDChars) characters; it has \(id.count)."))
            } else if id.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || $0 == "/" || $0 == "?" || $0 == "#" }) {
                issues.append(
                    FieldIssue(field: "lead_id", message: "must not contain spaces, control characters, `/`, `?` or `#`. Use your CRM's id as is."))
            }
        } else {
            issues.append(FieldIssue(field: "lead_id", message: "is required. Send the lead's id as a string."))
        }
        if let notes, notes.count > config.maxNotesChars {
            issues.append(FieldIssue(field: "notes", message: "has \(notes.count) characters; the limit is \(config.maxNotesChars). Shorten it."))
        }
        return issues
    }

    func render(_ lead: Evaluated, finalScore: Int, badge: Badge, outcome: RerankOutcome, scoredAt: String) -> String {
        let score = lead.score
        let model = lead.model
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("lead_id", score.leadID)
        w.field("score", finalScore)
        w.field("base_score", score.baseScore)
        w.field("probability", score.probability, digits: 6)
        w.field("badge", badge.rawValue)
        w.field("base_badge", score.baseBadge.rawValue)
        w.field("speakable", Self.speakable(badge: badge, score: finalScore, reasons: score.reasons, manifest: model.manifest))
        w.field("confidence", score.confidence, digits: 3)
        w.field("leaf_support", score.leafSupport, digits: 5)
        if lead.explain {
            w.key("reasons")
            w.beginArray()
            for reason in score.reasons {
                w.beginObject()
                w.field("field", reason.field)
                w.field("label", reason.label)
                w.key("value")
                switch reason.value {
                case .number(let v): w.number(v, digits: 6)
                case .bool(let b): w.bool(b)
                case .string(let s): w.string(s)
                case .null: w.null()
                }
                w.field("contribution", reason.contribution, digits: 4)
                w.field("direction", reason.direction.rawValue)
                w.field("text", reason.text)
                w.endObject()
            }
            w.endArray()
            w.key("breakdown")
            w.beginArray()
            for group in score.breakdown {
                w.beginObject()
                w.field("group", group.group)
                w.field("label", group.label)
                w.field("contribution", group.contribution, digits: 4)
                w.field("share", group.share, digits: 4)
                w.endObject()
            }
            w.endArray()
            w.key("explanation_json")
            w.beginObject()
            w.key("feature_importance")
            w.beginObject()
            for (field, share) in score.importance { w.field(field, share, digits: 4) }
            w.endObject()
            w.field("final_score", finalScore)
            w.field("confidence", score.confidence, digits: 3)
            w.endObject()
        }
        w.key("rerank")
        renderRerank(&w, outcome, prompt: lead.prompt, role: lead.promptRole)
        w.key("model")
        w.beginObject()
        w.field("id", model.id)
        w.field("version", model.version)
        w.field("role", lead.role)
        w.endObject()
        if !score.unknownFields.isEmpty {
            w.key("warnings")
            w.beginArray()
            for name in score.unknownFields {
                w.beginObject()
                w.field("field", "features.\(name)")
                w.field("message", "is not a field of this model and was ignored.")
                w.endObject()
            }
            w.endArray()
        }
        w.field("scored_at", scoredAt)
        w.endObject()
        return w.text
    }

    /// One short sentence a voice agent can say: the badge and score, the strongest reason for it, and
    /// the question to ask next (the manifest's `question` of the field holding the lead back most,
    /// else its `default_question`).
    static func speakable(badge: Badge, score: Int, reasons: [LeadScore.Reason], manifest: ModelManifest) -> String {
        var sentence = "\(badge.rawValue.prefix(1).uppercased())\(badge.rawValue.dropFirst()) lead, \(score) out of 100"
        if let up = reasons.first(where: { $0.direction == .up }), let first = up.text.first {
            sentence += ", mainly: \(first.lowercased())\(up.text.dropFirst())"
        }
        sentence += "."
        let down = reasons.first { $0.direction == .down }
        if let question = down.flatMap({ d in manifest.fields.first { $0.name == d.field }?.question }) ?? manifest.defaultQuestion {
            sentence += " Next, ask: \(question)"
        }
        return sentence
    }

    /// `{"status", "reason"?, "multiplier", "reasoning"?, "latency_ms", "prompt"?, "llm_model"?}`.
    func renderRerank(_ w: inout JSONWriter, _ outcome: RerankOutcome, prompt chosen: PromptTemplate?, role: String) {
        w.beginObject()
        switch outcome.result {
        case .applied(let adjustment):
            w.field("status", outcome.cached ? "cached" : "applied")
            w.field("multiplier", adjustment.multiplier, digits: 4)
            w.field("reasoning", adjustment.reasoning)
        case .fallback(let code, let detail) where code == .skipped && detail == "pending":
            w.field("status", "pending")
            w.field("multiplier", 1)
        case .fallback(let code, _):
            w.field("status", code == .disabled ? "disabled" : code == .skipped ? "skipped" : "fallback")
            w.field("reason", code.rawValue)
            w.field("multiplier", 1)
        }
        w.field("latency_ms", outcome.latency.seconds * 1000, digits: 1)
        var promptUsed = true  // skipped and disabled leads had no prompt
        if case .fallback(let code, _) = outcome.result, code == .skipped || code == .disabled { promptUsed = false }
        if let reranker, promptUsed { Self.writePrompt(&w, chosen ?? reranker.prompt, role: role, reranker: reranker) }
        w.endObject()
    }

    /// `"prompt": {"id", "version", "hash", "role"}, "llm_model": …` inside the current object.
    static func writePrompt(_ w: inout JSONWriter, _ prompt: PromptTemplate, role: String, reranker: LLMReranker) {
        w.key("prompt")
        w.beginObject()
        w.field("id", prompt.id)
        w.field("version", prompt.version)
        w.field("hash", prompt.hash)
        w.field("role", role)
        w.endObject()
        w.field("llm_model", reranker.model(for: prompt))
    }

    /// A batch's entry for a lead that could not be scored: `{"index", "lead_id", "error": {problem}}`.
    static func writeFailure(_ w: inout JSONWriter, index: Int, leadID: String?, problem: Problem) {
        w.beginObject()
        w.field("index", index)
        if let leadID { w.field("lead_id", leadID) } else { w.key("lead_id"); w.null() }
        w.key("error")
        w.raw(problem.json(instance: nil))
        w.endObject()
    }
}
