public import Foundation
public import Logging
import NIOCore
import SQLiteNIO
import Synchronization

/// Records in an embedded SQLite file (the default when no PostgreSQL is configured), through
/// vapor's sqlite-nio.
///
/// Why sqlite-nio: it bundles its own current SQLite amalgamation (no system library to install, the
/// same SQLite on every machine), runs the blocking sqlite3 calls on NIO's thread pool instead of
/// the cooperative pool (which has only 2 threads here), is Sendable and async throughout, is kept
/// by the same people as postgres-nio (one family of error and data types), and builds on Linux with
/// Swift 6. GRDB is the other well-kept choice but centres on Apple platforms and its own database
/// pool model; SQLite.swift is not available on these machines.
///
/// The file runs in WAL mode with `synchronous = FULL` (a committed batch survives a power cut) and
/// a 5 s busy timeout, so two processes on one file wait for each other instead of failing.
/// One connection per store; its operations run one at a time (``SerialGate``).
public final class SQLiteRecordStore: RecordStore {
    /// Decisions per INSERT statement (34 binds each; SQLite allows 32,766).
    static let chunkSize = 200

    public let path: String
    /// Opened by the first operation (inside the gate), so a store can be built synchronously.
    let connection = Mutex<SQLiteConnection?>(nil)
    let gate = SerialGate()
    let logger: Logger

    /// A store over the file at `path`, opened (and created, with its folder) by the first operation.
    public init(path: String, logger: Logger = Logger(label: "leadgate.records.sqlite")) {
        self.path = path
        self.logger = logger
    }

    /// Opens (creating it and its folder if needed) the database file at `path`.
    public static func open(path: String, logger: Logger = Logger(label: "leadgate.records.sqlite")) async throws -> SQLiteRecordStore {
        let store = SQLiteRecordStore(path: path, logger: logger)
        try await store.withConnection { _ in }
        return store
    }

    /// Closes the connection; a later operation opens it again.
    public func close() async throws {
        try await gate.withLock {
            guard
                let open = connection.withLock({ held in
                    defer { held = nil }; return held
                })
            else { return }
            // Outside this task, so a shutdown by cancellation still closes the file.
            try await Task.detached { try await open.close() }.value
        }
    }

