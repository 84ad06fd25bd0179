public import Foundation

/// What a work queue asks for: each lead's latest decision in a window, filtered, hottest first.
public struct QueueQuery: Sendable, Hashable {
    /// Only leads whose latest decision was made at or after this time.
    public var since: Date
    /// Only leads whose latest decision was made before this time (a "stale" queue); nil: any.
    public var decidedBefore: Date?
    /// Only leads whose latest decision was made at or after this time (a "fresh" queue); nil: any.
    public var decidedAfter: Date?
    /// The final badge (`Hot`, `Warm`, `Cold`); nil: any.
    public var badge: String?
    /// The model id; nil: any.
    public var modelID: String?
    /// The input's `lead_source` (or `source`) value; nil: any.
    public var source: String?
    /// Leads by their latest outcome: `.open` keeps the ones with none yet.
    public var outcome: OutcomeFilter
    public var limit: Int

    public enum OutcomeFilter: Sendable, Hashable {
        case any
        /// Leads with no outcome recorded.
        case open
        /// Leads whose latest outcome is this one.
        case latest(String)
    }

    public init(
        since: Date, decidedBefore: Date? = nil, decidedAfter: Date? = nil, badge: String? = nil, modelID: String? = nil, source: String? = nil,
        outcome: OutcomeFilter = .any, limit: Int = 100
    ) {
        self.since = since
        self.decidedBefore = decidedBefore
        self.decidedAfter = decidedAfter
        self.badge = badge
        self.modelID = modelID
        self.source = source
        self.outcome = outcome
        self.limit = limit
    }
}

/// One lead in a work queue: its latest decision, the lead's source and latest outcome.
public struct QueueEntry: Sendable, Hashable {
    public var leadID: String
    public var decisionID: String
    public var time: Date
    public var kind: String
    public var modelID: String
    public var modelVersion: String
    public var finalScore: Int
    public var baseScore: Int
    public var finalBadge: String
    public var confidence: Double
    public var llmStatus: String
    public var llmMultiplier: Double?
    public var source: String?
    public var outcome: String?
    public var outcomeAt: Date?

    init(reading row: some ColumnReader) throws {
        leadID = try row.required(row.text(0), 0)
        decisionID = try row.required(row.text(1), 1)
        time = try row.required(row.time(2), 2)
        kind = try row.required(row.text(3), 3)
        modelID = try row.required(row.text(4), 4)
        modelVersion = try row.required(row.text(5), 5)
        finalScore = try row.required(row.int(6), 6)
        baseScore = try row.required(row.int(7), 7)
        finalBadge = try row.required(row.text(8), 8)
        confidence = try row.required(row.real(9), 9)
        llmStatus = try row.required(row.text(10), 10)
        llmMultiplier = try row.real(11)
        source = try row.text(12)
        outcome = try row.text(13)
        outcomeAt = try row.time(14)
    }
}

extension QueueQuery {
    /// The query in `dialect`, with its binds; `p` numbers the placeholders. Each lead's latest
    /// decision comes from the (lead_id, decided_at, id) index; a tie at the same instant keeps both
    /// rows here, and the store keeps the first of a lead. Pseudonymised (erased) leads are left out.
    func sql(_ dialect: Schema.Dialect, _ p: (Int) -> String) -> (String, [SQLValue]) {
        var binds: [SQLValue] = [.time(since)]
        let source =
            dialect == .postgres
            ? "COALESCE(d.input_json->>'lead_source', d.input_json->>'source')"
            : "COALESCE(json_extract(d.input_json, '$.lead_source'), json_extract(d.input_json, '$.source'))"
        let latestOutcome = "(SELECT o.outcome FROM outcomes o WHERE o.lead_id = d.lead_id ORDER BY o.occurred_at DESC, o.id DESC LIMIT 1)"
        let outcomeAt = "(SELECT max(o.occurred_at) FROM outcomes o WHERE o.lead_id = d.lead_id)"
        var sql = """
            SELECT d.lead_id, d.id, d.decided_at, d.kind, d.model_id, d.model_version, d.final_score, d.base_score, d.final_badge, \
            d.confidence, d.llm_status, d.llm_multiplier, \(source) AS source, \(latestOutcome) AS outcome, \(outcomeAt) AS outcome_at \
            FROM decisions d JOIN (SELECT lead_id, max(decided_at) AS at FROM decisions WHERE decided_at >= \(p(1)) \
            AND lead_id NOT LIKE 'pseudonym-%' GROUP BY lead_id) latest ON latest.lead_id = d.lead_id AND latest.at = d.decided_at \
            WHERE TRUE
            """
        func bind(_ value: SQLValue, _ clause: (String) -> String) {
            binds.append(value)
            sql += " AND " + clause(p(binds.count))
        }
        if let decidedBefore { bind(.time(decidedBefore)) { "d.decided_at < \($0)" } }
        if let decidedAfter { bind(.time(decidedAfter)) { "d.decided_at >= \($0)" } }
        if let badge { bind(.text(badge)) { "d.final_badge = \($0)" } }
        if let modelID { bind(.text(modelID)) { "d.model_id = \($0)" } }
        if let sourceValue = self.source { bind(.text(sourceValue)) { "\(source) = \($0)" } }
        switch outcome {
        case .any: break
        case .open: sql += " AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.lead_id = d.lead_id)"
        case .latest(let value): bind(.text(value)) { "\(latestOutcome) = \($0)" }
        }
        binds.append(.int(max(1, limit) * 2))
        sql += " ORDER BY d.final_score DESC, d.decided_at DESC, d.lead_id LIMIT \(p(binds.count))"
        return (sql, binds)
    }

    /// The rows a store read, one per lead (the first of a tie), at most `limit`.
    func entries(_ rows: [QueueEntry]) -> [QueueEntry] {
        var seen = Set<String>()
        var kept: [QueueEntry] = []
        for row in rows where seen.insert(row.leadID).inserted {
            kept.append(row)
            if kept.count == limit { break }
        }
        return kept
    }
}
