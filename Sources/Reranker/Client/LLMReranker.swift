import Foundation
import JSON

/// Asks an OpenAI-compatible chat-completions endpoint for a bounded score multiplier, under a hard
/// budget, and turns every failure into a reason code. Works with OpenAI, Groq, vLLM, llama.cpp
/// server, Ollama and LiteLLM: plain `POST {base}/chat/completions`, bearer key, JSON body.
public final class LLMReranker: Sendable {
    public struct Settings: Sendable {
        public enum ResponseFormat: String, Sendable, CaseIterable {
            /// `response_format: {type: json_schema, json_schema: {strict: true, …}}`.
            case jsonSchema = "json_schema"
            /// `response_format: {type: json_object}`, for servers without JSON-schema support.
            case jsonObject = "json_object"
            /// No `response_format` at all.
            case none
        }

        /// Up to and including `/v1`, e.g. `http://127.0.0.1:4000/v1`.
        public var baseURL: String
        /// Overrides the prompt's model when set.
        public var model: String?
        public var apiKey: String?
        /// The whole LLM step: connect, send, wait, read.
        public var budget: Duration = .milliseconds(500)
        public var connectCap: Duration = .milliseconds(150)
        /// `max_tokens` (most servers) or `max_completion_tokens` (newer OpenAI models).
        public var maxTokensField = "max_tokens"
        public var responseFormat = ResponseFormat.jsonSchema
        public var seed: Int? = 7
        public var maxInFlight = 1_000
        public var caBundle: String?
        public var breaker = BreakerStateMachine.Settings()

        public init(baseURL: String) { self.baseURL = baseURL }
    }

    public let settings: Settings
    public let prompt: PromptTemplate
    public let breaker: CircuitBreaker
    let client: CurlMultiClient
    let validator = AnswerValidator()

    public init(settings: Settings, prompt: PromptTemplate) throws(TransportError) {
        self.settings = settings
        self.prompt = prompt
        self.breaker = CircuitBreaker(settings: settings.breaker)
        self.client = try CurlMultiClient(
            options: .init(maxInFlight: settings.maxInFlight, maxResponseBytes: 256 * 1024, caBundle: settings.caBundle))
    }

    /// The model the requests name (with the default prompt).
    public var model: String { model(for: prompt) }

    /// The model the requests name with `prompt`: the configured override, else the prompt's own.
    public func model(for prompt: PromptTemplate) -> String { settings.model ?? prompt.model ?? "default" }

    /// Calls in flight now.
    public var inFlight: Int { client.inFlight }

    /// Asks for one lead's adjustment within `budget` (default: the configured budget), with
    /// `prompt` (default: the reranker's own). `keepRaw` keeps the reply's body in the outcome (for
    /// dry runs that show it).
    public func adjust(
        _ facts: PromptTemplate.Facts, prompt: PromptTemplate? = nil, budget: Duration? = nil, keepRaw: Bool = false
    ) async -> RerankOutcome {
        let prompt = prompt ?? self.prompt
        let budget = budget ?? settings.budget
        guard budget > .milliseconds(5) else { return .fallback(.timeout, "no budget left") }
        guard breaker.allow() else { return .fallback(.breakerOpen, "the circuit breaker is open") }
        let start = ContinuousClock.now
        let messages = prompt.render(facts)
        var headers = ["Content-Type: application/json", "Accept: application/json"]
        if let key = settings.apiKey, !key.isEmpty { headers.append("Authorization: Bearer \(key)") }
        let call = HTTPCall(
            url: settings.baseURL.trimmingSuffix("/") + "/chat/completions", headers: headers, body: requestBody(messages, prompt: prompt),
            timeout: budget, connectTimeout: min(settings.connectCap, budget))
        let reply: HTTPReply
        do {
            reply = try await client.execute(call)
        } catch {
            let latency = ContinuousClock.now - start
            let code: ReasonCode
            switch error.kind {
            case .timeout, .cancelled: code = .timeout
            case .connect: code = .connectError
            case .shed: code = .shed
            case .tooLarge, .closed, .failed: code = .upstreamError
            }
            if code == .shed { breaker.release() } else { breaker.record(failure: true) }
            return .fallback(code, error.message, latency: latency)
        }
        let latency = ContinuousClock.now - start
        let unhealthy = reply.status == 429 || reply.status >= 500 || (400...499).contains(reply.status)
        breaker.record(failure: unhealthy, retryAfter: unhealthy ? Self.retryAfter(reply.headers["retry-after"]) : nil)
        var validator = self.validator
        validator.maxReasoning = prompt.reasoningMaxChars
        var outcome: RerankOutcome
        switch validator.judge(status: reply.status, body: reply.body) {
        case .accepted(let adjustment, let usage):
            outcome = RerankOutcome(result: .applied(adjustment), latency: latency, usage: usage)
        case .rejected(let code, let detail):
            outcome = RerankOutcome(result: .fallback(code, detail: detail), latency: latency)
        }
        if keepRaw { outcome.raw = RerankOutcome.Raw(status: reply.status, body: String(decoding: reply.body.prefix(16_384), as: UTF8.self)) }
        return outcome
    }

    /// Stops the transport; later calls fall back with `upstream_error`.
    public func shutdown() { client.shutdown() }

    /// The chat-completions body, written directly (keys in a fixed order; no reflection).
    public func requestBody(_ messages: (system: String, user: String), prompt: PromptTemplate? = nil) -> [UInt8] {
        let prompt = prompt ?? self.prompt
        var w = JSONWriter(capacity: messages.system.utf8.count + messages.user.utf8.count + 640)
        w.beginObject()
        w.field("model", model(for: prompt))
        w.key("messages")
        w.beginArray()
        for (role, content) in [("system", messages.system), ("user", messages.user)] {
            w.beginObject()
            w.field("role", role)
            w.field("content", content)
            w.endObject()
        }
        w.endArray()
        w.field("temperature", prompt.temperature, digits: 6)
        w.field(settings.maxTokensField, prompt.maxTokens)
        if let seed = prompt.seed ?? settings.seed { w.field("seed", seed) }
        switch settings.responseFormat {
        case .jsonSchema:
            w.key("response_format")
            w.raw(Self.jsonSchemaFormat)
        case .jsonObject:
            w.key("response_format")
            w.raw(#"{"type":"json_object"}"#)
        case .none:
            break
        }
        w.endObject()
        return Array(w.text.utf8)
    }

    /// `response_format` for `json_schema` mode: exactly the answer the validator accepts.
    static let jsonSchemaFormat =
        #"{"type":"json_schema","json_schema":{"name":"lead_adjustment","strict":true,"schema":{"type":"object","#
        + #""additionalProperties":false,"required":["multiplier","reasoning"],"properties":{"#
        + #""multiplier":{"type":"number","minimum":0.8,"maximum":1.2},"reasoning":{"type":"string","maxLength":600}}}}}"#

    /// `Retry-After` in seconds (the HTTP-date form is ignored: it is only a hint).
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0, seconds < 86_400 else { return nil }
        return .milliseconds(Int(seconds * 1000))
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
