import Foundation
import Records
import TestSupport
import Testing

/// The store contract, run against a real PostgreSQL server and an SQLite file alike.
@Suite struct RecordStoreTests {
    @Test(arguments: Backend.allCases)
    func migrationsApplyOnceWhenTwoStoresStartTogether(_ backend: Backend) async throws {
        switch backend {
        case .sqlite:
            let path = Fixtures.temporaryPath("shared.sqlite")
            let first = try await SQLiteRecordStore.open(path: path, logger: Fixtures.quiet)
            let second = try await SQLiteRecordStore.open(path: path, logger: Fixtures.quiet)
            async let a = first.migrate()
            async let b = second.migrate()
            let applied = try await [a, b]
            #expect(applied.sorted { $0.count < $1.count } == [[], [1, 2, 3, 4]])
            #expect(try await first.migrate() == [])
            try await first.close()
            try await second.close()
        case .postgres:
            try await withStore(.postgres, migrate: false) { _ in }  // cancels the test when PostgreSQL is missing
            let server = try PostgresServer.shared.get()
            let url = server.url(database: try server.makeDatabase())
            let applied = try await withPostgresStore(url: url, migrate: false) { first in
                try await withPostgresStore(url: url, migrate: false) { second in
                    async let a = first.migrate()
                    async let b = second.migrate()
                    return try await [a, b]
                }
            }
            #expect(applied.sorted { $0.count < $1.count } == [[], [1, 2, 3, 4]])
            let again = try await withPostgresStore(url: url, migrate: false) { try await $0.migrate() }
            #expect(again == [])
        }
    }

