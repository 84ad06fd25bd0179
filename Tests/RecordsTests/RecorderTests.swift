import Foundation
import Records
import TestSupport
import Testing

/// The write path: batches behind the caller, the journal while the database is away, replay in
/// order when it is back, the bound, and a restart replaying what the journal holds.
@Suite struct RecorderTests {
    /// Runs a recorder over `store` while `body` runs, then shuts it down gracefully.
    func withRecorder<T: Sendable>(
        store: any RecordStore, journal: String, configure: (inout Recorder.Configuration) -> Void = { _ in },
        _ body: @Sendable (Recorder) async throws -> T
    ) async throws -> T {
        var configuration = Recorder.Configuration(journalPath: journal)
        configuration.flushInterval = .milliseconds(50)
        configuration.retryInterval = .milliseconds(100)
        configure(&configuration)
        let recorder = Recorder(store: store, configuration: configuration, logger: Fixtures.quiet)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // Cancellation ends the run as a shutdown does: what is queued is written or journaled.
            group.addTask { try await recorder.run() }
            do {
                let result = try await body(recorder)
                group.cancelAll()
                try await group.waitForAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Waits until `condition` holds (up to `timeout`).
    func eventually(_ timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test func decisionsReachTheSQLiteFileInBatches() async throws {
        let directory = Fixtures.temporaryPath("")
        let store = try await SQLiteRecordStore.open(path: directory + "records.sqlite", logger: Fixtures.quiet)
        try await store.migrate()
        try await withRecorder(store: store, journal: directory + "records.journal") { recorder throws in
            let request = UUID().uuidString
            recorder.record(contentsOf: (0..<2_500).map { Fixtures.bare(request: request, index: $0, lead: "l\($0 % 50)") })
            #expect(try await eventually { try await store.counts().decisions == 2_500 })
            let stats = recorder.stats
            #expect(stats.written == 2_500 && stats.journaled == 0 && stats.dropped == 0 && stats.backend == .up)
            #expect(stats.lastBatchSize <= 1_000)
        }
        #expect(try await store.duplicateDecisionIDs().isEmpty)
        try await store.close()
    }

    @Test func aDatabaseKilledAndRestartedLosesNothingAndDoublesNothing() async throws {
        let server = try PostgresServer(fsync: true)
        let url = server.url(database: try server.makeDatabase())
        let journal = Fixtures.temporaryPath("records.journal")
        try await withPostgresStore(url: url) { _ in }  // the schema, with the default timeouts
        try await withPostgresStore(
            url: url, migrate: false,
            configure: {
                $0.operationTimeout = .milliseconds(500); $0.connectTimeout = .milliseconds(300)
            }
        ) { store throws in
            try await withRecorder(store: store, journal: journal) { recorder throws in
                let request = UUID().uuidString
                var sent = 0
                func send(_ n: Int) {
                    recorder.record(contentsOf: (sent..<(sent + n)).map { Fixtures.bare(request: request, index: $0, lead: "k\($0 % 97)") })
                    sent += n
                }
                send(3_000)
                #expect(try await eventually { recorder.stats.written == 3_000 })
                server.kill()
                for _ in 0..<20 {
                    send(250)
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await eventually { recorder.stats.journalRecords > 0 && recorder.stats.queueDepth == 0 })
                #expect(recorder.stats.backend == .down)
                try server.start()
                #expect(try await eventually(.seconds(30)) { recorder.stats.isIdle })
                let stats = recorder.stats
                #expect(stats.replayed > 0 && stats.dropped == 0)
                #expect(try await store.counts().decisions == sent)
                #expect(try await store.counts().leadScores == sent)
                #expect(try await store.duplicateDecisionIDs().isEmpty)
            }
        }
        #expect((try? FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int) == 0)
    }

    @Test func rowsTheDatabaseRefusesAreIsolatedAndCountedNotRetriedForever() async throws {
        let server = try PostgresServer()
        let url = server.url(database: try server.makeDatabase())
        let journal = Fixtures.temporaryPath("records.journal")
        try await withPostgresStore(url: url) { store throws in
            try await withRecorder(store: store, journal: journal) { recorder throws in
                // A row PostgreSQL refuses (SQLSTATE 22003: an item index beyond `integer`) inside a
                // batch of 1,000; U+0000 (which PostgreSQL text cannot hold) is kept as U+FFFD.
                func batch(_ request: String) -> [DecisionRecord] {
                    var decisions = (0..<1_000).map { Fixtures.bare(request: request, index: $0, lead: "p\($0 % 31)") }
                    decisions[417].index = Int(Int32.max) + 1
                    decisions[802].llm.reasoning = "before\u{0}after"
                    return decisions
                }
                let first = UUID().uuidString
                recorder.record(contentsOf: batch(first))
                #expect(try await eventually { recorder.stats.droppedRejected == 1 && recorder.stats.isIdle }, "\(recorder.stats)")
                #expect(try await store.counts().decisions == 999)
                #expect(recorder.stats.written == 999)
                #expect(try await store.decision(id: DecisionRecord.id(requestID: first, index: 0)) != nil)
                #expect(try await store.decision(id: DecisionRecord.id(requestID: first, index: 802))?.llm.reasoning == "before\u{FFFD}after")
                #expect(try await store.decision(id: DecisionRecord.id(requestID: first, index: 417)) == nil)
                // The same through the journal: the database away, then back; the replay isolates
                // them too, and what follows is written.
                server.kill()
                recorder.record(contentsOf: batch(UUID().uuidString))
                #expect(try await eventually { recorder.stats.journalRecords == 1_000 })
                try server.start()
                #expect(try await eventually(.seconds(30)) { recorder.stats.isIdle && recorder.stats.journalBytes == 0 })
                recorder.record(Fixtures.bare(request: UUID().uuidString))
                #expect(try await eventually { try await store.counts().decisions == 1_999 })
                let stats = recorder.stats
                #expect(stats.droppedRejected == 2 && stats.dropped == 2 && stats.replayed == 999 && stats.written == 1_999, "\(stats)")
                #expect(try await store.duplicateDecisionIDs().isEmpty)
            }
        }
    }

    @Test func theJournalIsBoundedAndDropsAreCounted() async throws {
        let server = try PostgresServer()
        let url = server.url(database: try server.makeDatabase())
        let journal = Fixtures.temporaryPath("records.journal")
        try await withPostgresStore(url: url) { _ in }  // the schema, with the default timeouts
        try await withPostgresStore(
            url: url, migrate: false,
            configure: {
                $0.operationTimeout = .milliseconds(300); $0.connectTimeout = .milliseconds(200)
            }
        ) { store throws in
            server.kill()
            try await withRecorder(
                store: store, journal: journal,
                configure: {
                    $0.journalMaxBytes = 64 * 1024; $0.batchSize = 100
                }
            ) { recorder throws in
                for i in 0..<30 {
                    recorder.record(contentsOf: (0..<100).map { Fixtures.decision(request: "b\(i)", index: $0, lead: "j\($0)") })
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(try await eventually { recorder.stats.queueDepth == 0 && recorder.stats.inFlight == 0 && recorder.stats.dropped > 0 })
                let stats = recorder.stats
                #expect(stats.journalBytes <= 64 * 1024)
                #expect(stats.journaled + stats.dropped == 3_000)
                try server.start()
                #expect(try await eventually(.seconds(30)) { recorder.stats.isIdle })
                #expect(try await store.counts().decisions == stats.journaled)
            }
        }
    }

    @Test func aRestartReplaysWhatTheJournalHolds() async throws {
        let server = try PostgresServer()
        let url = server.url(database: try server.makeDatabase())
        let journal = Fixtures.temporaryPath("records.journal")
        let request = UUID().uuidString
        // First run: the database is down the whole time; shutdown leaves everything in the journal.
        try await withPostgresStore(url: url) { _ in }  // the schema, with the default timeouts
        try await withPostgresStore(
            url: url, migrate: false,
            configure: {
                $0.operationTimeout = .milliseconds(300); $0.connectTimeout = .milliseconds(200)
            }
        ) { store throws in
            server.kill()
            try await withRecorder(store: store, journal: journal) { recorder throws in
                recorder.record(contentsOf: (0..<1_200).map { Fixtures.bare(request: request, index: $0) })
                #expect(try await eventually { recorder.stats.journalRecords == 1_200 })
            }
        }
        try server.start()
        // Second run: the journal is replayed at start.
        try await withPostgresStore(url: url) { store throws in
            try await withRecorder(store: store, journal: journal) { recorder throws in
                #expect(try await eventually { recorder.stats.replayed == 1_200 && recorder.stats.isIdle })
                #expect(try await store.counts().decisions == 1_200)
            }
        }
    }

    @Test func anErasedLeadsQueuedDecisionsNeverArrive() async throws {
        let directory = Fixtures.temporaryPath("")
        let store = try await SQLiteRecordStore.open(path: directory + "records.sqlite", logger: Fixtures.quiet)
        try await store.migrate()
        try await withRecorder(store: store, journal: directory + "records.journal", configure: { $0.flushInterval = .seconds(30) }) {
            recorder throws in
            // The run's first cycle (at start) is over once this one is written; the next is 30 s
            // away, so what follows waits in the queue.
            recorder.record(Fixtures.bare(request: "first", lead: "stays"))
            #expect(try await eventually { recorder.stats.written == 1 })
            recorder.record(contentsOf: [Fixtures.bare(request: "q1", lead: "gone"), Fixtures.bare(request: "q2", lead: "stays")])
            #expect(recorder.forget(leadID: "gone") == 1)
            recorder.record(contentsOf: (0..<1_000).map { Fixtures.bare(request: "fill", index: $0, lead: "stays") })
            #expect(try await eventually { try await store.counts().decisions == 1_002 })
            #expect(try await store.decision(id: "q1:0") == nil)
        }
        try await store.close()
    }

    @Test func aSecondRecorderCannotTakeTheSameJournal() async throws {
        let directory = Fixtures.temporaryPath("")
        let store = try await SQLiteRecordStore.open(path: directory + "records.sqlite", logger: Fixtures.quiet)
        try await store.migrate()
        try await withRecorder(store: store, journal: directory + "records.journal") { recorder throws in
            // Once a write went through, the first recorder holds the journal open.
            recorder.record(Fixtures.bare(request: "first"))
            #expect(try await eventually { recorder.stats.written == 1 })
            let second = Recorder(store: store, configuration: .init(journalPath: directory + "records.journal"), logger: Fixtures.quiet)
            await #expect(throws: (any Error).self) { try await second.run() }
        }
        try await store.close()
    }
}
