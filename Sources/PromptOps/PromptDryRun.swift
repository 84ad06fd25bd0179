public import Foundation
import JSON
public import Pipeline
public import Reranker
public import Scoring

/// A prompt rendered for one lead (and, when asked, tried against the LLM), as JSON: the route
/// `POST /v1/prompts/{id}/render|try` and `leadgate prompts render` share it. Nothing is cached or
/// stored.
public enum PromptDryRun {
    /// - Parameters:
    ///   - call: Ask the LLM too (`try`); else only render the messages and the request body.
    public static func run(
        pipeline: ScoringPipeline, reranker: LLMReranker, prompt: PromptTemplate, role: String, input: LeadInput, call: Bool
    ) async -> Result<String, Problem> {
        var input = input
        input.options.rerank = true
        input.options.explain = true
        var lead: EvaluatedLead
        switch pipeline.evaluate(input) {
        case .failure(let problem): return .failure(problem)
        case .success(let value): lead = value
        }
        lead.prompt = prompt
        lead.promptRole = role
        let facts = lead.promptFacts
        let messages = prompt.render(facts)
        var w = JSONWriter(capacity: 8192)
        w.beginObject()
        ScoredLead.writePrompt(&w, prompt, role: role, reranker: reranker)
        w.key("messages")
        w.beginArray()
        for (name, content) in [("system", messages.system), ("user", messages.user)] {
            w.beginObject()
            w.field("role", name)
            w.field("content", content)
            w.endObject()
        }
        w.endArray()
        w.field("probability", lead.score.probability, digits: 6)
        w.field("base_score", lead.score.baseScore)
        w.field("base_badge", lead.score.baseBadge.rawValue)
        if call {
            let outcome = await reranker.adjust(facts, prompt: prompt, keepRaw: true)
            let scored = pipeline.finish(lead, outcome: outcome)
            w.key("answer")
            if let raw = outcome.raw {
                w.beginObject()
                w.field("http_status", raw.status)
                w.field("body", raw.body)
                w.endObject()
            } else {
                w.null()
            }
            w.key("rerank")
            ScoredLead.writeRerank(&w, outcome, prompt: prompt, role: role, reranker: reranker)
            w.field("score", scored.finalScore)
            w.field("badge", scored.badge.rawValue)
            if case .fallback(_, let detail) = outcome.result { w.field("fallback_detail", detail) }
        } else {
            w.key("request")
            w.raw(String(decoding: reranker.requestBody(messages, prompt: prompt), as: UTF8.self))
        }
        w.endObject()
        return .success(w.text)
    }

    /// `leadgate prompts render`: the exact messages (and request body) that would be sent for the
    /// lead in `leadJSON`, scored by `pipeline`'s models.
    public static func render(pipeline: ScoringPipeline, reranker: LLMReranker, prompt: PromptTemplate, leadJSON: Data)
        async throws(ConfigurationError)
        -> String
    {
        let node: JSONNode
        do {
            node = try JSONReader.parse(leadJSON)
        } catch {
            throw ConfigurationError(key: "--lead", "is not valid JSON: \(error.description).")
        }
        switch await run(pipeline: pipeline, reranker: reranker, prompt: prompt, role: "live", input: LeadInput(node), call: false) {
        case .success(let json): return json
        case .failure(let problem):
            throw ConfigurationError(key: "--lead", problem.detail + problem.errors.map { " \($0.field): \($0.message)" }.joined())
        }
    }
}
