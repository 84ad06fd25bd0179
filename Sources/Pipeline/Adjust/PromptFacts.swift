public import Reranker
import Scoring

extension EvaluatedLead {
    /// What a prompt sees of a scored lead: its fields with the manifest's labels, the score and the
    /// reasons, and its notes (untrusted text).
    public var promptFacts: PromptTemplate.Facts {
        var facts: [(label: String, value: String)] = []
        for field in model.manifest.fields {
            if let value = features[field.name], value != .null { facts.append((field.label, value.displayText)) }
        }
        return PromptTemplate.Facts(
            leadID: leadID, baseScore: score.baseScore, baseBadge: score.baseBadge.rawValue, probability: score.probability, facts: facts,
            reasons: score.reasons.map { ($0.text, $0.direction.rawValue) }, notes: notes)
    }
}
