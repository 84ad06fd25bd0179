public import Foundation
public import Logging
import NIOSSL
import PostgresNIO
public import ServiceLifecycle

/// Records in PostgreSQL through postgres-nio's `PostgresClient` (a connection pool).
///
/// The store is a `Service`: run it (``run()``) for as long as it is used; operations wait for a
/// connection while it runs, and each fails after ``PostgresConfiguration/operationTimeout``.
/// Decisions go in by `COPY` into a staging table, then `INSERT … SELECT … ON CONFLICT (id) DO
/// NOTHING`, whose `RETURNING` feeds the `lead_scores` insert in the same statement, so only new
/// decisions get a score row and a replay writes nothing.
public final class PostgresRecordStore: RecordStore, Service {
    /// The `pg_advisory_lock` key migrations run under ("LGRECS" in ASCII).
    static let migrationLock: Int64 = 0x4C47_5245_4353

    public let configuration: PostgresConfiguration
    let client: PostgresClient
    let logger: Logger

    /// A store for `configuration`. Nothing connects until ``run()`` runs.
    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "leadgate.records.postgres")) {
        self.configuration = configuration
        self.logger = logger
        let tls: PostgresClient.Configuration.TLS =
            switch configuration.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var client = PostgresClient.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: tls
        )
        client.options.maximumConnections = configuration.maximumConnections
        client.options.connectTimeout = configuration.connectTimeout
        self.client = PostgresClient(configuration: client, backgroundLogger: logger)
    }

    /// Runs the connection pool until the task is cancelled or the service group shuts down.
    public func run() async {
        await client.run()
    }

    // MARK: Migrations

    @discardableResult
    public func migrate() async throws -> [Int] {
        try await timed("migrate") { client, logger in
            try await client.withConnection { connection in
                // A session-level advisory lock: a second gateway waits here until the first has
                // applied everything, then finds nothing to do. A dropped connection releases it.
                try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
                do {
                    let applied = try await Self.applyMigrations(connection, logger: logger)
                    try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                    return applied
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                    throw error
                }
            }
        }
    }

    private static func applyMigrations(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query(PostgresQuery(unsafeSQL: Schema.migrationsTable), logger: logger)
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
            done.insert(version)
        }
        var applied: [Int] = []
        for migration in Schema.migrations(for: .postgres) where !done.contains(migration.version) {
            try await connection.withTransaction(logger: logger) { transaction in
                for statement in migration.statements {
                    try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await transaction.query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), now()::text)",
                    logger: logger
                )
            }
            logger.info("applied records migration", metadata: ["records.migration": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }

    // MARK: Decisions

    /// Writes the batch in one transaction, by `COPY`, which costs the server far less than a
    /// multi-row INSERT with a parameter per value (Benchmarks/README.md). First straight into
    /// `decisions` and `lead_scores`; if a decision id is already there (a batch replayed after a
    /// write whose answer was lost), that transaction fails as a whole and the batch goes through
    /// a staging table (temporary, emptied at commit) and `INSERT … SELECT … ON CONFLICT (id) DO
    /// NOTHING`, whose `RETURNING` feeds `lead_scores`: only new decisions are added, once.
    @discardableResult
    public func insert(decisions: [DecisionRecord]) async throws -> Int {
        guard !decisions.isEmpty else { return 0 }
        var rows = ByteBuffer()
        var scores = ByteBuffer()
        rows.reserveCapacity(decisions.count * 2048)
        scores.reserveCapacity(decisions.count * 1024)
        for record in decisions {
            PostgresCopyText.appendRow(record.columnValues, to: &rows)
            PostgresCopyText.appendRow(record.leadScoreValues, to: &scores)
        }
        let (decisionRows, scoreRows) = (rows, scores)
        do {
            return try await timed("insert decisions") { client, logger in
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.copyFrom(table: "decisions", columns: Schema.decisionColumns, logger: logger) {
                        try await $0.write(decisionRows)
                    }
                    try await connection.copyFrom(table: "lead_scores", columns: Self.leadScoreColumns, logger: logger) {
                        try await $0.write(scoreRows)
                    }
                    return decisions.count
                }
            }
        } catch  where Self.sqlState(error) == "23505" {
            return try await timed("insert decisions (some already written)") { client, logger in
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query(Self.createStaging, logger: logger)
                    try await connection.copyFrom(table: Self.stagingTable, columns: Schema.decisionColumns, logger: logger) {
                        try await $0.write(decisionRows)
                    }
                    for try await inserted in try await connection.query(Self.moveStaged, logger: logger).decode(Int.self) {
                        return inserted
                    }
                    throw RecordsError(.corruptRow, "the insert returned no count")
                }
            }
        }
    }

    /// (copyFrom quotes each name itself.)
    static let leadScoreColumns = ["decision_id", "lead_id", "score", "confidence", "explanation_json", "timestamp", "model_version", "expires_at"]

    static let stagingTable = "leadgate_decisions_incoming"

    /// Once per connection (a no-op after that): the staging table, without indexes, emptied at commit.
    private static let createStaging: PostgresQuery = """
        CREATE TEMPORARY TABLE IF NOT EXISTS leadgate_decisions_incoming (LIKE decisions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS
        """

    private static let moveStaged = PostgresQuery(
        unsafeSQL: """
            WITH d AS (INSERT INTO decisions SELECT * FROM \(stagingTable) ON CONFLICT (id) DO NOTHING \
            RETURNING id, lead_id, final_score, confidence, explanation_json, decided_at, model_version, expires_at), \
            s AS (INSERT INTO lead_scores (decision_id, lead_id, score, confidence, explanation_json, "timestamp", model_version, expires_at) \
            SELECT * FROM d RETURNING 1) \
            SELECT count(*)::bigint FROM s
            """)

    private static let selectDecision = "SELECT \(Schema.decisionColumns.joined(separator: ", ")) FROM decisions"

    public func decision(id: String) async throws -> DecisionRecord? {
        try await timed("read decision") { client, logger in
            try await Self.decisions(client, PostgresQuery(unsafeSQL: Self.selectDecision + " WHERE id = $1", binds: Self.binds([.text(id)])), logger)
                .first
        }
    }

    public func history(leadID: String, since: Date?, until: Date?, cursor: HistoryCursor?, limit: Int) async throws -> HistoryPage {
        let limit = max(1, limit)
        var sql = Self.selectDecision + " WHERE lead_id = $1"
        var values: [SQLValue] = [.text(leadID)]
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &values) { "$\($0)" }
        if let cursor {
            values += [.time(cursor.time), .text(cursor.id)]
            sql += " AND (decided_at, id) < ($\(values.count - 1), $\(values.count))"
        }
        values.append(.int(limit + 1))
        sql += " ORDER BY decided_at DESC, id DESC LIMIT $\(values.count)"
        let query = PostgresQuery(unsafeSQL: sql, binds: Self.binds(values))
        let rows = try await timed("read history") { client, logger in try await Self.decisions(client, query, logger) }
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { HistoryCursor(time: $0.time, id: $0.id) } : nil
        return HistoryPage(decisions: page, nextCursor: next)
    }

    public func exportPage(since: Date?, until: Date?, after: HistoryCursor?, limit: Int) async throws -> [DecisionRecord] {
        var sql = Self.selectDecision + " WHERE TRUE"
        var values: [SQLValue] = []
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &values) { "$\($0)" }
        if let after {
            values += [.time(after.time), .text(after.id)]
            sql += " AND (decided_at, id) > ($\(values.count - 1), $\(values.count))"
        }
        values.append(.int(max(1, limit)))
        sql += " ORDER BY decided_at, id LIMIT $\(values.count)"
        let query = PostgresQuery(unsafeSQL: sql, binds: Self.binds(values))
        return try await timed("export decisions") { client, logger in try await Self.decisions(client, query, logger) }
    }

    public func countDecisions(since: Date?, until: Date?) async throws -> Int {
        var sql = "SELECT count(*) FROM decisions WHERE TRUE"
        var values: [SQLValue] = []
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &values) { "$\($0)" }
        let query = PostgresQuery(unsafeSQL: sql, binds: Self.binds(values))
        return try await timed("count decisions") { client, logger in
            for try await count in try await client.query(query, logger: logger).decode(Int.self) { return count }
            throw RecordsError(.corruptRow, "count query returned no row")
        }
    }

    public func labeledDecisions(modelID: String, since: Date?, until: Date?) async throws -> [LabeledDecision] {
        var sql = LabeledDecision.selectSQL.replacingOccurrences(of: "?", with: "$1")
        var values: [SQLValue] = [.text(modelID)]
        SQLValue.appendTimeRange(since: since, until: until, to: &sql, binds: &values) { "$\($0)" }
        let query = PostgresQuery(unsafeSQL: sql, binds: Self.binds(values))
        return try await timed("read labelled decisions") { client, logger in
            var rows: [LabeledDecision] = []
            for try await row in try await client.query(query, logger: logger) {
                rows.append(try LabeledDecision(reading: PostgresColumns(row: row.makeRandomAccess())))
            }
            return LabeledDecision.latestPerDecision(rows)
        }
    }

    public func insert(performance rows: [PerformanceRow]) async throws {
        guard !rows.isEmpty else { return }
        let width = Schema.performanceColumns.count
        var sql = "INSERT INTO model_performance (\(Schema.performanceColumns.joined(separator: ", "))) VALUES "
        var values: [SQLValue] = []
        for (r, row) in rows.enumerated() {
            sql += (r == 0 ? "" : ", ") + "(" + (1...width).map { "$\(r * width + $0)" }.joined(separator: ", ") + ")"
            values += row.columnValues
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: Self.binds(values))
        try await timed("insert performance") { client, logger in _ = try await client.query(query, logger: logger) }
    }

    public func queue(_ query: QueueQuery) async throws -> [QueueEntry] {
        let (sql, values) = query.sql(.postgres) { "$\($0)" }
        let postgresQuery = PostgresQuery(unsafeSQL: sql, binds: Self.binds(values))
        return try await timed("read the queue") { client, logger in
            var rows: [QueueEntry] = []
            for try await row in try await client.query(postgresQuery, logger: logger) {
                rows.append(try QueueEntry(reading: PostgresColumns(row: row.makeRandomAccess())))
            }
            return query.entries(rows)
        }
    }

    public func performanceHistory(modelID: String, limit: Int) async throws -> [PerformanceRow] {
        let sql =
            "SELECT \(Schema.performanceColumns.joined(separator: ", ")) FROM model_performance WHERE model_id = $1 ORDER BY test_date DESC, id DESC LIMIT $2"
        let query = PostgresQuery(unsafeSQL: sql, binds: Self.binds([.text(modelID), .int(max(1, limit))]))
        return try await timed("read performance") { client, logger in
            var rows: [PerformanceRow] = []
            for try await row in try await client.query(query, logger: logger) {
                rows.append(try PerformanceRow(reading: PostgresColumns(row: row.makeRandomAccess())))
            }
            return rows
        }
    }

    public func acquireLease(name: String, holder: String, expiresAt: Date, now: Date) async throws -> Bool {
        let query = PostgresQuery(
            unsafeSQL: Schema.acquireLeaseSQL { "$\($0)" }, binds: Self.binds([.text(name), .text(holder), .time(expiresAt), .time(now)]))
        return try await timed("acquire lease") { client, logger in
            var taken = false
            for try await _ in try await client.query(query, logger: logger) { taken = true }
            return taken
        }
    }

    public func releaseLease(name: String, holder: String) async throws {
        let query = PostgresQuery(unsafeSQL: "DELETE FROM leases WHERE name = $1 AND holder = $2", binds: Self.binds([.text(name), .text(holder)]))
        try await timed("release lease") { client, logger in _ = try await client.query(query, logger: logger) }
    }

    /// SQLSTATE class 22 (data exception: a value out of range, text PostgreSQL cannot hold such as
    /// U+0000) and 23 (integrity constraint violation).
    public func rejectsData(_ error: any Error) -> Bool {
        guard let state = Self.sqlState(error) else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }

    /// The SQLSTATE of a server error; a failure inside a transaction arrives wrapped
    /// (``PostgresTransactionError``).
    static func sqlState(_ error: any Error) -> String? {
        if let wrapped = error as? PostgresTransactionError { return (wrapped.closureError ?? wrapped.commitError).flatMap(sqlState) }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    private static func decisions(_ client: PostgresClient, _ query: PostgresQuery, _ logger: Logger) async throws -> [DecisionRecord] {
        var records: [DecisionRecord] = []
        for try await row in try await client.query(query, logger: logger) {
            records.append(try DecisionRecord(reading: PostgresColumns(row: row.makeRandomAccess())))
        }
        return records
    }

    // MARK: Outcomes

    @discardableResult
    public func insert(outcomes: [OutcomeRecord]) async throws -> [OutcomeInsertResult] {
        guard !outcomes.isEmpty else { return [] }
        return try await timed("insert outcomes") { client, logger in
            try await client.withTransaction(logger: logger) { connection in
                var results: [OutcomeInsertResult] = []
                for outcome in outcomes {
                    let insert = PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO outcomes (lead_id, outcome, value, occurred_at, source, idempotency_key, decision_id) \
                            VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM decisions WHERE lead_id = $1 AND decided_at <= $4 \
                            ORDER BY decided_at DESC, id DESC LIMIT 1)) \
                            ON CONFLICT (idempotency_key) DO NOTHING RETURNING decision_id
                            """,
                        binds: Self.binds([
                            .text(outcome.leadID), .text(outcome.outcome), .real(outcome.value), .time(outcome.occurredAt), .text(outcome.source),
                            .text(outcome.idempotencyKey),
                        ])
                    )
                    var inserted: OutcomeInsertResult?
                    for try await linked in try await connection.query(insert, logger: logger).decode(String?.self) {
                        inserted = OutcomeInsertResult(isNew: true, linkedDecisionID: linked)
                    }
                    if let inserted {
                        results.append(inserted)
                    } else if let key = outcome.idempotencyKey {
                        var linked: String?
                        for try await id in try await connection.query(
                            "SELECT decision_id FROM outcomes WHERE idempotency_key = \(key)",
                            logger: logger
                        ).decode(String?.self) {
                            linked = id
                        }
                        results.append(OutcomeInsertResult(isNew: false, linkedDecisionID: linked))
                    }
                }
                return results
            }
        }
    }

    public func outcomes(leadID: String) async throws -> [OutcomeRecord] {
        try await outcomes(where: "lead_id = $1", [.text(leadID)], "read outcomes")
    }

    public func outcomes(occurredSince since: Date?) async throws -> [OutcomeRecord] {
        guard let since else { return try await outcomes(where: "true", [], "read all outcomes") }
        return try await outcomes(where: "occurred_at >= $1", [.time(since)], "read outcomes since")
    }

    private func outcomes(where condition: String, _ values: [SQLValue], _ doing: String) async throws -> [OutcomeRecord] {
        let query = PostgresQuery(
            unsafeSQL:
                "SELECT lead_id, outcome, value, occurred_at, source, idempotency_key, decision_id FROM outcomes WHERE \(condition) ORDER BY lead_id, occurred_at, id",
            binds: Self.binds(values))
        return try await timed(doing) { client, logger in
            var outcomes: [OutcomeRecord] = []
            let rows = try await client.query(query, logger: logger)
            for try await (lead, outcome, value, occurredAt, source, key, decision) in rows.decode(
                (String, String, Double?, Date, String?, String?, String?).self
            ) {
                outcomes.append(
                    OutcomeRecord(
                        leadID: lead, outcome: outcome, value: value, occurredAt: occurredAt, source: source, idempotencyKey: key,
                        linkedDecisionID: decision))
            }
            return outcomes
        }
    }

    // MARK: Counts

    public func counts() async throws -> RecordCounts {
        try await timed("count records") { client, logger in
            let rows = try await client.query(
                """
                SELECT (SELECT count(*) FROM decisions), (SELECT count(*) FROM lead_scores), \
                (SELECT count(*) FROM outcomes), (SELECT count(*) FROM audit_log)
                """,
                logger: logger
            )
            for try await (decisions, scores, outcomes, audit) in rows.decode((Int, Int, Int, Int).self) {
                return RecordCounts(decisions: decisions, leadScores: scores, outcomes: outcomes, audit: audit)
            }
            throw RecordsError(.corruptRow, "count query returned no row")
        }
    }

    public func duplicateDecisionIDs() async throws -> [String] {
        try await timed("check duplicates") { client, logger in
            var ids: [String] = []
            for try await id in try await client.query("SELECT id FROM decisions GROUP BY id HAVING count(*) > 1", logger: logger).decode(String.self)
            {
                ids.append(id)
            }
            return ids
        }
    }

    // MARK: Plumbing

    /// Runs `body` with the client, failing after the configured operation timeout.
    func timed<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T) async throws -> T {
        let client = self.client
        let logger = self.logger
        return try await withTimeout(configuration.operationTimeout, "PostgreSQL \(what)") { try await body(client, logger) }
    }

    static func binds(_ values: [SQLValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { binds.append(value) }
        return binds
    }
}

extension PostgresBindings {
    mutating func append(_ value: SQLValue) {
        switch value {
        // PostgreSQL text cannot hold NUL: an LLM's reasoning or a CRM's string with one would make
        // the whole batch fail again at every replay. It becomes U+FFFD, as invalid UTF-8 does.
        case .text(let text): append(text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text)
        case .int(let int): append(int)
        case .real(let real): append(real)
        case .time(let date): append(date)
        case .null: appendNull()
        }
    }
}

/// ``ColumnReader`` over a postgres-nio row.
struct PostgresColumns: ColumnReader {
    let row: PostgresRandomAccessRow

    func text(_ index: Int) throws -> String? { try decode(index, String?.self) }
    func int(_ index: Int) throws -> Int? { try decode(index, Int?.self) }
    func real(_ index: Int) throws -> Double? { try decode(index, Double?.self) }
    func time(_ index: Int) throws -> Date? { try decode(index, Date?.self).map(RecordTime.normalized) }

    private func decode<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T {
        do {
            return try row[index].decode(T.self)
        } catch {
            throw RecordsError(.corruptRow, "decisions column \(Schema.decisionColumns[index]) could not be read", cause: error)
        }
    }
}
