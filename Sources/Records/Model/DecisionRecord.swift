public import Foundation

/// One scoring decision, exactly as it was made: what came in, what the model and the LLM step said,
/// and what was answered. Records are append-only; the store never updates one (except to erase it).
///
/// Times are kept to whole microseconds (``RecordTime/normalized(_:)``), the precision both backends
/// store, so a record read back compares equal to the one written.
public struct DecisionRecord: Sendable, Hashable {
    /// The entry point that produced the decision.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case single, batch, event, refresh, prewarm, adapter, job
    }

    /// The model that produced the base score.
    public struct Model: Sendable, Hashable {
        public var id: String
        public var version: String
        /// The registry role that served the request, e.g. `champion`, `challenger`, `fallback`.
        public var role: String

        public init(id: String, version: String, role: String) {
            self.id = id
            self.version = version
            self.role = role
        }
    }

    /// Token counts reported by the LLM.
    public struct Tokens: Sendable, Hashable {
        public var prompt: Int
        public var completion: Int

        public init(prompt: Int, completion: Int) {
            self.prompt = prompt
            self.completion = completion
        }
    }

    /// The LLM adjustment step: what happened, and if it answered, what it said.
    public struct LLMStep: Sendable, Hashable {
        /// The most raw-answer bytes (UTF-8) kept; longer answers are cut at a character boundary.
        public static let rawAnswerLimit = 4096

        /// `accepted`, `cached` or `fallback` (the gateway's vocabulary; stored as given).
        public var status: String
        /// The reason code (`disabled`, `timeout`, `schema`, ...), or nil when accepted.
        public var reason: String?
        public var multiplier: Double?
        public var reasoning: String?
        public var promptID: String?
        public var promptVersion: String?
        public var promptHash: String?
        public var model: String?
        /// The LLM's answer as received, at most ``rawAnswerLimit`` bytes of UTF-8.
        public private(set) var rawAnswer: String?
        public var latencyMilliseconds: Double?
        public var tokens: Tokens?

        public init(
            status: String,
            reason: String? = nil,
            multiplier: Double? = nil,
            reasoning: String? = nil,
            promptID: String? = nil,
            promptVersion: String? = nil,
            promptHash: String? = nil,
            model: String? = nil,
            rawAnswer: String? = nil,
            latencyMilliseconds: Double? = nil,
            tokens: Tokens? = nil
        ) {
            self.status = status
            self.reason = reason
            self.multiplier = multiplier
            self.reasoning = reasoning
            self.promptID = promptID
            self.promptVersion = promptVersion
            self.promptHash = promptHash
            self.model = model
            self.rawAnswer = rawAnswer.map(Self.bounded)
            self.latencyMilliseconds = latencyMilliseconds
            self.tokens = tokens
        }

        /// Sets the raw answer, bounded to ``rawAnswerLimit`` bytes.
        public mutating func setRawAnswer(_ answer: String?) { rawAnswer = answer.map(Self.bounded) }

        /// `text` cut to at most ``rawAnswerLimit`` bytes of UTF-8, never inside a character.
        static func bounded(_ text: String) -> String {
            guard text.utf8.count > rawAnswerLimit else { return text }
            var end = text.utf8.index(text.utf8.startIndex, offsetBy: rawAnswerLimit)
            // Step back to the start of a Unicode scalar, so the prefix is valid UTF-8.
            while end > text.utf8.startIndex, end.samePosition(in: text.unicodeScalars) == nil {
                end = text.utf8.index(before: end)
            }
            return String(text[..<end])
        }
    }

    /// `requestID:index`: unique per decision, the primary key everywhere, so a replayed record is a no-op.
    public var id: String { Self.id(requestID: requestID, index: index) }
    /// The gateway request id (one request can score many leads).
    public var requestID: String
    /// The position of this lead in its request (0 for single scores).
    public var index: Int
    public var leadID: String
    /// When the decision was made (microsecond precision).
    public var time: Date {
        get { storedTime }
        set { storedTime = RecordTime.normalized(newValue) }
    }
    private var storedTime: Date
    public var kind: Kind
    /// The API key name or JWT `sub` of the caller; nil for background work.
    public var caller: String?
    /// The gateway instance (host name or configured id) that decided.
    public var gatewayInstance: String
    public var model: Model
    /// The lead JSON as received, after validation.
    public var inputJSON: String
    /// Names of the input fields the model did not know.
    public var unknownFields: [String]
    public var probability: Double
    public var baseScore: Int
    public var finalScore: Int
    public var baseBadge: String
    public var finalBadge: String
    public var confidence: Double
    /// The `explanation_json` document (feature importance, final score, confidence, reasons).
    public var explanationJSON: String
    public var llm: LLMStep
    /// End-to-end latency of the decision in the gateway.
    public var totalLatencyMilliseconds: Double
    /// When the live score of this decision expires (its TTL), if it has one.
    public var expiresAt: Date? {
        get { storedExpiresAt }
        set { storedExpiresAt = newValue.map(RecordTime.normalized) }
    }
    private var storedExpiresAt: Date?

    public init(
        requestID: String,
        index: Int,
        leadID: String,
        time: Date,
        kind: Kind,
        caller: String?,
        gatewayInstance: String,
        model: Model,
        inputJSON: String,
        unknownFields: [String] = [],
        probability: Double,
        baseScore: Int,
        finalScore: Int,
        baseBadge: String,
        finalBadge: String,
        confidence: Double,
        explanationJSON: String,
        llm: LLMStep,
        totalLatencyMilliseconds: Double,
        expiresAt: Date? = nil
    ) {
        self.requestID = requestID
        self.index = index
        self.leadID = leadID
        self.storedTime = RecordTime.normalized(time)
        self.kind = kind
        self.caller = caller
        self.gatewayInstance = gatewayInstance
        self.model = model
        self.inputJSON = inputJSON
        self.unknownFields = unknownFields
        self.probability = probability
        self.baseScore = baseScore
        self.finalScore = finalScore
        self.baseBadge = baseBadge
        self.finalBadge = finalBadge
        self.confidence = confidence
        self.explanationJSON = explanationJSON
        self.llm = llm
        self.totalLatencyMilliseconds = totalLatencyMilliseconds
        self.storedExpiresAt = expiresAt.map(RecordTime.normalized)
    }

    /// The record id of the `index`-th decision of request `requestID`.
    public static func id(requestID: String, index: Int) -> String { "\(requestID):\(index)" }
}
