import Foundation
import Logging
import Records
import TestSupport
import Testing

/// Decisions and stores for the tests.
enum Fixtures {
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func decision(request: String = UUID().uuidString, index: Int = 0, lead: String = "lead-1", at time: Date = epoch) -> DecisionRecord {
        DecisionRecord(
            requestID: request,
            index: index,
            leadID: lead,
            time: time,
            kind: .single,
            caller: "crm-key",
            gatewayInstance: "gw-a",
            model: .init(id: "realestate", version: "2026.11.1", role: "champion"),
            inputJSON: #"{"lead_id":"\#(lead)","email":"ana@example.com","pricing_page_views":5,"notes":"Wants a 3-bed, é ☃"}"#,
            unknownFields: ["favourite_colour", "x\"y"],
            probability: 0.8123456789,
            baseScore: 81,
            finalScore: 89,
            baseBadge: "Hot",
            finalBadge: "Hot",
            confidence: 0.92,
            explanationJSON: #"{"feature_importance":{"pricing_page_views":0.4},"final_score":89,"confidence":0.92}"#,
            llm: .init(
                status: "accepted",
                reason: nil,
                multiplier: 1.1,
                reasoning: "Engaged buyer",
                promptID: "rerank",
                promptVersion: "3",
                promptHash: "sha256:abc",
                model: "gpt-4o-mini",
                rawAnswer: #"{"multiplier":1.1,"reasoning":"Engaged buyer"}"#,
                latencyMilliseconds: 212.5,
                tokens: .init(prompt: 420, completion: 31)
            ),
            totalLatencyMilliseconds: 215.25,
            expiresAt: time.addingTimeInterval(86400)
        )
    }

    /// A bare decision (no LLM answer, no optional fields).
    static func bare(request: String, index: Int = 0, lead: String = "lead-1", at time: Date = epoch) -> DecisionRecord {
        DecisionRecord(
            requestID: request,
            index: index,
            leadID: lead,
            time: time,
            kind: .batch,
            caller: nil,
            gatewayInstance: "gw-b",
            model: .init(id: "realestate", version: "2026.11.1", role: "champion"),
            inputJSON: #"{"lead_id":"\#(lead)"}"#,
            probability: 0.3,
            baseScore: 30,
            finalScore: 30,
            baseBadge: "Cold",
            finalBadge: "Cold",
            confidence: 0.5,
            explanationJSON: "{}",
            llm: .init(status: "fallback", reason: "disabled"),
            totalLatencyMilliseconds: 0.4
        )
    }

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "leadgate-records-\(UUID().uuidString.prefix(8))/\(name)"
    }

    static let quiet: Logger = {
        var logger = Logger(label: "records-tests")
        logger.logLevel = .critical
        return logger
    }()
}

/// The backends every store test runs against.
enum Backend: String, CaseIterable, Sendable {
    case postgres, sqlite
}

/// Runs `body` with a fresh, migrated store of `backend`: a new database on the shared server, or a
/// new SQLite file.
func withStore<T>(_ backend: Backend, migrate: Bool = true, _ body: (any RecordStore) async throws -> T) async throws -> T {
    switch backend {
    case .sqlite:
        let store = try await SQLiteRecordStore.open(path: Fixtures.temporaryPath("records.sqlite"), logger: Fixtures.quiet)
        if migrate { try await store.migrate() }
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    case .postgres:
        // Only an explicit opt-out skips PostgreSQL; without the server the tests fail and say why.
        if ProcessInfo.processInfo.environment["LEADGATE_SKIP_POSTGRES"] == "1" { try Test.cancel("LEADGATE_SKIP_POSTGRES=1") }
        let server = try PostgresServer.shared.get()
        let database = try server.makeDatabase()
        return try await withPostgresStore(url: server.url(database: database), migrate: migrate, body)
    }
}

/// Runs `body` with a running PostgreSQL store for `url`.
func withPostgresStore<T>(
    url: String,
    migrate: Bool = true,
    configure: (inout PostgresConfiguration) -> Void = { _ in },
    _ body: (PostgresRecordStore) async throws -> T
) async throws -> T {
    var configuration = try PostgresConfiguration(url: url)
    configure(&configuration)
    let store = PostgresRecordStore(configuration: configuration, logger: Fixtures.quiet)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.run() }
        defer { group.cancelAll() }
        if migrate { try await store.migrate() }
        return try await body(store)
    }
}
