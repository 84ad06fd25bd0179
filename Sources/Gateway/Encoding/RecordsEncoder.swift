import Foundation
import JSON
import Records

/// Decision records, histories and outcomes as the API answers them.
enum RecordsEncoder {
    /// The top-level fields of a decision, in the order written; `fields` in a history request
    /// picks among them.
    static let decisionFields = [
        "id", "request_id", "index", "lead_id", "decided_at", "kind", "caller", "gateway", "model", "input", "unknown_fields",
        "probability", "base_score", "score", "base_badge", "badge", "confidence", "explanation", "llm", "latency_ms", "expires_at",
    ]

    /// One decision, whole, or with only `fields`.
    static func write(_ d: DecisionRecord, fields: Set<String>? = nil, to w: inout JSONWriter) {
        func wants(_ name: String) -> Bool { fields?.contains(name) ?? true }
        w.beginObject()
        if wants("id") { w.field("id", d.id) }
        if wants("request_id") { w.field("request_id", d.requestID) }
        if wants("index") { w.field("index", d.index) }
        if wants("lead_id") { w.field("lead_id", d.leadID) }
        if wants("decided_at") { w.field("decided_at", Timestamp.iso8601(d.time)) }
        if wants("kind") { w.field("kind", d.kind.rawValue) }
        if wants("caller") { optional(&w, "caller", d.caller) }
        if wants("gateway") { w.field("gateway", d.gatewayInstance) }
        if wants("model") {
            w.key("model")
            w.beginObject()
            w.field("id", d.model.id)
            w.field("version", d.model.version)
            w.field("role", d.model.role)
            w.endObject()
        }
        if wants("input") {
            w.key("input")
            w.raw(d.inputJSON.isEmpty ? "{}" : d.inputJSON)
        }
        if wants("unknown_fields") {
            w.key("unknown_fields")
            w.beginArray()
            for name in d.unknownFields { w.string(name) }
            w.endArray()
        }
        if wants("probability") { w.field("probability", d.probability, digits: 6) }
        if wants("base_score") { w.field("base_score", d.baseScore) }
        if wants("score") { w.field("score", d.finalScore) }
        if wants("base_badge") { w.field("base_badge", d.baseBadge) }
        if wants("badge") { w.field("badge", d.finalBadge) }
        if wants("confidence") { w.field("confidence", d.confidence, digits: 3) }
        if wants("explanation") {
            w.key("explanation")
            w.raw(d.explanationJSON.isEmpty ? "{}" : d.explanationJSON)
        }
        if wants("llm") { writeLLM(d.llm, to: &w) }
        if wants("latency_ms") { w.field("latency_ms", d.totalLatencyMilliseconds, digits: 3) }
        if wants("expires_at") { optional(&w, "expires_at", d.expiresAt.map(Timestamp.iso8601)) }
        w.endObject()
    }

    static func writeLLM(_ llm: DecisionRecord.LLMStep, to w: inout JSONWriter) {
        w.key("llm")
        w.beginObject()
        w.field("status", llm.status)
        optional(&w, "reason", llm.reason)
        if let multiplier = llm.multiplier { w.field("multiplier", multiplier, digits: 4) } else { w.key("multiplier"); w.null() }
        optional(&w, "reasoning", llm.reasoning)
        if let id = llm.promptID {
            w.key("prompt")
            w.beginObject()
            w.field("id", id)
            optional(&w, "version", llm.promptVersion)
            optional(&w, "hash", llm.promptHash)
            w.endObject()
        } else {
            w.key("prompt")
            w.null()
        }
        optional(&w, "llm_model", llm.model)
        optional(&w, "raw_answer", llm.rawAnswer)
        if let ms = llm.latencyMilliseconds { w.field("latency_ms", ms, digits: 1) } else { w.key("latency_ms"); w.null() }
        if let tokens = llm.tokens {
            w.key("tokens")
            w.beginObject()
            w.field("prompt", tokens.prompt)
            w.field("completion", tokens.completion)
            w.endObject()
        } else {
            w.key("tokens")
            w.null()
        }
        w.endObject()
    }

    static func decision(_ d: DecisionRecord) -> String {
        var w = JSONWriter(capacity: 4096)
        write(d, to: &w)
        return w.text
    }

