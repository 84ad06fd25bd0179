import Foundation
import JSON

/// A backend-neutral value for one column, which each store binds in its own way.
enum SQLValue: Sendable {
    case text(String)
    case int(Int)
    case real(Double)
    case time(Date)
    case null

    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func int(_ value: Int?) -> SQLValue { value.map { .int($0) } ?? .null }
    static func real(_ value: Double?) -> SQLValue { value.map { .real($0) } ?? .null }
    static func time(_ value: Date?) -> SQLValue { value.map { .time($0) } ?? .null }
}

/// Reads the columns of one result row by position; each backend implements it over its row type.
protocol ColumnReader {
    func text(_ index: Int) throws -> String?
    func int(_ index: Int) throws -> Int?
    func real(_ index: Int) throws -> Double?
    func time(_ index: Int) throws -> Date?
}

extension ColumnReader {
    func required<T>(_ value: T?, _ index: Int) throws -> T {
        guard let value else {
            throw RecordsError(
                .corruptRow, "column \(Schema.decisionColumns.indices.contains(index) ? Schema.decisionColumns[index] : "\(index)") is NULL")
        }
        return value
    }
}

extension DecisionRecord {
    /// The values of ``Schema/decisionColumns``, in order.
    /// The `lead_scores` row of the decision, in ``PostgresRecordStore/leadScoreColumns`` order.
    var leadScoreValues: [SQLValue] {
        [.text(id), .text(leadID), .int(finalScore), .real(confidence), .text(explanationJSON), .time(time), .text(model.version), .time(expiresAt)]
    }

    var columnValues: [SQLValue] {
        [
            .text(id), .text(requestID), .int(index), .text(leadID), .time(time), .text(kind.rawValue), .text(caller), .text(gatewayInstance),
            .text(model.id), .text(model.version), .text(model.role), .text(inputJSON), .text(Self.encode(unknownFields)), .real(probability),
            .int(baseScore), .int(finalScore), .text(baseBadge), .text(finalBadge), .real(confidence), .text(explanationJSON),
            .text(llm.status), .text(llm.reason), .real(llm.multiplier), .text(llm.reasoning), .text(llm.promptID), .text(llm.promptVersion),
            .text(llm.promptHash), .text(llm.model), .text(llm.rawAnswer), .real(llm.latencyMilliseconds), .int(llm.tokens?.prompt),
            .int(llm.tokens?.completion), .real(totalLatencyMilliseconds), .time(expiresAt),
        ]
    }

    /// A record from a row whose columns are ``Schema/decisionColumns`` in order.
    init(reading row: some ColumnReader) throws {
        let kindText = try row.required(row.text(5), 5)
        guard let kind = Kind(rawValue: kindText) else { throw RecordsError(.corruptRow, "unknown decision kind '\(kindText)'") }
        var tokens: Tokens?
        if let prompt = try row.int(30), let completion = try row.int(31) { tokens = Tokens(prompt: prompt, completion: completion) }
        self.init(
            requestID: try row.required(row.text(1), 1),
            index: try row.required(row.int(2), 2),
            leadID: try row.required(row.text(3), 3),
            time: try row.required(row.time(4), 4),
            kind: kind,
            caller: try row.text(6),
            gatewayInstance: try row.required(row.text(7), 7),
            model: Model(id: try row.required(row.text(8), 8), version: try row.required(row.text(9), 9), role: try row.required(row.text(10), 10)),
            inputJSON: try row.required(row.text(11), 11),
            unknownFields: try Self.decodeFields(row.required(row.text(12), 12)),
            probability: try row.required(row.real(13), 13),
            baseScore: try row.required(row.int(14), 14),
            finalScore: try row.required(row.int(15), 15),
            baseBadge: try row.required(row.text(16), 16),
            finalBadge: try row.required(row.text(17), 17),
            confidence: try row.required(row.real(18), 18),
            explanationJSON: try row.required(row.text(19), 19),
            llm: LLMStep(
                status: try row.required(row.text(20), 20),
                reason: try row.text(21),
                multiplier: try row.real(22),
                reasoning: try row.text(23),
                promptID: try row.text(24),
                promptVersion: try row.text(25),
                promptHash: try row.text(26),
                model: try row.text(27),
                rawAnswer: try row.text(28),
                latencyMilliseconds: try row.real(29),
                tokens: tokens
            ),
            totalLatencyMilliseconds: try row.required(row.real(32), 32),
            expiresAt: try row.time(33)
        )
    }

    static func encode(_ fields: [String]) -> String {
        var writer = JSONWriter(capacity: 16 * fields.count + 2)
        writer.beginArray()
        for field in fields { writer.string(field) }
        writer.endArray()
        return writer.text
    }

    static func decodeFields(_ json: String) throws -> [String] {
        guard case .array(let items) = try JSONReader.parse(bytes: Array(json.utf8)) else {
            throw RecordsError(.corruptRow, "unknown_fields_json is not a list")
        }
        return try items.map { item in
            guard let name = item.string else { throw RecordsError(.corruptRow, "unknown_fields_json holds \(item.typeName)") }
            return name
        }
    }
}

/// Audit detail JSON for erase and purge: counts and modes only, never personal data.
enum AuditDetail {
    static func erase(mode: EraseMode, counts: EraseCounts) -> String {
        var writer = JSONWriter(capacity: 128)
        writer.beginObject()
        writer.field("mode", mode.rawValue)
        writer.field("decisions", counts.decisions)
        writer.field("lead_scores", counts.leadScores)
        writer.field("outcomes", counts.outcomes)
        if let pseudonym = counts.pseudonym { writer.field("pseudonym", pseudonym) }
        writer.endObject()
        return writer.text
    }

    static func purge(cutoff: Date, counts: PurgeCounts) -> String {
        var writer = JSONWriter(capacity: 128)
        writer.beginObject()
        writer.field("older_than", ISO8601DateFormatter().string(from: cutoff))
        writer.field("decisions", counts.decisions)
        writer.field("lead_scores", counts.leadScores)
        writer.field("outcomes", counts.outcomes)
        writer.endObject()
        return writer.text
    }

    /// A fresh pseudonym for an erased lead: random, so it says nothing about the lead.
    static func pseudonym() -> String { "pseudonym-" + UUID().uuidString.lowercased() }
}

extension SQLValue {
    /// Appends ` AND decided_at >= since AND decided_at < until` (for the bounds given) to `sql` and
    /// their values to `binds`; `placeholder(n)` spells the n-th bind (`$n` or `?`).
    static func appendTimeRange(
        since: Date?, until: Date?, to sql: inout String, binds: inout [SQLValue], placeholder: (Int) -> String
    ) {
        if let since {
            binds.append(.time(since))
            sql += " AND decided_at >= \(placeholder(binds.count))"
        }
        if let until {
            binds.append(.time(until))
            sql += " AND decided_at < \(placeholder(binds.count))"
        }
    }
}
