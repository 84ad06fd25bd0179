/// Why the LLM step did not adjust a score (ARCHITECTURE §3). Every fallback carries one.
public enum ReasonCode: String, Sendable, CaseIterable, Codable {
    /// No LLM is configured.
    case disabled
    /// The request asked for no rerank.
    case skipped
    /// The budget ran out.
    case timeout
    /// No connection to the LLM endpoint.
    case connectError = "connect_error"
    /// HTTP 429.
    case rateLimited = "rate_limited"
    /// HTTP 5xx.
    case upstreamError = "upstream_error"
    /// HTTP 4xx other than 429 (bad key, bad model, bad request).
    case clientError = "client_error"
    /// `finish_reason` was `length`: the answer was cut.
    case truncated
    /// `finish_reason` was `content_filter`.
    case contentFilter = "content_filter"
    /// The model refused (a `refusal` field, or no content).
    case refusal
    /// The content is not JSON.
    case invalidJSON = "invalid_json"
    /// The JSON is not exactly `{"multiplier": number, "reasoning": string}` within bounds.
    case schema
    /// The multiplier is outside 0.8–1.2 (rejected, not clamped).
    case outOfRange = "out_of_range"
    /// The circuit breaker is open: no call was made.
    case breakerOpen = "breaker_open"
    /// Too many calls in flight: no call was made.
    case shed
}

/// An accepted LLM answer.
public struct Adjustment: Sendable, Equatable {
    /// In [0.8, 1.2].
    public var multiplier: Double
    /// Untrusted text, length-capped; shown, never interpreted.
    public var reasoning: String

    public init(multiplier: Double, reasoning: String) {
        self.multiplier = multiplier
        self.reasoning = reasoning
    }
}

/// Token counts when the server reports them.
public struct TokenUsage: Sendable, Equatable {
    public var prompt: Int
    public var completion: Int

    public init(prompt: Int, completion: Int) {
        self.prompt = prompt
        self.completion = completion
    }
}

/// What the LLM step produced for one lead.
public struct RerankOutcome: Sendable {
    public enum Result: Sendable, Equatable {
        case applied(Adjustment)
        case fallback(ReasonCode, detail: String)
    }

    public var result: Result
    /// From the start of the step to its end (0 when no call was made).
    public var latency: Duration
    public var usage: TokenUsage?
    /// The answer came from the cache of accepted answers, not from a call.
    public var cached = false
    /// The answer came from an identical call already in flight (single-flight), not from a call of its own.
    public var shared = false
    /// The reply as received, when the caller asked to keep it (dry runs).
    public var raw: Raw?

    public struct Raw: Sendable {
        public var status: Int
        /// The body, cut at 16 KiB.
        public var body: String
    }

    public init(result: Result, latency: Duration = .zero, usage: TokenUsage? = nil) {
        self.result = result
        self.latency = latency
        self.usage = usage
    }

    public static func fallback(_ code: ReasonCode, _ detail: String, latency: Duration = .zero) -> RerankOutcome {
        RerankOutcome(result: .fallback(code, detail: detail), latency: latency)
    }
}
