import Dispatch
import Foundation
public import Scoring

/// One scoring request from decoded input to response JSON: validation, model choice, the score,
/// the live-score write and the metrics. Pure of HTTP, so the routes stay thin.
public final class ScoringService: Sendable {
    let config: GatewayConfig
    public let registry: ModelRegistry
    public let liveScores: LiveScoreStore
    let metrics: GatewayMetrics

    init(config: GatewayConfig, registry: ModelRegistry, liveScores: LiveScoreStore, metrics: GatewayMetrics) {
        self.config = config
        self.registry = registry
        self.liveScores = liveScores
        self.metrics = metrics
    }

    /// A scored lead, rendered.
    struct Scored {
        var leadID: String
        var json: String
        var badge: Badge
        var model: LoadedModel
    }

    /// Scores one lead. `shared` are batch-level options (a lead's own options win).
    func score(_ input: LeadInput, shared: ScoreOptions = ScoreOptions(), snapshot: ModelRegistry.Snapshot, scoredAt: String) -> Result<
        Scored, Problem
    > {
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
        let lead = Lead(id: leadID, features: input.features)
        // Field problems are reported together with the lead's other problems.
        switch model.scorer.score(lead, explain: explain && issues.isEmpty, rejectUnknownFields: config.unknownFields == .reject) {
        case .invalid(let problems):
            return .failure(.invalid(issues + problems))
        case .scored(let score):
            guard issues.isEmpty else { return .failure(.invalid(issues)) }
            let json = render(score, model: model, role: role, rerank: rerank, explain: explain, scoredAt: scoredAt)
            return .success(Scored(leadID: leadID, json: json, badge: score.baseBadge, model: model))
        }
    }

    /// Scores one request end to end: score, store the live score, count.
    func scoreOne(_ input: LeadInput) -> Result<String, Problem> {
        let snapshot = registry.snapshot
        switch score(input, snapshot: snapshot, scoredAt: Timestamp.iso8601(Date())) {
        case .failure(let problem):
            metrics.invalidLeads(1)
            return .failure(problem)
        case .success(let scored):
            liveScores.put(scored.leadID, json: scored.json)
            metrics.scored(model: scored.model, badges: [scored.badge])
            return .success(scored.json)
        }
    }

    /// Scores a batch on all cores, off the cooperative pool. One bad lead becomes an error entry.
    func scoreBatch(_ batch: BatchInput) async -> String {
        let snapshot = registry.snapshot
        let scoredAt = Timestamp.iso8601(Date())
        let threads = config.batchThreads > 0 ? config.batchThreads : ProcessInfo.processInfo.activeProcessorCount
        let leads = batch.leads
        let shared = batch.options
        let results: [Result<Scored, Problem>] = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                let results = parallelMap(count: leads.count, threads: threads) { i in
                    self.score(leads[i], shared: shared, snapshot: snapshot, scoredAt: scoredAt)
                }
                continuation.resume(returning: results)
            }
        }
        var w = JSONWriter(capacity: results.count * 900 + 128)
        var failed = 0
        var byModel: [ObjectIdentifier: (LoadedModel, [Badge])] = [:]
        var live: [(String, String)] = []
        live.reserveCapacity(results.count)
        w.beginObject()
        w.field("count", results.count)
        w.key("results")
        w.beginArray()
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let scored):
                w.raw(scored.json)
                live.append((scored.leadID, scored.json))
                byModel[ObjectIdentifier(scored.model), default: (scored.model, [])].1.append(scored.badge)
            case .failure(let problem):
                failed += 1
                w.beginObject()
                w.field("index", index)
                if let id = leads[index].leadID { w.field("lead_id", id) } else { w.key("lead_id"); w.null() }
                w.key("error")
                w.raw(problem.json(instance: nil))
                w.endObject()
            }
        }
        w.endArray()
        w.field("scored", results.count - failed)
        w.field("failed", failed)
        w.endObject()
        liveScores.putAll(live)
        for (model, badges) in byModel.values { metrics.scored(model: model, badges: badges) }
        metrics.invalidLeads(failed)
        return w.text
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

    func render(_ score: LeadScore, model: LoadedModel, role: String, rerank: Bool, explain: Bool, scoredAt: String) -> String {
        var w = JSONWriter(capacity: 1024)
        let finalScore = score.baseScore
        w.beginObject()
        w.field("lead_id", score.leadID)
        w.field("score", finalScore)
        w.field("base_score", score.baseScore)
        w.field("probability", score.probability, digits: 6)
        w.field("badge", model.scorer.thresholds.badge(for: finalScore).rawValue)
        w.field("base_badge", score.baseBadge.rawValue)
        w.field("confidence", score.confidence, digits: 3)
        w.field("leaf_support", score.leafSupport, digits: 5)
        if explain {
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
        w.beginObject()
        w.field("status", rerank ? "disabled" : "skipped")
        w.field("reason_code", rerank ? "disabled" : "skipped")
        w.field("multiplier", 1)
        w.endObject()
        w.key("model")
        w.beginObject()
        w.field("id", model.id)
        w.field("version", model.version)
        w.field("role", role)
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
}
