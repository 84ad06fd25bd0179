public import Foundation
public import Reranker
public import Scoring

/// A lead at the end of the pipeline: the model's score, the LLM step's outcome, the final score
/// and badge, the sentence for a voice agent, and its JSON (encoded once, here; the response, the
/// live score and the decision record all use it).
public struct ScoredLead: Sendable {
    public var lead: EvaluatedLead
    public var outcome: RerankOutcome
    /// `clamp(round(100 × p × multiplier), 0, 100)`.
    public var finalScore: Int
    public var badge: Badge
    public var multiplier: Double
    public var status: RerankStatus
    public var speakable: String
    public var scoredAt: Date
    /// The response object, as sent.
    public var json: String
    /// The explanation's encoded members when the lead is explained (the record reuses them).
    var explanation: ScoredLeadEncoder.ExplanationParts?

    /// The decision record's `explanation_json`.
    var explanationDocument: String {
        explanation?.document ?? ScoredLeadEncoder.explanationDocument(lead.score, finalScore: finalScore)
    }

    public var leadID: String { lead.leadID }
    public var model: LoadedModel { lead.model }
    public var baseBadge: Badge { lead.score.baseBadge }

    /// Puts the model's score and the LLM step's outcome together.
    public init(_ lead: EvaluatedLead, outcome: RerankOutcome, scoredAt: Date = Date(), reranker: LLMReranker?) {
        self.lead = lead
        self.outcome = outcome
        self.scoredAt = scoredAt
        multiplier = 1
        if case .applied(let adjustment) = outcome.result { multiplier = adjustment.multiplier }
        finalScore = LeadScorer.scoreValue(lead.score.probability, multiplier: multiplier)
        badge = lead.model.scorer.thresholds.badge(for: finalScore)
        status = RerankStatus(outcome)
        speakable = Speakable.sentence(badge: badge, score: finalScore, reasons: lead.score.reasons, manifest: lead.model.manifest)
        json = ""
        explanation = lead.explain ? ScoredLeadEncoder.ExplanationParts(lead.score, finalScore: finalScore) : nil
        json = ScoredLeadEncoder.encode(self, reranker: reranker)
    }
}

/// What became of the LLM step, as the response's `rerank.status` says it.
public enum RerankStatus: String, Sendable {
    case applied, cached, pending, disabled, skipped, fallback

    public init(_ outcome: RerankOutcome) {
        switch outcome.result {
        case .applied: self = outcome.cached ? .cached : .applied
        case .fallback(let code, let detail) where code == .skipped && detail == "pending": self = .pending
        case .fallback(.disabled, _): self = .disabled
        case .fallback(.skipped, _): self = .skipped
        case .fallback: self = .fallback
        }
    }

    /// Whether the response names a prompt (not for skipped and disabled leads, nor yet for a
    /// pending one).
    public var usedPrompt: Bool { self != .disabled && self != .skipped && self != .pending }
}
