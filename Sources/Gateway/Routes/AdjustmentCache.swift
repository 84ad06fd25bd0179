import Dispatch
import Foundation
import JSON
import Reranker
import Scoring
import Synchronization

/// The cache of accepted LLM answers: keys, stored form, and in-process single-flight.
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
            switch features[field] ?? .null {
            case .number(let v): w.number(v, digits: 12)
            case .bool(let b): w.bool(b)
            case .string(let s): w.string(s)
            case .null: w.null()
            }
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

/// Joins identical LLM calls in this process: while a call for a key is in flight, later requests
/// with the same key wait for its outcome instead of calling again. A follower whose own deadline
/// comes first stops waiting then, with `timeout`.
final class SingleFlight: Sendable {
    private struct Flight {
        var deadline: ContinuousClock.Instant
        var waiters: [@Sendable (RerankOutcome) -> Void] = []
    }

    private let flights = Mutex<[String: Flight]>([:])

    /// Calls in flight now (for tests and metrics).
    var count: Int { flights.withLock { $0.count } }

    /// Runs `call` for `key` unless one is in flight; the outcome says whether it was shared.
    func run(key: String, deadline: ContinuousClock.Instant, _ call: () async -> RerankOutcome) async -> RerankOutcome {
        let leaderDeadline = flights.withLock { f -> ContinuousClock.Instant? in
            if let flight = f[key] { return flight.deadline }
            f[key] = Flight(deadline: deadline)
            return nil
        }
        guard let leaderDeadline else {
            let outcome = await call()
            let waiters = flights.withLock { $0.removeValue(forKey: key)?.waiters ?? [] }
            for waiter in waiters { waiter(outcome) }
            return outcome
        }
        let start = ContinuousClock.now
        let joined: RerankOutcome? = await withCheckedContinuation { continuation in
            let once = Once(continuation)
            let added = flights.withLock { f -> Bool in
                guard f[key] != nil else { return false }
                f[key]?.waiters.append { once.resume($0) }
                return true
            }
            guard added else {
                once.resume(nil)  // the call ended between the two looks
                return
            }
            if deadline < leaderDeadline {
                let wait = max(Duration.zero, deadline - ContinuousClock.now)
                let nanoseconds = Int(wait.components.seconds) * 1_000_000_000 + Int(wait.components.attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
                    once.resume(.fallback(.timeout, "an identical call in flight did not answer within this request's budget", latency: wait))
                }
            }
        }
        guard var outcome = joined else { return await run(key: key, deadline: deadline, call) }
        outcome.shared = true
        outcome.latency = ContinuousClock.now - start
        outcome.usage = nil  // the tokens were counted once, by the call
        return outcome
    }

    private final class Once: Sendable {
        private let continuation: Mutex<CheckedContinuation<RerankOutcome?, Never>?>

        init(_ continuation: CheckedContinuation<RerankOutcome?, Never>) { self.continuation = Mutex(continuation) }

        func resume(_ outcome: RerankOutcome?) {
            let c = continuation.withLock { c -> CheckedContinuation<RerankOutcome?, Never>? in
                defer { c = nil }
                return c
            }
            c?.resume(returning: outcome)
        }
    }
}
