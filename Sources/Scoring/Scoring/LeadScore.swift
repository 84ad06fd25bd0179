/// The model's verdict on one lead, before any LLM adjustment.
public struct LeadScore: Sendable {
    /// One signed reason, folded back to an input field.
    public struct Reason: Sendable, Equatable, Codable {
        public enum Direction: String, Sendable, Codable { case up, down }
        public var field: String
        public var label: String
        public var value: LeadValue
        /// The field's TreeSHAP contribution in log-odds (summed over its model columns).
        public var contribution: Double
        public var direction: Direction
        public var text: String
    }

    /// The contributions of one feature group, for a breakdown bar chart.
    public struct GroupShare: Sendable, Equatable, Codable {
        public var group: String
        public var label: String
        /// The group's summed contribution in log-odds (signed).
        public var contribution: Double
        /// The group's share of all absolute contributions, 0–1.
        public var share: Double
    }

    public var leadID: String
    public var margin: Double
    public var probability: Double
    /// `round(100 × probability)`.
    public var baseScore: Int
    public var baseBadge: Badge
    /// In [0, 1]: `support / (support + half_support)`, see ``LeadScorer``.
    public var confidence: Double
    /// The geometric mean over trees of the training share of the leaves this lead reached.
    public var leafSupport: Double
    /// Empty when explanations were not asked for.
    public var reasons: [Reason]
    public var breakdown: [GroupShare]
    /// Every field's share of the absolute contributions, in manifest order, summing to 1.
    public var importance: [(field: String, share: Double)]
    /// Fields the manifest does not know (reported, not used).
    public var unknownFields: [String]
}
