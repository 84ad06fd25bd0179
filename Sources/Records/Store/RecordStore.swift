public import Foundation

/// Where records live: PostgreSQL (``PostgresRecordStore``) or an embedded SQLite file
/// (``SQLiteRecordStore``), one schema for both (``Schema``).
///
/// Implementation requirements:
/// - ``migrate()`` applies the missing numbered migrations under a lock held across processes, so
///   stores starting together apply each migration exactly once.
/// - ``insert(decisions:)`` is idempotent by decision id (a replay is a no-op) and writes one
///   `lead_scores` row per newly inserted decision, in one transaction per call.
/// - ``insert(outcomes:)`` is idempotent by idempotency key and links each new outcome to the
///   lead's last decision at or before its `occurredAt`.
/// - Every method is safe to call concurrently.
public protocol RecordStore: Sendable {
    /// Applies the migrations not yet applied and returns their versions (empty when up to date).
    @discardableResult
    func migrate() async throws -> [Int]

    /// Stores a batch of decisions in one transaction; returns how many were new.
    @discardableResult
    func insert(decisions: [DecisionRecord]) async throws -> Int

    /// Stores outcomes; returns, per outcome in order, whether it was new and its linked decision.
    @discardableResult
    func insert(outcomes: [OutcomeRecord]) async throws -> [OutcomeInsertResult]

    /// The decision with this id, whole.
    func decision(id: String) async throws -> DecisionRecord?

    /// A lead's decisions, newest first, `since` inclusive, `until` exclusive; pass the returned
    /// ``HistoryPage/nextCursor`` to get the next page.
    func history(leadID: String, since: Date?, until: Date?, cursor: HistoryCursor?, limit: Int) async throws -> HistoryPage

    /// A lead's outcomes, oldest first, with their linked decisions.
    func outcomes(leadID: String) async throws -> [OutcomeRecord]

    /// A work queue: each lead's latest decision, filtered, highest final score first.
    func queue(_ query: QueueQuery) async throws -> [QueueEntry]

    /// Every outcome that occurred at or after `since` (all without it), by lead and then oldest
    /// first, in one query (training sets and the retraining loop read them all at once).
    func outcomes(occurredSince since: Date?) async throws -> [OutcomeRecord]

    /// Erases every row of the lead (decisions, lead_scores, outcomes), or pseudonymises them, and
    /// appends an audit entry in the same transaction.
    func erase(leadID: String, mode: EraseMode, actor: String) async throws -> EraseCounts

    /// Deletes decisions, lead_scores and outcomes older than `cutoff` (the audit log is kept) and
    /// appends an audit entry.
    func purge(olderThan cutoff: Date, actor: String) async throws -> PurgeCounts

    /// Appends audit entries.
    func append(audit entries: [AuditEntry]) async throws

    /// Audit entries at or after `since`, oldest first.
    func auditEntries(since: Date?, limit: Int) async throws -> [AuditEntry]

    /// Up to `limit` decisions in `[since, until)`, ordered by (time, id) ascending, after `after`.
    /// ``export(since:until:pageSize:)`` pages through it.
    func exportPage(since: Date?, until: Date?, after: HistoryCursor?, limit: Int) async throws -> [DecisionRecord]

    /// Whether `error`, thrown by an insert, means the store refuses the rows themselves (a value
    /// out of range, invalid text, a violated constraint), so that writing them again cannot work;
    /// false for errors worth retrying (unreachable, timed out, shutting down).
    func rejectsData(_ error: any Error) -> Bool

    /// How many decisions lie in `[since, until)` (for an export's progress).
    func countDecisions(since: Date?, until: Date?) async throws -> Int

    /// The decisions of model `modelID` in `[since, until)` that have an outcome linked to them,
    /// each with its latest outcome, oldest decision first (live performance).
    func labeledDecisions(modelID: String, since: Date?, until: Date?) async throws -> [LabeledDecision]

    /// Appends live-performance snapshots to `model_performance`.
    func insert(performance rows: [PerformanceRow]) async throws

    /// The latest `limit` snapshots of a model, newest first.
    func performanceHistory(modelID: String, limit: Int) async throws -> [PerformanceRow]

    /// Takes the lease `name` for `holder` until `expiresAt` when it is free, expired (at `now`) or
    /// already held by `holder`; false when another holder has it. One row of `leases`, taken in one
    /// statement, so two gateways asking together get one yes.
    func acquireLease(name: String, holder: String, expiresAt: Date, now: Date) async throws -> Bool

    /// Gives the lease back when `holder` has it.
    func releaseLease(name: String, holder: String) async throws

    /// Row counts of every table (for tests, `/readyz` and operators).
    func counts() async throws -> RecordCounts

    /// Decisions whose id occurs more than once (always empty with a primary key; the check tests use).
    func duplicateDecisionIDs() async throws -> [String]
}

