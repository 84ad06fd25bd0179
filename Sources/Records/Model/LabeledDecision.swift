public import Foundation

/// A decision together with what became of the lead: one row of the live-performance join
/// (`outcomes.decision_id = decisions.id`), the latest outcome per decision.
public struct LabeledDecision: Sendable, Hashable {
    public var decisionID: String
    public var leadID: String
    public var decidedAt: Date
    public var modelID: String
    public var modelVersion: String
    /// `id@version` of the prompt the LLM step used, when it ran.
    public var prompt: String?
    public var llmStatus: String
    public var probability: Double
    public var baseScore: Int
    public var finalScore: Int
    public var baseBadge: String
    public var finalBadge: String
    public var outcome: String
    public var occurredAt: Date

    public init(
        decisionID: String, leadID: String, decidedAt: Date, modelID: String, modelVersion: String, prompt: String?, llmStatus: String,
        probability: Double, baseScore: Int, finalScore: Int, baseBadge: String, finalBadge: String, outcome: String, occurredAt: Date
    ) {
        self.decisionID = decisionID
        self.leadID = leadID
        self.decidedAt = decidedAt
        self.modelID = modelID
        self.modelVersion = modelVersion
        self.prompt = prompt
        self.llmStatus = llmStatus
        self.probability = probability
        self.baseScore = baseScore
        self.finalScore = finalScore
        self.baseBadge = baseBadge
        self.finalBadge = finalBadge
        self.outcome = outcome
        self.occurredAt = occurredAt
    }
}

extension LabeledDecision {
    /// The join both stores run; `?` placeholders are rewritten by the PostgreSQL store.
    static let selectSQL = """
        SELECT d.id, d.lead_id, d.decided_at, d.model_id, d.model_version, d.prompt_id, d.prompt_version, d.llm_status, \
        d.probability, d.base_score, d.final_score, d.base_badge, d.final_badge, o.outcome, o.occurred_at \
        FROM outcomes o JOIN decisions d ON d.id = o.decision_id WHERE d.model_id = ?
        """

    init(reading row: some ColumnReader) throws {
        let promptID = try row.text(5)
        let promptVersion = try row.text(6)
        self.init(
            decisionID: try row.required(row.text(0), 0), leadID: try row.required(row.text(1), 1), decidedAt: try row.required(row.time(2), 2),
            modelID: try row.required(row.text(3), 3), modelVersion: try row.required(row.text(4), 4),
            prompt: promptID.map { id in promptVersion.map { "\(id)@\($0)" } ?? id }, llmStatus: try row.required(row.text(7), 7),
            probability: try row.required(row.real(8), 8), baseScore: try row.required(row.int(9), 9), finalScore: try row.required(row.int(10), 10),
            baseBadge: try row.required(row.text(11), 11), finalBadge: try row.required(row.text(12), 12),
            outcome: try row.required(row.text(13), 13),
            occurredAt: try row.required(row.time(14), 14))
    }

    /// One row per decision: the latest of its outcomes.
    static func latestPerDecision(_ rows: [LabeledDecision]) -> [LabeledDecision] {
        var latest: [String: LabeledDecision] = [:]
        for row in rows where latest[row.decisionID].map({ $0.occurredAt <= row.occurredAt }) ?? true { latest[row.decisionID] = row }
        return latest.values.sorted { ($0.decidedAt, $0.decisionID) < ($1.decidedAt, $1.decisionID) }
    }
}
