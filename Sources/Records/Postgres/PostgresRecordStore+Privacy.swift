public import Foundation
import Logging
import PostgresNIO

extension PostgresRecordStore {
    // MARK: Privacy and retention

    public func erase(leadID: String, mode: EraseMode, actor: String) async throws -> EraseCounts {
        try await timed("erase lead") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                var counts: EraseCounts
                switch mode {
                case .delete:
                    counts = EraseCounts(
                        decisions: 0,
                        leadScores: try await Self.count(
                            connection, "WITH x AS (DELETE FROM lead_scores WHERE lead_id = $1 RETURNING 1)", leadID, logger),
                        outcomes: try await Self.count(connection, "WITH x AS (DELETE FROM outcomes WHERE lead_id = $1 RETURNING 1)", leadID, logger)
                    )
                    counts.decisions = try await Self.count(
                        connection, "WITH x AS (DELETE FROM decisions WHERE lead_id = $1 RETURNING 1)", leadID, logger)
                case .pseudonymise:
                    let pseudonym = AuditDetail.pseudonym()
                    counts = EraseCounts(decisions: 0, leadScores: 0, outcomes: 0, pseudonym: pseudonym)
                    counts.decisions = try await Self.count(
                        connection,
                        """
                        WITH x AS (UPDATE decisions SET lead_id = $2, input_json = '{}', unknown_fields_json = '[]', \
                        llm_reasoning = NULL, llm_raw_answer = NULL WHERE lead_id = $1 RETURNING 1)
                        """,
                        leadID,
                        logger,
                        pseudonym
                    )
                    counts.leadScores = try await Self.count(
                        connection,
                        "WITH x AS (UPDATE lead_scores SET lead_id = $2 WHERE lead_id = $1 RETURNING 1)",
                        leadID,
                        logger,
                        pseudonym
                    )
                    counts.outcomes = try await Self.count(
                        connection,
                        "WITH x AS (UPDATE outcomes SET lead_id = $2, idempotency_key = NULL WHERE lead_id = $1 RETURNING 1)",
                        leadID,
                        logger,
                        pseudonym
                    )
                }
                let entry = AuditEntry(
                    time: Date(),
                    actor: actor,
                    action: "lead.erase",
                    target: counts.pseudonym ?? "lead",
                    detailJSON: AuditDetail.erase(mode: mode, counts: counts)
                )
                try await Self.append(connection, [entry], logger)
                return counts
            }
        }
    }

    public func purge(olderThan cutoff: Date, actor: String) async throws -> PurgeCounts {
        try await timed("purge records") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                let counts = PurgeCounts(
                    decisions: try await Self.count(
                        connection, "WITH x AS (DELETE FROM decisions WHERE decided_at < $1 RETURNING 1)", cutoff, logger),
                    leadScores: try await Self.count(
                        connection, #"WITH x AS (DELETE FROM lead_scores WHERE "timestamp" < $1 RETURNING 1)"#, cutoff, logger),
                    outcomes: try await Self.count(connection, "WITH x AS (DELETE FROM outcomes WHERE occurred_at < $1 RETURNING 1)", cutoff, logger)
                )
                let entry = AuditEntry(
                    time: Date(),
                    actor: actor,
                    action: "records.purge",
                    target: "records",
                    detailJSON: AuditDetail.purge(cutoff: cutoff, counts: counts)
                )
                try await Self.append(connection, [entry], logger)
                return counts
            }
        }
    }

    /// Runs `cte` (a `WITH x AS (… RETURNING 1)`) and returns how many rows it touched.
    static func count(
        _ connection: PostgresConnection,
        _ cte: String,
        _ first: some PostgresDynamicTypeEncodable,
        _ logger: Logger,
        _ second: String? = nil
    ) async throws -> Int {
        var binds = PostgresBindings()
        binds.append(first)
        if let second { binds.append(second) }
        var count = 0
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: cte + " SELECT count(*) FROM x", binds: binds), logger: logger)
            .decode(Int.self)
        {
            count = value
        }
        return count
    }

    // MARK: Audit

    public func append(audit entries: [AuditEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await timed("append audit") { client, logger in
            try await client.withConnection { connection in try await Self.append(connection, entries, logger) }
        }
    }

    static func append(_ connection: PostgresConnection, _ entries: [AuditEntry], _ logger: Logger) async throws {
        var sql = "INSERT INTO audit_log (at, actor, action, target, detail_json) VALUES "
        var values: [SQLValue] = []
        for (row, entry) in entries.enumerated() {
            let base = row * 5
            sql += (row == 0 ? "" : ", ") + "($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5)::json)"
            values += [.time(entry.time), .text(entry.actor), .text(entry.action), .text(entry.target), .text(entry.detailJSON)]
        }
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds(values)), logger: logger)
    }

    public func auditEntries(since: Date?, limit: Int) async throws -> [AuditEntry] {
        let query = PostgresQuery(
            unsafeSQL: "SELECT at, actor, action, target, detail_json FROM audit_log WHERE at >= $1 ORDER BY at, id LIMIT $2",
            binds: Self.binds([.time(since ?? Date(timeIntervalSince1970: 0)), .int(max(1, limit))])
        )
        return try await timed("read audit") { client, logger in
            var entries: [AuditEntry] = []
            for try await (at, actor, action, target, detail) in try await client.query(query, logger: logger).decode(
                (Date, String, String, String, String).self
            ) {
                entries.append(AuditEntry(time: at, actor: actor, action: action, target: target, detailJSON: detail))
            }
            return entries
        }
    }
}
