/// Who asked for a decision and through which door: kept with every decision the pipeline
/// publishes (the decision record's id, kind and caller).
public struct DecisionContext: Sendable {
    /// The entry point a decision came through.
    public struct Kind: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let score = Kind(rawValue: "score")
        public static let batch = Kind(rawValue: "batch")
        public static let event = Kind(rawValue: "event")
        public static let refresh = Kind(rawValue: "refresh")
        public static let prewarm = Kind(rawValue: "prewarm")
        public static let adapter = Kind(rawValue: "adapter")
        public static let job = Kind(rawValue: "job")
    }

    public var kind: Kind
    /// The request id (`X-Request-Id`); decision ids are `<request id>:<index>`.
    public var requestID: String?
    /// The API key's name or the JWT subject.
    public var caller: String?
    /// When the request arrived, for the decision's total latency.
    public var receivedAt: ContinuousClock.Instant
    /// The position of the first lead published under this context in its request (a bulk prewarm
    /// or a bulk events request publishes each lead on its own, at its position).
    public var index = 0

    public init(kind: Kind = .score, requestID: String? = nil, caller: String? = nil, receivedAt: ContinuousClock.Instant = .now) {
        self.kind = kind
        self.requestID = requestID
        self.caller = caller
        self.receivedAt = receivedAt
    }

    /// The same context for the lead at `index` of the request.
    public func at(_ index: Int) -> DecisionContext {
        var copy = self
        copy.index = index
        return copy
    }
}