    /// `{"lead_id", "decisions": [...], "next_cursor"}`.
    static func history(leadID: String, _ page: HistoryPage, fields: Set<String>?) -> String {
        var w = JSONWriter(capacity: 1024 + page.decisions.count * (fields == nil ? 3072 : 256))
        w.beginObject()
        w.field("lead_id", leadID)
        w.key("decisions")
        w.beginArray()
        for d in page.decisions { write(d, fields: fields, to: &w) }
        w.endArray()
        optional(&w, "next_cursor", page.nextCursor?.token)
        w.endObject()
        return w.text
    }

    static func write(_ o: OutcomeRecord, to w: inout JSONWriter) {
        w.beginObject()
        w.field("lead_id", o.leadID)
        w.field("outcome", o.outcome)
        if let value = o.value { w.field("value", value, digits: 6) } else { w.key("value"); w.null() }
        w.field("occurred_at", Timestamp.iso8601(o.occurredAt))
        optional(&w, "source", o.source)
        optional(&w, "idempotency_key", o.idempotencyKey)
        optional(&w, "decision_id", o.linkedDecisionID)
        w.endObject()
    }

    /// `{"lead_id", "outcomes": [...]}`.
    static func outcomes(leadID: String, _ outcomes: [OutcomeRecord]) -> String {
        var w = JSONWriter(capacity: 256 + outcomes.count * 256)
        w.beginObject()
        w.field("lead_id", leadID)
        w.key("outcomes")
        w.beginArray()
        for o in outcomes { write(o, to: &w) }
        w.endArray()
        w.endObject()
        return w.text
    }

    /// `POST /v1/outcomes`' answer: each outcome as stored, whether it was new, and the totals.
    static func stored(_ outcomes: [OutcomeRecord], _ results: [OutcomeInsertResult]) -> String {
        var w = JSONWriter(capacity: 256 + outcomes.count * 256)
        w.beginObject()
        w.field("stored", results.filter(\.isNew).count)
        w.field("duplicates", results.filter { !$0.isNew }.count)
        w.key("outcomes")
        w.beginArray()
        for (outcome, result) in zip(outcomes, results) {
            var linked = outcome
            linked.linkedDecisionID = result.linkedDecisionID
            w.beginObject()
            w.field("lead_id", linked.leadID)
            w.field("outcome", linked.outcome)
            w.field("status", result.isNew ? "stored" : "duplicate")
            optional(&w, "decision_id", linked.linkedDecisionID)
            w.field("occurred_at", Timestamp.iso8601(linked.occurredAt))
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }

    /// `GET /v1/queue`: the leads to call next, hottest first.
    static func queue(_ entries: [QueueEntry], staleBefore: Date, now: Date) -> String {
        var w = JSONWriter(capacity: 256 + entries.count * 384)
        w.beginObject()
        w.field("as_of", Timestamp.iso8601(now))
        w.field("count", entries.count)
        w.key("leads")
        w.beginArray()
        for (rank, e) in entries.enumerated() {
            w.beginObject()
            w.field("rank", rank + 1)
            w.field("lead_id", e.leadID)
            w.field("score", e.finalScore)
            w.field("badge", e.finalBadge)
            w.field("base_score", e.baseScore)
            w.key("llm_multiplier")
            if let m = e.llmMultiplier { w.number(m) } else { w.null() }
            w.field("llm_status", e.llmStatus)
            w.field("confidence", e.confidence)
            w.field("model_id", e.modelID)
            w.field("model_version", e.modelVersion)
            w.field("decision_id", e.decisionID)
            w.field("kind", e.kind)
            w.field("scored_at", Timestamp.iso8601(e.time))
            w.field("age_s", max(0, Int(now.timeIntervalSince(e.time))))
            w.field("stale", e.time < staleBefore)
            optional(&w, "source", e.source)
            optional(&w, "outcome", e.outcome)
            optional(&w, "outcome_at", e.outcomeAt.map { Timestamp.iso8601($0) })
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }

    static func optional(_ w: inout JSONWriter, _ name: String, _ value: String?) {
        w.key(name)
        if let value { w.string(value) } else { w.null() }
    }
}