    /// Runs `body` alone on the connection, opening it first if needed.
    func withConnection<T>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await gate.withLock { try await body(try await connected()) }
    }

    /// The open connection (only called inside the gate).
    private func connected() async throws -> SQLiteConnection {
        if let open = connection.withLock({ $0 }) { return open }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let opened = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await opened.query("PRAGMA busy_timeout = 5000")
            _ = try await opened.query("PRAGMA journal_mode = WAL")
            _ = try await opened.query("PRAGMA synchronous = FULL")
        } catch {
            // Closed outside this task: a cancelled task's close fails, and an unclosed connection
            // must not be released.
            await Task.detached { try? await opened.close() }.value
            throw error
        }
        connection.withLock { $0 = opened }
        return opened
    }

    // MARK: Migrations

    @discardableResult
    public func migrate() async throws -> [Int] {
        try await transaction(mode: "EXCLUSIVE") { connection in
            // BEGIN EXCLUSIVE holds the file's write lock: a second process waits (busy timeout),
            // then sees the versions the first one recorded.
            _ = try await connection.query(Schema.migrationsTable)
            let done = Set(try await connection.query("SELECT version FROM schema_migrations").compactMap { $0.column("version")?.integer })
            var applied: [Int] = []
            for migration in Schema.migrations(for: .sqlite) where !done.contains(SQLiteInt64(migration.version)) {
                for statement in migration.statements { _ = try await connection.query(statement) }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, datetime('now'))",
                    [.integer(SQLiteInt64(migration.version)), .text(migration.name)]
                )
                applied.append(migration.version)
            }
            return applied
        }
    }

    // MARK: Decisions

    @discardableResult
    public func insert(decisions: [DecisionRecord]) async throws -> Int {
        guard !decisions.isEmpty else { return 0 }
        return try await transaction { connection in
            var inserted = 0
            var start = 0
            while start < decisions.count {
                let end = min(start + Self.chunkSize, decisions.count)
                let chunk = decisions[start..<end]
                let columns = Schema.decisionColumns
                let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
                let sql =
                    "INSERT INTO decisions (\(columns.joined(separator: ", "))) VALUES "
                    + Array(repeating: row, count: chunk.count).joined(separator: ", ") + " ON CONFLICT (id) DO NOTHING RETURNING id"
                var binds: [SQLiteData] = []
                binds.reserveCapacity(chunk.count * columns.count)
                for record in chunk { binds += record.columnValues.map(\.sqlite) }
                let new = Set(try await connection.query(sql, binds).compactMap { $0.column("id")?.string })
                let fresh = chunk.filter { new.contains($0.id) }
                if !fresh.isEmpty {
                    let scoreRow = "(?, ?, ?, ?, ?, ?, ?, ?)"
                    var scoreBinds: [SQLiteData] = []
                    for record in fresh {
                        scoreBinds += [
                            SQLValue.text(record.id), .text(record.leadID), .int(record.finalScore), .real(record.confidence),
                            .text(record.explanationJSON), .time(record.time), .text(record.model.version), .time(record.expiresAt),
                        ].map(\.sqlite)
                    }
                    _ = try await connection.query(
                        #"INSERT INTO lead_scores (decision_id, lead_id, score, confidence, explanation_json, "timestamp", model_version, expires_at) VALUES "#
                            + Array(repeating: scoreRow, count: fresh.count).joined(separator: ", ") + " ON CONFLICT (decision_id) DO NOTHING",
                        scoreBinds
                    )
                }
                inserted += fresh.count
                start = end
            }
            return inserted
        }
    }

    private static let selectDecision = "SELECT \(Schema.decisionColumns.joined(separator: ", ")) FROM decisions"

    public func decision(id: String) async throws -> DecisionRecord? {
        try await decisions(Self.selectDecision + " WHERE id = ?", [.text(id)]).first
    }

    public func history(leadID: String, since: Date?, until: Date?, cursor: HistoryCursor?, limit: Int) async throws -> HistoryPage {
        let limit = max(1, limit)
        var sql = Self.selectDecision + " WHERE lead_id = ?"
        var binds: [SQLValue] = [.text(leadID)]
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &binds) { _ in "?" }
        if let cursor {
            sql += " AND (decided_at, id) < (?, ?)"
            binds += [.time(cursor.time), .text(cursor.id)]
        }
        sql += " ORDER BY decided_at DESC, id DESC LIMIT ?"
        binds.append(.int(limit + 1))
        let rows = try await decisions(sql, binds.map(\.sqlite))
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { HistoryCursor(time: $0.time, id: $0.id) } : nil
        return HistoryPage(decisions: page, nextCursor: next)
    }

    public func exportPage(since: Date?, until: Date?, after: HistoryCursor?, limit: Int) async throws -> [DecisionRecord] {
        var sql = Self.selectDecision + " WHERE 1"
        var binds: [SQLValue] = []
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &binds) { _ in "?" }
        if let after {
            sql += " AND (decided_at, id) > (?, ?)"
            binds += [.time(after.time), .text(after.id)]
        }
        sql += " ORDER BY decided_at, id LIMIT ?"
        binds.append(.int(max(1, limit)))
        return try await decisions(sql, binds.map(\.sqlite))
    }

    public func countDecisions(since: Date?, until: Date?) async throws -> Int {
        var sql = "SELECT count(*) FROM decisions WHERE 1"
        var binds: [SQLValue] = []
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &binds) { _ in "?" }
        let rows = try await withConnection { connection in try await connection.query(sql, binds.map(\.sqlite)) }
        guard let row = rows.first else { throw RecordsError(.corruptRow, "count query returned no row") }
        let columns = SQLiteColumns(row: row)
        return try columns.required(columns.int(0), 0)
    }

    public func labeledDecisions(modelID: String, since: Date?, until: Date?) async throws -> [LabeledDecision] {
        var sql = LabeledDecision.selectSQL
        var binds: [SQLValue] = [.text(modelID)]
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &binds) { _ in "?" }
        let rows = try await withConnection { connection in try await connection.query(sql, binds.map(\.sqlite)) }
        return LabeledDecision.latestPerDecision(try rows.map { try LabeledDecision(reading: SQLiteColumns(row: $0)) })
    }

    public func insert(performance rows: [PerformanceRow]) async throws {
        guard !rows.isEmpty else { return }
        let placeholders = "(" + Array(repeating: "?", count: Schema.performanceColumns.count).joined(separator: ", ") + ")"
        let sql =
            "INSERT INTO model_performance (\(Schema.performanceColumns.joined(separator: ", "))) VALUES "
            + Array(repeating: placeholders, count: rows.count).joined(separator: ", ")
        let binds = rows.flatMap { $0.columnValues.map(\.sqlite) }
        try await transaction { connection in _ = try await connection.query(sql, binds) }
    }

    public func queue(_ query: QueueQuery) async throws -> [QueueEntry] {
        let (sql, binds) = query.sql(.sqlite) { _ in "?" }
        let rows = try await withConnection { connection in try await connection.query(sql, binds.map(\.sqlite)) }
        return query.entries(try rows.map { try QueueEntry(reading: SQLiteColumns(row: $0)) })
    }

    public func performanceHistory(modelID: String, limit: Int) async throws -> [PerformanceRow] {
        let sql =
            "SELECT \(Schema.performanceColumns.joined(separator: ", ")) FROM model_performance WHERE model_id = ? ORDER BY test_date DESC, id DESC LIMIT ?"
        let rows = try await withConnection { connection in
            try await connection.query(sql, [SQLValue.text(modelID).sqlite, .integer(SQLiteInt64(max(1, limit)))])
        }
        return try rows.map { try PerformanceRow(reading: SQLiteColumns(row: $0)) }
    }

    public func acquireLease(name: String, holder: String, expiresAt: Date, now: Date) async throws -> Bool {
        let binds: [SQLValue] = [.text(name), .text(holder), .time(expiresAt), .time(now)]
        let rows = try await transaction { connection in try await connection.query(Schema.acquireLeaseSQL { _ in "?" }, binds.map(\.sqlite)) }
        return !rows.isEmpty
    }

    public func releaseLease(name: String, holder: String) async throws {
        let binds: [SQLValue] = [.text(name), .text(holder)]
        try await transaction { connection in _ = try await connection.query("DELETE FROM leases WHERE name = ? AND holder = ?", binds.map(\.sqlite))
        }
    }

    /// SQLite's constraint, type-mismatch, too-big and range errors.
    public func rejectsData(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        switch error.reason {
        case .constraint, .mismatch, .tooBig, .range, .constraintCheckFailed, .constraintNotNullFailed, .constraintPrimaryKeyFailed,
            .constraintUniqueFailed, .constraintStrictDataTypeFailed:
            return true
        default:
            return false
        }
    }

    private func decisions(_ sql: String, _ binds: [SQLiteData]) async throws -> [DecisionRecord] {
        let rows = try await withConnection { connection in try await connection.query(sql, binds) }
        return try rows.map { try DecisionRecord(reading: SQLiteColumns(row: $0)) }
    }

    // MARK: Outcomes

    @discardableResult
    public func insert(outcomes: [OutcomeRecord]) async throws -> [OutcomeInsertResult] {
        guard !outcomes.isEmpty else { return [] }
        return try await transaction { connection in
            var results: [OutcomeInsertResult] = []
            for outcome in outcomes {
                let rows = try await connection.query(
                    """
                    INSERT INTO outcomes (lead_id, outcome, value, occurred_at, source, idempotency_key, decision_id) \
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM decisions WHERE lead_id = ?1 AND decided_at <= ?4 \
                    ORDER BY decided_at DESC, id DESC LIMIT 1)) \
                    ON CONFLICT (idempotency_key) DO NOTHING RETURNING decision_id
                    """,
                    [
                        SQLValue.text(outcome.leadID), .text(outcome.outcome), .real(outcome.value), .time(outcome.occurredAt), .text(outcome.source),
                        .text(outcome.idempotencyKey),
                    ].map(\.sqlite)
                )
                if let row = rows.first {
                    results.append(OutcomeInsertResult(isNew: true, linkedDecisionID: row.column("decision_id")?.string))
                } else if let key = outcome.idempotencyKey {
                    let existing = try await connection.query("SELECT decision_id FROM outcomes WHERE idempotency_key = ?", [.text(key)])
                    results.append(OutcomeInsertResult(isNew: false, linkedDecisionID: existing.first?.column("decision_id")?.string))
                }
            }
            return results
        }
    }

    public func outcomes(leadID: String) async throws -> [OutcomeRecord] {
        try await outcomes(where: "lead_id = ?", [.text(leadID)])
    }

    public func outcomes(occurredSince since: Date?) async throws -> [OutcomeRecord] {
        guard let since else { return try await outcomes(where: "1", []) }
        return try await outcomes(where: "occurred_at >= ?", [SQLValue.time(since).sqlite])
    }

    private func outcomes(where condition: String, _ binds: [SQLiteData]) async throws -> [OutcomeRecord] {
        let rows = try await withConnection { connection in
            try await connection.query(
                "SELECT lead_id, outcome, value, occurred_at, source, idempotency_key, decision_id FROM outcomes WHERE \(condition) ORDER BY lead_id, occurred_at, id",
                binds
            )
        }
        return try rows.map { row in
            let columns = SQLiteColumns(row: row)
            return OutcomeRecord(
                leadID: try columns.required(columns.text(0), 0),
                outcome: try columns.required(columns.text(1), 1),
                value: try columns.real(2),
                occurredAt: try columns.required(columns.time(3), 3),
                source: try columns.text(4),
                idempotencyKey: try columns.text(5),
                linkedDecisionID: try columns.text(6)
            )
        }
    }

    // MARK: Counts

    public func counts() async throws -> RecordCounts {
        let rows = try await withConnection { connection in
            try await connection.query(
                """
                SELECT (SELECT count(*) FROM decisions), (SELECT count(*) FROM lead_scores), \
                (SELECT count(*) FROM outcomes), (SELECT count(*) FROM audit_log)
                """
            )
        }
        guard let row = rows.first else { throw RecordsError(.corruptRow, "count query returned no row") }
        let columns = SQLiteColumns(row: row)
        return RecordCounts(
            decisions: try columns.required(columns.int(0), 0),
            leadScores: try columns.required(columns.int(1), 1),
            outcomes: try columns.required(columns.int(2), 2),
            audit: try columns.required(columns.int(3), 3)
        )
    }

    public func duplicateDecisionIDs() async throws -> [String] {
        try await withConnection { connection in
            try await connection.query("SELECT id FROM decisions GROUP BY id HAVING count(*) > 1").compactMap { $0.column("id")?.string }
        }
    }

    // MARK: Plumbing

    /// Runs `body` inside `BEGIN <mode>` … `COMMIT` (rolled back when it throws), alone on the connection.
    func transaction<T>(mode: String = "IMMEDIATE", _ body: (SQLiteConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            _ = try await connection.query("BEGIN \(mode)")
            do {
                let result = try await body(connection)
                _ = try await connection.query("COMMIT")
                return result
            } catch {
                do {
                    _ = try await connection.query("ROLLBACK")
                } catch let rollback {
                    logger.warning("records rollback failed", metadata: ["error": "\(rollback)"])
                }
                throw error
            }
        }
    }
}

