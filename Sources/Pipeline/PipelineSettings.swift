/// What the scoring pipeline needs to know of the configuration (the gateway fills it from
/// `config/leadgate.yaml`; the command line and tests build it directly).
public struct PipelineSettings: Sendable {
    /// The whole LLM step's budget, counted from the request's arrival (`llm.timeout_ms`).
    public var llmTimeout: Duration = .milliseconds(500)
    /// Kept off the budget for the work after a late call (`llm.deadline_margin_ms`).
    public var llmDeadlineMargin: Duration = .milliseconds(15)
    /// The cache lookup before an LLM call, inside the budget (`redis.lookup_timeout_ms`).
    public var lookupTimeout: Duration = .milliseconds(20)
    /// Live-score reads and event-log round trips (`redis.read_timeout_ms`).
    public var readTimeout: Duration = .milliseconds(100)
    /// One LLM call across gateways for identical leads (`redis.lock`).
    public var crossGatewayLock = false
    /// Threads for batch scoring; 0 = one per core (`scoring.batch_threads`).
    public var batchThreads = 0
    public var maxLeadIDChars = 128
    public var maxNotesChars = 4_000
    /// Fields the model does not know are refused instead of reported (`limits.unknown_fields: reject`).
    public var rejectUnknownFields = false
    /// A live score older than this is stale (`live_scores.stale_after_s`).
    public var staleAfter: Duration = .seconds(3_600)
    /// How long a live score lives (`live_scores.ttl_s`): a decision's `expires_at`.
    public var liveTTL: Duration = .seconds(7 * 86_400)
    /// This gateway's name in decision records (`records.instance`, else the host name).
    public var gatewayInstance = "leadgate"
    /// A lead without `consent: true` is refused (`privacy.require_consent`).
    public var requireConsent = false
    /// Keep the LLM's answer as received in the outcome (for the decision record).
    public var keepRawAnswers = false

    public init() {}
}
