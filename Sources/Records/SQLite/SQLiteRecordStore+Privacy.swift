public import Foundation
import SQLiteNIO

extension SQLiteRecordStore {
    // MARK: Privacy and retention

    public func erase(leadID: String, mode: EraseMode, actor: String) async throws -> EraseCounts {
        try await transaction { connection in
            var counts: EraseCounts
            let lead = SQLiteData.text(leadID)
            switch mode {
            case .delete:
                counts = EraseCounts(
                    decisions: 0,
                    leadScores: try await connection.query("DELETE FROM lead_scores WHERE lead_id = ? RETURNING 1", [lead]).count,
                    outcomes: try await connection.query("DELETE FROM outcomes WHERE lead_id = ? RETURNING 1", [lead]).count
                )
                counts.decisions = try await connection.query("DELETE FROM decisions WHERE lead_id = ? RETURNING 1", [lead]).count
            case .pseudonymise:
                let pseudonym = AuditDetail.pseudonym()
                let binds: [SQLiteData] = [.text(pseudonym), lead]
                counts = EraseCounts(
                    decisions: try await connection.query(
                        """
                        UPDATE decisions SET lead_id = ?, input_json = '{}', unknown_fields_json = '[]', llm_reasoning = NULL, \
                        llm_raw_answer = NULL WHERE lead_id = ? RETURNING 1
                        """,
                        binds
                    ).count,
                    leadScores: try await connection.query("UPDATE lead_scores SET lead_id = ? WHERE lead_id = ? RETURNING 1", binds).count,
                    outcomes: try await connection.query(
                        "UPDATE outcomes SET lead_id = ?, idempotency_key = NULL WHERE lead_id = ? RETURNING 1",
                        binds
                    ).count,
                    pseudonym: pseudonym
                )
            }
            let entry = AuditEntry(
                time: Date(),
                actor: actor,
                action: "lead.erase",
                target: counts.pseudonym ?? "lead",
                detailJSON: AuditDetail.erase(mode: mode, counts: counts)
            )
            try await Self.append(connection, [entry])
            return counts
        }
    }

    public func purge(olderThan cutoff: Date, actor: String) async throws -> PurgeCounts {
        try await transaction { connection in
            let time = SQLValue.time(cutoff).sqlite
            let counts = PurgeCounts(
                decisions: try await connection.query("DELETE FROM decisions WHERE decided_at < ? RETURNING 1", [time]).count,
                leadScores: try await connection.query(#"DELETE FROM lead_scores WHERE "timestamp" < ? RETURNING 1"#, [time]).count,
                outcomes: try await connection.query("DELETE FROM outcomes WHERE occurred_at < ? RETURNING 1", [time]).count
            )
            let entry = AuditEntry(
                time: Date(),
                actor: actor,
                action: "records.purge",
                target: "records",
                detailJSON: AuditDetail.purge(cutoff: cutoff, counts: counts)
            )
            try await Self.append(connection, [entry])
            return counts
        }
    }

    // MARK: Audit

    public func append(audit entries: [AuditEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await transaction { connection in try await Self.append(connection, entries) }
    }

    static func append(_ connection: SQLiteConnection, _ entries: [AuditEntry]) async throws {
        let sql =
            "INSERT INTO audit_log (at, actor, action, target, detail_json) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?)", count: entries.count).joined(separator: ", ")
        let binds = entries.flatMap { entry in
            [SQLValue.time(entry.time), .text(entry.actor), .text(entry.action), .text(entry.target), .text(entry.detailJSON)].map(\.sqlite)
        }
        _ = try await connection.query(sql, binds)
    }

    public func auditEntries(since: Date?, limit: Int) async throws -> [AuditEntry] {
        let rows = try await withConnection { connection in
            try await connection.query(
                "SELECT at, actor, action, target, detail_json FROM audit_log WHERE at >= ? ORDER BY at, id LIMIT ?",
                [SQLValue.time(since ?? Date(timeIntervalSince1970: 0)).sqlite, .integer(SQLiteInt64(max(1, limit)))]
            )
        }
        return try rows.map { row in
            let columns = SQLiteColumns(row: row)
            return AuditEntry(
                time: try columns.required(columns.time(0), 0),
                actor: try columns.required(columns.text(1), 1),
                action: try columns.required(columns.text(2), 2),
                target: try columns.required(columns.text(3), 3),
                detailJSON: try columns.required(columns.text(4), 4)
            )
        }
    }
}
