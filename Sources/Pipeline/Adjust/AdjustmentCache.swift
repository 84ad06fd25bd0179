import Foundation
import Hashing
import JSON
import Reranker
import Scoring

/// The cache of accepted LLM answers: keys and stored form.
enum AdjustmentCache {
    /// SHA-256 (hex) of the canonical JSON of everything that can change the answer (ARCHITECTURE §3):
    /// the prompt (id and content hash), the LLM model and request parameters, the scoring model
    /// (id and version), the lead's validated fields, its notes, and its id when the prompt uses it.
    /// Keys are written in sorted order and numbers in shortest form, so equal inputs give equal keys.
    static func key(
        model: LoadedModel, features: [String: LeadValue], notes: String?, leadID: String, reranker: LLMReranker, prompt: PromptTemplate
    ) -> String {
        let settings = reranker.settings
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("lead")
        w.beginObject()
        for field in model.manifest.fields.map(\.name).sorted() {
            w.key(field)
            w.value(features[field] ?? .null)
        }
        w.endObject()
        if prompt.variablesUsed.contains("lead_id") { w.field("lead_id", leadID) }
        w.field("reasoning_max_chars", prompt.reasoningMaxChars)
        w.key("llm")
        w.beginObject()
        w.field("max_tokens", prompt.maxTokens)
        w.field("max_tokens_field", settings.maxTokensField)
        w.field("model", reranker.model(for: prompt))
        w.field("response_format", settings.responseFormat.rawValue)
        if let seed = prompt.seed ?? settings.seed { w.field("seed", seed) } else { w.key("seed"); w.null() }
        w.field("temperature", prompt.temperature, digits: 6)
        w.endObject()
        w.key("model")
        w.beginObject()
        w.field("id", model.id)
        w.field("version", model.version)
        w.endObject()
        if let notes { w.field("notes", notes) } else { w.key("notes"); w.null() }
        w.key("prompt")
        w.beginObject()
        w.field("hash", prompt.hash)
        w.field("id", prompt.id)
        w.endObject()
        w.field("v", 1)
        w.endObject()
        return SHA256.hex(Array(w.text.utf8))
    }

    /// `{"multiplier","reasoning","llm_model","prompt_hash","lead_id","cached_at"}`; `lead_id` is the
    /// lead whose call produced it.
    static func encode(_ adjustment: Adjustment, model: String, promptHash: String, leadID: String) -> String {
        var w = JSONWriter(capacity: 256 + adjustment.reasoning.utf8.count)
        w.beginObject()
        w.field("multiplier", adjustment.multiplier, digits: 6)
        w.field("reasoning", adjustment.reasoning)
        w.field("llm_model", model)
        w.field("prompt_hash", promptHash)
        w.field("lead_id", leadID)
        w.field("cached_at", Timestamp.iso8601(Date()))
        w.endObject()
        return w.text
    }

    /// The stored answer, re-checked against the same bounds as a live one, and the lead that
    /// produced it; nil when it is not one.
    static func decode(_ payload: String) -> (adjustment: Adjustment, producer: String?)? {
        guard let node = try? JSONReader.parse(Data(payload.utf8)), let multiplier = node["multiplier"]?.number,
            let reasoning = node["reasoning"]?.string, (0.8...1.2).contains(multiplier)
        else { return nil }
        return (Adjustment(multiplier: multiplier, reasoning: reasoning), node["lead_id"]?.string)
    }
}