extension SQLValue {
    /// The SQLite form: times as INTEGER microseconds since 1970.
    var sqlite: SQLiteData {
        switch self {
        case .text(let text): .text(text)
        case .int(let int): .integer(SQLiteInt64(int))
        case .real(let real): .float(real)
        case .time(let date): .integer(SQLiteInt64(RecordTime.microseconds(date)))
        case .null: .null
        }
    }
}

/// ``ColumnReader`` over a sqlite-nio row.
struct SQLiteColumns: ColumnReader {
    /// Read once: `SQLiteRow.columns` builds a new array on every access.
    let columns: [SQLiteColumn]

    init(row: SQLiteRow) { columns = row.columns }

    private func data(_ index: Int) throws -> SQLiteData {
        guard columns.indices.contains(index) else { throw RecordsError(.corruptRow, "row has no column \(index)") }
        return columns[index].data
    }

    func text(_ index: Int) throws -> String? {
        switch try data(index) {
        case .null: return nil
        case .text(let text): return text
        case let other: throw RecordsError(.corruptRow, "column \(index) holds \(other), not text")
        }
    }

    func int(_ index: Int) throws -> Int? {
        switch try data(index) {
        case .null: return nil
        case .integer(let int): return Int(int)
        case let other: throw RecordsError(.corruptRow, "column \(index) holds \(other), not an integer")
        }
    }

    func real(_ index: Int) throws -> Double? {
        switch try data(index) {
        case .null: return nil
        case .float(let real): return real
        case .integer(let int): return Double(int)
        case let other: throw RecordsError(.corruptRow, "column \(index) holds \(other), not a number")
        }
    }

    func time(_ index: Int) throws -> Date? { try int(index).map { RecordTime.date(microseconds: Int64($0)) } }
}
