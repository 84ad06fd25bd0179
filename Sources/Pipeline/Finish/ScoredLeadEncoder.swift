public import JSON
public import Reranker
import Scoring
import Telemetry

/// The JSON of a scored lead (`POST /v1/leads/score`'s answer), written with the fast writer.
enum ScoredLeadEncoder {
    /// The explanation's members, encoded once: the response and the decision record's
    /// `explanation_json` both take them.
    struct ExplanationParts: Sendable {
        /// `"reasons":[…],"breakdown":[…]`
        var reasons: String
        /// `"feature_importance":{…},"final_score":N,"confidence":x`
        var importance: String

        init(_ score: LeadScore, finalScore: Int) {
            // Members written at the writer's top level come out as `"a":…,"b":…`, no braces.
            func members(_ write: (inout JSONWriter) -> Void) -> String {
                var w = JSONWriter(capacity: 1024)
                write(&w)
                return w.text
            }
            reasons = members { ScoredLeadEncoder.writeReasonsAndBreakdown(&$0, score) }
            importance = members { ScoredLeadEncoder.writeImportance(&$0, score, finalScore: finalScore) }
        }

        /// The decision record's document: importance first, then reasons and breakdown.
        var document: String { "{" + importance + (importance.isEmpty || reasons.isEmpty ? "" : ",") + reasons + "}" }
    }

    static func encode(_ scored: ScoredLead, reranker: LLMReranker?) -> String {
        let lead = scored.lead
        let score = lead.score
        let model = lead.model
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("lead_id", score.leadID)
        w.field("score", scored.finalScore)
        w.field("base_score", score.baseScore)
        w.field("probability", score.probability, digits: 6)
        w.field("badge", scored.badge.rawValue)
        w.field("base_badge", score.baseBadge.rawValue)
        w.field("speakable", scored.speakable)
        w.field("confidence", score.confidence, digits: 3)
        w.field("leaf_support", score.leafSupport, digits: 5)
        if let parts = scored.explanation {
            w.members(parts.reasons)
            w.key("explanation_json")
            w.beginObject()
            w.members(parts.importance)
            w.endObject()
        }
        w.key("rerank")
        writeRerank(&w, scored.outcome, prompt: lead.prompt, role: lead.promptRole, reranker: reranker)
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
        w.field("scored_at", Timestamp.iso8601(scored.scoredAt))
        w.endObject()
        return w.text
    }

    /// The decision record's `explanation_json`: the seed's shape (`feature_importance`,
    /// `final_score`, `confidence`) with the `reasons` and `breakdown` beside it.
    static func explanationDocument(_ score: LeadScore, finalScore: Int) -> String {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        writeImportance(&w, score, finalScore: finalScore)
        writeReasonsAndBreakdown(&w, score)
        w.endObject()
        return w.text
    }

    static func writeImportance(_ w: inout JSONWriter, _ score: LeadScore, finalScore: Int) {
        w.key("feature_importance")
        w.beginObject()
        for (field, share) in score.importance { w.field(field, share, digits: 4) }
        w.endObject()
        w.field("final_score", finalScore)
        w.field("confidence", score.confidence, digits: 3)
    }

    static func writeReasonsAndBreakdown(_ w: inout JSONWriter, _ score: LeadScore) {
        w.key("reasons")
        w.beginArray()
        for reason in score.reasons {
            w.beginObject()
            w.field("field", reason.field)
            w.field("label", reason.label)
            w.key("value")
            w.value(reason.value, digits: 6)
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
    }

    /// `{"status", "reason"?, "multiplier", "reasoning"?, "latency_ms", "prompt"?, "llm_model"?}`.
    static func writeRerank(_ w: inout JSONWriter, _ outcome: RerankOutcome, prompt chosen: PromptTemplate?, role: String, reranker: LLMReranker?) {
        let status = RerankStatus(outcome)
        w.beginObject()
        w.field("status", status.rawValue)
        switch outcome.result {
        case .applied(let adjustment):
            w.field("multiplier", adjustment.multiplier, digits: 4)
            w.field("reasoning", adjustment.reasoning)
        case .fallback(let code, _):
            if status != .pending { w.field("reason", code.rawValue) }
            w.field("multiplier", 1)
        }
        w.field("latency_ms", outcome.latency.milliseconds, digits: 1)
        if let reranker, status.usedPrompt { writePrompt(&w, chosen ?? reranker.prompt, role: role, reranker: reranker) }
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
}

extension ScoredLead {
    /// Writes a `rerank` object (see the score response) at the writer's position.
    public static func writeRerank(_ w: inout JSONWriter, _ outcome: RerankOutcome, prompt: PromptTemplate?, role: String, reranker: LLMReranker?) {
        ScoredLeadEncoder.writeRerank(&w, outcome, prompt: prompt, role: role, reranker: reranker)
    }

    /// Writes `"prompt": {"id", "version", "hash", "role"}, "llm_model": …` inside the current object.
    public static func writePrompt(_ w: inout JSONWriter, _ prompt: PromptTemplate, role: String, reranker: LLMReranker) {
        ScoredLeadEncoder.writePrompt(&w, prompt, role: role, reranker: reranker)
    }
}