    @Test(arguments: Backend.allCases)
    func aDecisionReadsBackWhole(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            var full = Fixtures.decision(request: "req-1", index: 3)
            full.llm.setRawAnswer(String(repeating: "é", count: 3000))  // 6000 bytes: cut to 4096
            let bare = Fixtures.bare(request: "req-2")
            #expect(try await store.insert(decisions: [full, bare]) == 2)
            #expect(try await store.decision(id: "req-1:3") == full)
            #expect(try await store.decision(id: bare.id) == bare)
            #expect(try await store.decision(id: "nope") == nil)
            #expect(full.llm.rawAnswer?.utf8.count == 4096)
            // A replay writes nothing, not even a second score row.
            #expect(try await store.insert(decisions: [full, bare]) == 0)
            let counts = try await store.counts()
            #expect(counts.decisions == 2 && counts.leadScores == 2)
            #expect(try await store.duplicateDecisionIDs().isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func historyPagesNewestFirstWithinSinceAndUntil(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let decisions = (0..<25).map { Fixtures.bare(request: "r\($0)", lead: "lead-h", at: Fixtures.epoch.addingTimeInterval(Double($0))) }
            // Two decisions at the same instant: the id breaks the tie, so paging still sees both once.
            let twin = Fixtures.bare(request: "r10b", lead: "lead-h", at: Fixtures.epoch.addingTimeInterval(10))
            try await store.insert(decisions: decisions + [twin, Fixtures.bare(request: "other", lead: "lead-x")])
            var seen: [String] = []
            var cursor: HistoryCursor?
            repeat {
                let page = try await store.history(leadID: "lead-h", since: nil, until: nil, cursor: cursor, limit: 10)
                seen += page.decisions.map(\.id)
                cursor = try page.nextCursor.map { try #require(HistoryCursor(token: $0.token)) }
            } while cursor != nil
            let expected = (decisions + [twin]).sorted { ($0.time, $0.id) > ($1.time, $1.id) }.map(\.id)
            #expect(seen == expected)
            let window = try await store.history(
                leadID: "lead-h",
                since: Fixtures.epoch.addingTimeInterval(5),
                until: Fixtures.epoch.addingTimeInterval(8),
                cursor: nil,
                limit: 10
            )
            #expect(window.decisions.map(\.id) == ["r7:0", "r6:0", "r5:0"])
            #expect(window.nextCursor == nil)
            #expect(HistoryCursor(token: "not a cursor!") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func outcomesAreIdempotentAndLinkToTheLastDecisionBefore(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let t = Fixtures.epoch
            try await store.insert(decisions: [
                Fixtures.bare(request: "a", lead: "lead-o", at: t),
                Fixtures.bare(request: "b", lead: "lead-o", at: t.addingTimeInterval(60)),
                Fixtures.bare(request: "c", lead: "lead-o", at: t.addingTimeInterval(120)),
                Fixtures.bare(request: "z", lead: "lead-other", at: t.addingTimeInterval(90)),
            ])
            let won = OutcomeRecord(
                leadID: "lead-o", outcome: "converted", value: 350_000, occurredAt: t.addingTimeInterval(90), source: "hubspot", idempotencyKey: "k1")
            let early = OutcomeRecord(leadID: "lead-o", outcome: "contacted", occurredAt: t.addingTimeInterval(-5))
            let first = try await store.insert(outcomes: [won, early, won])
            #expect(
                first == [
                    OutcomeInsertResult(isNew: true, linkedDecisionID: "b:0"),
                    OutcomeInsertResult(isNew: true, linkedDecisionID: nil),
                    OutcomeInsertResult(isNew: false, linkedDecisionID: "b:0"),
                ])
            #expect(try await store.insert(outcomes: [won]) == [OutcomeInsertResult(isNew: false, linkedDecisionID: "b:0")])
            var expectedWon = won
            expectedWon.linkedDecisionID = "b:0"
            #expect(try await store.outcomes(leadID: "lead-o") == [early, expectedWon])
            #expect(try await store.counts().outcomes == 2)
            // All at once, by lead then time; or from a time on.
            let other = OutcomeRecord(leadID: "lead-a", outcome: "lost", occurredAt: t.addingTimeInterval(200))
            try await store.insert(outcomes: [other])
            #expect(try await store.outcomes(occurredSince: nil) == [other, early, expectedWon])
            #expect(try await store.outcomes(occurredSince: t) == [other, expectedWon])
        }
    }

    @Test(arguments: Backend.allCases, EraseMode.allCases)
    func eraseLeavesNoRowWithTheLeadAndAudits(_ backend: Backend, _ mode: EraseMode) async throws {
        try await withStore(backend) { store in
            let lead = "lead-erase-7"
            try await store.insert(decisions: [
                Fixtures.decision(request: "e1", lead: lead), Fixtures.decision(request: "e2", lead: lead, at: Fixtures.epoch.addingTimeInterval(1)),
                Fixtures.decision(request: "keep", lead: "lead-keep"),
            ])
            try await store.insert(outcomes: [
                OutcomeRecord(leadID: lead, outcome: "lost", occurredAt: Fixtures.epoch.addingTimeInterval(5), idempotencyKey: "\(lead)-lost")
            ])
            let counts = try await store.erase(leadID: lead, mode: mode, actor: "admin-key")
            #expect(counts.decisions == 2 && counts.leadScores == 2 && counts.outcomes == 1)
            #expect(try await store.history(leadID: lead, since: nil, until: nil, cursor: nil, limit: 100).decisions.isEmpty)
            #expect(try await store.outcomes(leadID: lead).isEmpty)
            // No row anywhere still carries the lead id, in any column.
            var remaining: [DecisionRecord] = []
            for try await record in store.export(since: nil, until: nil, pageSize: 2) { remaining.append(record) }
            #expect(!remaining.contains { "\($0)".contains(lead) })
            let after = try await store.counts()
            switch mode {
            case .delete:
                #expect(after.decisions == 1 && after.leadScores == 1 && after.outcomes == 0)
            case .pseudonymise:
                let pseudonym = try #require(counts.pseudonym)
                #expect(after.decisions == 3 && after.leadScores == 3 && after.outcomes == 1)
                let kept = try await store.history(leadID: pseudonym, since: nil, until: nil, cursor: nil, limit: 10).decisions
                #expect(kept.count == 2 && kept.allSatisfy { $0.inputJSON == "{}" && $0.llm.reasoning == nil && $0.finalScore == 89 })
                let outcomes = try await store.outcomes(leadID: pseudonym)
                #expect(outcomes.count == 1 && outcomes.first?.idempotencyKey == nil && outcomes.first?.linkedDecisionID == "e2:0")
            }
            let audit = try await store.auditEntries(since: nil, limit: 10)
            #expect(audit.count == 1)
            let entry = try #require(audit.first)
            #expect(entry.actor == "admin-key" && entry.action == "lead.erase")
            #expect(!entry.detailJSON.contains(lead) && !entry.target.contains(lead))
            #expect(entry.detailJSON.contains(#""mode":"\#(mode.rawValue)""#))
        }
    }

    @Test(arguments: Backend.allCases)
    func purgeDeletesOnlyWhatIsOlder(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let old = Fixtures.epoch
            let new = Fixtures.epoch.addingTimeInterval(40 * 86400)
            try await store.insert(decisions: [Fixtures.bare(request: "old", at: old), Fixtures.bare(request: "new", at: new)])
            try await store.insert(outcomes: [
                OutcomeRecord(leadID: "lead-1", outcome: "lost", occurredAt: old.addingTimeInterval(1)),
                OutcomeRecord(leadID: "lead-1", outcome: "converted", occurredAt: new.addingTimeInterval(1)),
            ])
            let purged = try await store.purge(olderThan: Fixtures.epoch.addingTimeInterval(30 * 86400), actor: "system")
            #expect(purged == PurgeCounts(decisions: 1, leadScores: 1, outcomes: 1))
            let counts = try await store.counts()
            #expect(counts == RecordCounts(decisions: 1, leadScores: 1, outcomes: 1, audit: 1))
            #expect(try await store.decision(id: "new:0") != nil)
            #expect(try await store.auditEntries(since: nil, limit: 5).first?.action == "records.purge")
        }
    }

    @Test(arguments: Backend.allCases)
    func exportStreamsARangeOldestFirstInPages(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let decisions = (0..<30).map { Fixtures.bare(request: "x\($0)", lead: "l\($0 % 4)", at: Fixtures.epoch.addingTimeInterval(Double($0))) }
            try await store.insert(decisions: decisions.shuffled())
            var exported: [DecisionRecord] = []
            for try await record in store.export(
                since: Fixtures.epoch.addingTimeInterval(3), until: Fixtures.epoch.addingTimeInterval(24), pageSize: 7)
            {
                exported.append(record)
            }
            #expect(exported == Array(decisions[3..<24]))
        }
    }

    @Test func configurationParsesURLsAndNamesWhatIsWrong() throws {
        let parsed = try PostgresConfiguration(
            url: "postgres://leadgate@db.internal:6432/records?sslmode=require",
            passwordEnvironmentVariable: "LEADGATE_RECORDS_PASSWORD",
            environment: ["LEADGATE_RECORDS_PASSWORD": "s3cret"]
        )
        #expect(parsed.host == "db.internal" && parsed.port == 6432 && parsed.username == "leadgate")
        #expect(parsed.database == "records" && parsed.password == "s3cret" && parsed.tls == .require)
        #expect(try PostgresConfiguration(url: "postgresql://u@h/d").port == 5432)
        for bad in ["mysql://u@h/d", "postgres://h/d", "postgres://u@h", "postgres://u@h/d?sslmode=maybe"] {
            #expect(throws: RecordsError.self) { try PostgresConfiguration(url: bad) }
        }
        #expect(throws: RecordsError.self) {
            try PostgresConfiguration(url: "postgres://u@h/d", passwordEnvironmentVariable: "MISSING_VAR", environment: [:])
        }
    }
}
