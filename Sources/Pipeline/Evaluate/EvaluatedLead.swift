public import Reranker
public import Scoring

/// A lead the model has scored, before the LLM step: everything the later steps need.
public struct EvaluatedLead: Sendable {
    public var leadID: String
    public var score: LeadScore
    public var model: LoadedModel
    /// `default`, `challenger`, `fallback` or `requested`.
    public var role: String
    /// Whether the LLM step was asked for (the request did not say `rerank: false`).
    public var rerank: Bool
    /// Whether the response carries the reasons.
    public var explain: Bool
    public var notes: String?
    public var features: [String: LeadValue]
    /// The model the request named, if any (kept to score the lead again the same way).
    public var requestedModel: String?
    /// The key of the LLM answer in the cache, when the LLM step will run.
    public var cacheKey: String?
    /// The prompt for this lead (live or candidate), when the LLM step will run.
    public var prompt: PromptTemplate?
    public var promptRole = "live"
    /// What to keep as the live score's input when it is not the lead as scored (events keep the
    /// fields as sent, unfolded, and mark them to be folded again).
    public var storedInput: String?
    /// The lead's `consent`, kept with its live score so a refresh sees it too.
    public var consent: Bool?

    /// Whether the LLM step will run for this lead on a gateway with an LLM.
    public var wantsLLM: Bool { rerank && cacheKey != nil }
}