extension RecordStore {
    /// Decisions in `[since, until)` oldest first, read `pageSize` rows at a time as the sequence is
    /// iterated, so memory stays bounded whatever the range.
    public func export(since: Date?, until: Date?, pageSize: Int = 1000) -> DecisionExport {
        DecisionExport(store: self, since: since, until: until, pageSize: max(1, pageSize))
    }
}

/// The lazily paged sequence ``RecordStore/export(since:until:pageSize:)`` returns.
public struct DecisionExport: AsyncSequence, Sendable {
    public typealias Element = DecisionRecord
    let store: any RecordStore
    let since: Date?
    let until: Date?
    let pageSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let export: DecisionExport
        var buffer: [DecisionRecord] = []
        var position = 0
        var after: HistoryCursor?
        var isFinished = false

        public mutating func next() async throws -> DecisionRecord? {
            if position == buffer.count {
                guard !isFinished else { return nil }
                try Task.checkCancellation()
                buffer = try await export.store.exportPage(since: export.since, until: export.until, after: after, limit: export.pageSize)
                position = 0
                isFinished = buffer.count < export.pageSize
                guard let last = buffer.last else { return nil }
                after = HistoryCursor(time: last.time, id: last.id)
            }
            defer { position += 1 }
            return buffer[position]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(export: self) }
}

/// How ``RecordStore/erase(leadID:mode:actor:)`` treats a lead's rows.
public enum EraseMode: String, Sendable, Hashable, CaseIterable {
    /// Delete every row of the lead.
    case delete
    /// Keep the numbers (scores, badges, versions, outcomes, timings) under a random pseudonym that
    /// replaces the lead id in every table, and clear what can hold personal data: the input, the
    /// unknown field names, the LLM's reasoning and raw answer.
    case pseudonymise
}

/// What an erase touched.
public struct EraseCounts: Sendable, Hashable {
    public var decisions: Int
    public var leadScores: Int
    public var outcomes: Int
    /// The pseudonym that now stands for the lead (``EraseMode/pseudonymise`` only).
    public var pseudonym: String?

    public init(decisions: Int, leadScores: Int, outcomes: Int, pseudonym: String? = nil) {
        self.decisions = decisions
        self.leadScores = leadScores
        self.outcomes = outcomes
        self.pseudonym = pseudonym
    }
}

/// What a purge deleted.
public struct PurgeCounts: Sendable, Hashable {
    public var decisions: Int
    public var leadScores: Int
    public var outcomes: Int

    public init(decisions: Int, leadScores: Int, outcomes: Int) {
        self.decisions = decisions
        self.leadScores = leadScores
        self.outcomes = outcomes
    }
}

/// Row counts per table.
public struct RecordCounts: Sendable, Hashable {
    public var decisions: Int
    public var leadScores: Int
    public var outcomes: Int
    public var audit: Int

    public init(decisions: Int, leadScores: Int, outcomes: Int, audit: Int) {
        self.decisions = decisions
        self.leadScores = leadScores
        self.outcomes = outcomes
        self.audit = audit
    }
}

/// One page of a lead's history.
public struct HistoryPage: Sendable, Hashable {
    public var decisions: [DecisionRecord]
    /// Pass to the next call for the following page; nil on the last page.
    public var nextCursor: HistoryCursor?

    public init(decisions: [DecisionRecord], nextCursor: HistoryCursor?) {
        self.decisions = decisions
        self.nextCursor = nextCursor
    }
}

/// A position in a time-ordered list of decisions: (time, id) of the last row seen. Opaque to
/// clients as ``token`` (URL-safe), which ``init(token:)`` parses back.
public struct HistoryCursor: Sendable, Hashable {
    public var time: Date
    public var id: String

    public init(time: Date, id: String) {
        self.time = RecordTime.normalized(time)
        self.id = id
    }

    /// URL-safe base64 of `microseconds.id`.
    public var token: String {
        let raw = "\(RecordTime.microseconds(time)).\(id)"
        return Data(raw.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Parses a ``token``; nil when it is not one (the HTTP layer answers 400).
    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard token.count <= 4096, let data = Data(base64Encoded: base64), let raw = String(data: data, encoding: .utf8),
            let dot = raw.firstIndex(of: "."), let micros = Int64(raw[..<dot])
        else { return nil }
        self.init(time: RecordTime.date(microseconds: micros), id: String(raw[raw.index(after: dot)...]))
    }
}

/// An error from a record store.
public struct RecordsError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case configuration, migration, corruptRow, unavailable }
        private let value: Value
        /// The store's configuration is wrong (a bad URL, a missing password variable).
        public static let configuration = Code(value: .configuration)
        /// A migration failed or the database holds a newer schema.
        public static let migration = Code(value: .migration)
        /// A stored row could not be read back.
        public static let corruptRow = Code(value: .corruptRow)
        /// The backend did not answer in time or is closed.
        public static let unavailable = Code(value: .unavailable)
        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message) (\(String(describing: $0)))" } ?? message }
}
