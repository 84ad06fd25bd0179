import Foundation
import Records
import Synchronization
import TestSupport
import Testing

/// The system of record behind the routes: every kind of decision recorded and read back, score
/// history, outcomes, erasure with its audit entry, consent, and PostgreSQL killed under load.
@Suite struct RecordsRouteTests {
    /// Waits until `GET url` answers 200 (records reach the store within about a second).
    static func awaitOK(_ url: String, timeout: Duration = .seconds(10)) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        var last = try await HTTPClient.send("GET", url)
        while last.status != 200, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            last = try await HTTPClient.send("GET", url)
        }
        return last
    }

    /// Waits until the gateway's recorder has written everything it took (queue and journal empty).
    static func awaitRecordsIdle(_ base: String, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let ready = try await HTTPClient.send("GET", "\(base)/readyz").json()
            let records = try #require(ready["records"] as? [String: Any])
            let idle =
                records["queue_depth"] as? Int == 0 && records["journal_bytes"] as? Int == 0
                && records["written"] as? Int == records["recorded"] as? Int
            if idle || ContinuousClock.now >= deadline { return records }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func everyKindOfDecisionIsRecordedAndReadsBackWhole() async throws {
        try await withGateway { base in
            let one = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", headers: ["X-Request-Id": "rec-single-1"], json: try exampleLead(id: "R-1"))
            #expect(one.status == 200)
            let scored = try one.json()
            let batch = #"{"leads": [\#(try exampleLead(id: "R-2")), {"features": {}}, \#(try exampleLead(id: "R-3"))]}"#
            #expect(
                try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", headers: ["X-Request-Id": "rec-batch-1"], json: batch).status == 200
            )
            #expect(
                try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/R-4/prewarm", headers: ["X-Request-Id": "rec-prewarm-1"], json: #"{"features": {}}"#
                ).status == 202)
            let events = #"{"events": [{"event_id": "e-1", "type": "page_view", "properties": {"page": "pricing"}}]}"#
            #expect(
                try await HTTPClient.send("POST", "\(base)/v1/leads/R-1/events", headers: ["X-Request-Id": "rec-event-1"], json: events).status == 200
            )

            let got = try await Self.awaitOK("\(base)/v1/decisions/rec-single-1:0")
            #expect(got.status == 200, "\(got.text)")
            let d = try got.json()
            #expect(d["id"] as? String == "rec-single-1:0" && d["request_id"] as? String == "rec-single-1" && d["index"] as? Int == 0)
            #expect(d["lead_id"] as? String == "R-1" && d["kind"] as? String == "single" && d["caller"] as? String == "anonymous")
            #expect(d["score"] as? Int == scored["score"] as? Int && d["base_score"] as? Int == scored["base_score"] as? Int)
            #expect(d["badge"] as? String == scored["badge"] as? String && d["base_badge"] as? String == scored["base_badge"] as? String)
            #expect(abs((d["probability"] as? Double ?? -1) - (scored["probability"] as? Double ?? -2)) < 1e-6)
            let model = try #require(d["model"] as? [String: Any])
            #expect(model["id"] as? String == "realestate" && model["role"] as? String == "default")
            let input = try #require(d["input"] as? [String: Any])
            #expect(input["lead_id"] as? String == "R-1" && (input["features"] as? [String: Any])?.isEmpty == false)
            let explanation = try #require(d["explanation"] as? [String: Any])
            #expect(explanation["final_score"] as? Int == scored["score"] as? Int)
            #expect((explanation["reasons"] as? [Any])?.isEmpty == false && explanation["feature_importance"] is [String: Any])
            // The record's document is the response's own reasons, breakdown and importance (encoded once).
            let answered = try #require(scored["explanation_json"] as? [String: Any])
            for key in ["reasons", "breakdown"] {
                #expect(NSArray(array: explanation[key] as? [Any] ?? []).isEqual(to: scored[key] as? [Any] ?? [1]), "\(key)")
            }
            #expect(
                NSDictionary(dictionary: explanation).isEqual(
                    to: answered.merging(["reasons": scored["reasons"] ?? 0, "breakdown": scored["breakdown"] ?? 0]) { a, _ in a }))
            let llm = try #require(d["llm"] as? [String: Any])
            #expect(llm["status"] as? String == "disabled" && llm["reason"] as? String == "disabled")
            #expect((d["latency_ms"] as? Double ?? -1) > 0 && (d["gateway"] as? String)?.isEmpty == false && d["expires_at"] is String)

            // The batch: the refused lead in the middle has no record; the others keep their positions.
            #expect(try await Self.awaitOK("\(base)/v1/decisions/rec-batch-1:2").json()["lead_id"] as? String == "R-3")
            #expect(try await HTTPClient.send("GET", "\(base)/v1/decisions/rec-batch-1:0").json()["kind"] as? String == "batch")
            let refused = try await HTTPClient.send("GET", "\(base)/v1/decisions/rec-batch-1:1")
            #expect(refused.status == 404 && refused.header("content-type") == "application/problem+json")
            #expect(try await Self.awaitOK("\(base)/v1/decisions/rec-prewarm-1:0").json()["kind"] as? String == "prewarm")
            #expect(try await Self.awaitOK("\(base)/v1/decisions/rec-event-1:0").json()["kind"] as? String == "event")

            // History: newest first, a page at a time, `fields` to keep it small.
            let history = try await HTTPClient.send("GET", "\(base)/v1/leads/R-1/history").json()
            let all = try #require(history["decisions"] as? [[String: Any]])
            #expect(all.map { $0["kind"] as? String } == ["event", "single"])
            #expect(history["next_cursor"] is NSNull)
            let first = try await HTTPClient.send("GET", "\(base)/v1/leads/R-1/history?limit=1&fields=score,kind").json()
            let firstPage = try #require(first["decisions"] as? [[String: Any]])
            #expect(firstPage.count == 1 && Set(firstPage[0].keys) == ["score", "kind"] && firstPage[0]["kind"] as? String == "event")
            let cursor = try #require(first["next_cursor"] as? String)
            let second = try await HTTPClient.send("GET", "\(base)/v1/leads/R-1/history?limit=1&fields=id&cursor=\(cursor)").json()
            #expect((second["decisions"] as? [[String: Any]])?.first?["id"] as? String == "rec-single-1:0")
            let future = try await HTTPClient.send("GET", "\(base)/v1/leads/R-1/history?since=2999-01-01T00:00:00Z").json()
            #expect((future["decisions"] as? [Any])?.isEmpty == true)
            for (query, field) in [
                ("since=yesterday", "since"), ("until=2026-13-01T00:00:00Z", "until"), ("limit=0", "limit"), ("fields=score,secret", "fields"),
                ("cursor=garbage!", "cursor"),
            ] {
                let bad = try await HTTPClient.send("GET", "\(base)/v1/leads/R-1/history?\(query)")
                #expect(bad.status == 422, "\(query)")
                #expect((try bad.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(query): \(bad.text)")
            }
        }
    }

    @Test func theQueueListsEachLeadOnceHottestFirstAndLeavesOutClosedOnes() async throws {
        try await withGateway { base in
            for (id, views) in [("Q-1", 0), ("Q-2", 40), ("Q-3", 8)] {
                let lead = try exampleLead(id: id).replacingOccurrences(of: #""pricing_page_views": 6"#, with: #""pricing_page_views": \#(views)"#)
                let scored = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: lead)
                #expect(scored.status == 200, "\(scored.text)")
            }
            _ = try await Self.awaitRecordsIdle(base)
            let queue = try await HTTPClient.send("GET", "\(base)/v1/queue").json()
            let leads = try #require(queue["leads"] as? [[String: Any]])
            #expect(Set(leads.compactMap { $0["lead_id"] as? String }) == ["Q-1", "Q-2", "Q-3"])
            let scores = leads.compactMap { $0["score"] as? Int }
            #expect(scores == scores.sorted(by: >) && scores.count == 3)
            #expect(leads.map { $0["rank"] as? Int } == [1, 2, 3] && leads.allSatisfy { $0["stale"] as? Bool == false })
            // Each badge matches the live score the API answers.
            for lead in leads {
                let id = try #require(lead["lead_id"] as? String)
                let live = try await HTTPClient.send("GET", "\(base)/v1/leads/\(id)/score").json()
                #expect(live["badge"] as? String == lead["badge"] as? String && live["score"] as? Int == lead["score"] as? Int)
            }
            let top = try #require(leads.first?["lead_id"] as? String)
            let closed = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: #"{"lead_id": "\#(top)", "outcome": "converted"}"#)
            #expect(closed.status == 200)
            let open = try await HTTPClient.send("GET", "\(base)/v1/queue").json()
            #expect((open["leads"] as? [[String: Any]])?.count == 2)
            let won = try await HTTPClient.send("GET", "\(base)/v1/queue?outcome=converted").json()
            #expect((won["leads"] as? [[String: Any]])?.compactMap { $0["lead_id"] as? String } == [top])
            for (query, field) in [("badge=hot", "badge"), ("limit=0", "limit"), ("stale=yes", "stale"), ("window_days=x", "window_days")] {
                let bad = try await HTTPClient.send("GET", "\(base)/v1/queue?\(query)")
                let named = (try bad.json()["errors"] as? [[String: Any]])?.first?["field"] as? String
                #expect(bad.status == 422 && named == field, "\(query)")
            }
        }
    }

    @Test func outcomesAreLinkedIdempotentAndValidated() async throws {
        try await withGateway { base in
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", headers: ["X-Request-Id": "out-1"], json: try exampleLead(id: "O-1"))
            _ = try await Self.awaitOK("\(base)/v1/decisions/out-1:0")
            let one = #"{"lead_id": "O-1", "outcome": "converted", "value": 412000, "source": "hubspot", "idempotency_key": "deal-77"}"#
            let stored = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: one)
            #expect(stored.status == 200, "\(stored.text)")
            let body = try stored.json()
            #expect(body["stored"] as? Int == 1 && body["duplicates"] as? Int == 0)
            #expect((body["outcomes"] as? [[String: Any]])?.first?["decision_id"] as? String == "out-1:0")
            let bulk = #"{"outcomes": [\#(one), {"lead_id": "O-2", "outcome": "lost"}]}"#
            let again = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: bulk).json()
            #expect(again["stored"] as? Int == 1 && again["duplicates"] as? Int == 1)
            let statuses = (again["outcomes"] as? [[String: Any]])?.map { $0["status"] as? String }
            #expect(statuses == ["duplicate", "stored"])
            let listed = try await HTTPClient.send("GET", "\(base)/v1/leads/O-1/outcomes").json()
            let outcomes = try #require(listed["outcomes"] as? [[String: Any]])
            #expect(outcomes.count == 1 && outcomes[0]["value"] as? Double == 412000 && outcomes[0]["decision_id"] as? String == "out-1:0")
            // An outcome before any decision links to none.
            let early = try await HTTPClient.send(
                "POST", "\(base)/v1/outcomes", json: #"{"lead_id": "O-1", "outcome": "contacted", "occurred_at": "2020-01-01T00:00:00Z"}"#
            ).json()
            #expect((early["outcomes"] as? [[String: Any]])?.first?["decision_id"] is NSNull)
            for (bad, field) in [
                (#"{"outcome": "converted"}"#, "lead_id"), (#"{"lead_id": "O-1", "outcome": "Won Big"}"#, "outcome"),
                (#"{"lead_id": "O-1", "outcome": "lost", "value": "lots"}"#, "value"),
                (#"{"lead_id": "O-1", "outcome": "lost", "occurred_at": "next tuesday"}"#, "occurred_at"),
                (#"{"lead_id": "O-1", "outcome": "lost", "colour": "red"}"#, "colour"),
                (#"{"outcomes": [{"lead_id": "O-1"}]}"#, "outcomes[0].outcome"),
                (#"{"outcomes": []}"#, "outcomes"),
            ] {
                let response = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: bad)
                #expect(response.status == 422 && response.header("content-type") == "application/problem+json", "\(bad)")
                #expect((try response.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(bad): \(response.text)")
            }
        }
    }

    @Test(arguments: ["delete", "pseudonymise"])
    func erasureRemovesTheLeadFromEveryTableAndAudits(_ mode: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-erase-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let redis = try RedisServer()
        let yaml = """
            records:
              path: \(directory)/leadgate.sqlite
              journal_path: \(directory)/records.journal
            privacy:
              erase: \(mode)
            redis:
              url: \(redis.url())
            auth:
              mode: api_key
              api_keys:
                - { name: crm-writer, key_env: LG_W, scopes: [crm.write.leads, crm.read.leads] }
            """
        let key = ["X-API-Key": "erase-test-key-0123456789"]
        try await withGateway(yaml: yaml, environment: ["LG_W": "erase-test-key-0123456789"]) { base in
            for (i, lead) in ["GONE-1", "GONE-1", "STAYS-1"].enumerated() {
                _ = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/score", headers: key.merging(["X-Request-Id": "er-\(i)"]) { $1 }, json: try exampleLead(id: lead))
            }
            _ = try await HTTPClient.send(
                "POST", "\(base)/v1/outcomes", headers: key, json: #"{"lead_id": "GONE-1", "outcome": "lost", "idempotency_key": "gone-lost"}"#)
            #expect(try await Self.awaitRecordsIdle(base)["written"] as? Int == 3)
            let erased = try await HTTPClient.send("DELETE", "\(base)/v1/leads/GONE-1", headers: key)
            #expect(erased.status == 200, "\(erased.text)")
            let records = try #require(try erased.json()["records"] as? [String: Any])
            #expect(
                records["mode"] as? String == mode && records["decisions"] as? Int == 2 && records["lead_scores"] as? Int == 2
                    && records["outcomes"] as? Int == 1)
            #expect((try erased.json()["removed"] as? [String])?.contains("leadgate:live:GONE-1") == true)
            #expect(try await HTTPClient.send("GET", "\(base)/v1/leads/GONE-1/score", headers: key).status == 404)
            #expect(
                (try await HTTPClient.send("GET", "\(base)/v1/leads/GONE-1/history", headers: key).json()["decisions"] as? [Any])?.isEmpty == true)
            #expect(
                (try await HTTPClient.send("GET", "\(base)/v1/leads/GONE-1/outcomes", headers: key).json()["outcomes"] as? [Any])?.isEmpty == true)
            #expect(try await HTTPClient.send("GET", "\(base)/v1/decisions/er-0:0", headers: key).status == (mode == "delete" ? 404 : 200))
            #expect((try await HTTPClient.send("GET", "\(base)/v1/leads/STAYS-1/history", headers: key).json()["decisions"] as? [Any])?.count == 1)
        }
        // The file itself: no row names the lead; the audit row says who erased what, without the id.
        let store = try await SQLiteRecordStore.open(path: "\(directory)/leadgate.sqlite")
        var rows: [DecisionRecord] = []
        for try await record in store.export(since: nil, until: nil) { rows.append(record) }
        #expect(rows.count == (mode == "delete" ? 1 : 3))
        #expect(!rows.contains { "\($0)".contains("GONE-1") })
        let audit = try await store.auditEntries(since: nil, limit: 10)
        #expect(audit.count == 1 && audit.first?.actor == "key:crm-writer" && audit.first?.action == "lead.erase", "\(audit)")
        #expect(audit.first.map { !$0.detailJSON.contains("GONE-1") && !$0.target.contains("GONE-1") } == true)
        try await store.close()
    }

    @Test func consentRequiredRefusesAndStoresNothing() async throws {
        try await withGateway(yaml: "privacy:\n  require_consent: true\n") { base in
            let refused = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", headers: ["X-Request-Id": "no-consent"], json: try exampleLead(id: "C-1"))
            #expect(refused.status == 422)
            let errors = try #require(try refused.json()["errors"] as? [[String: Any]])
            #expect(errors.first?["field"] as? String == "consent" && (errors.first?["message"] as? String)?.contains("require_consent") == true)
            let given = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", headers: ["X-Request-Id": "consent"], json: try exampleLead(id: "C-2", extra: #""consent": true"#))
            #expect(given.status == 200, "\(given.text)")
            #expect(try await Self.awaitOK("\(base)/v1/decisions/consent:0").status == 200)
            #expect(try await Self.awaitRecordsIdle(base)["written"] as? Int == 1)
            #expect(try await HTTPClient.send("GET", "\(base)/v1/leads/C-1/score").status == 404)
            #expect((try await HTTPClient.send("GET", "\(base)/v1/leads/C-1/history").json()["decisions"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func recordsOffSaysSo() async throws {
        try await withGateway(yaml: "records: off\n") { base in
            let response = try await HTTPClient.send("GET", "\(base)/v1/decisions/x:0")
            #expect(response.status == 404)
            #expect(try response.json()["type"] as? String == "urn:leadgate:problem:records-off")
            #expect(try await HTTPClient.send("GET", "\(base)/readyz").json()["records"] is NSNull)
            #expect(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead()).status == 200)
        }
    }

    /// PostgreSQL SIGKILLed and restarted during 10,000 score requests: afterwards the database holds
    /// exactly one decision per answered request, none twice.
    @Test func postgresKilledDuringLoadKeepsExactlyOneDecisionPerAnswer() async throws {
        let server = try PostgresServer(fsync: true)
        let database = try server.makeDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-pgload-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let yaml = """
            records:
              url: \(server.url(database: database))
              journal_path: \(directory)/records.journal
              operation_timeout_ms: 500
            """
        try await withGateway(yaml: yaml) { base in
            let counts = LoadCounts()
            let total = 10_000
            let lead = try exampleLead(id: "PG-LOAD")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while true {
                            let i = counts.next.add(1, ordering: .relaxed).newValue - 1
                            guard i < total else { return }
                            let response = try await HTTPClient.send(
                                "POST", "\(base)/v1/leads/score", headers: ["X-Request-Id": "load-\(i)"], json: lead)
                            if response.status == 200 { counts.answered.add(1, ordering: .relaxed) } else { counts.failed.add(1, ordering: .relaxed) }
                        }
                    }
                }
                group.addTask {
                    while counts.next.load(ordering: .relaxed) < 3_000 { try await Task.sleep(for: .milliseconds(20)) }
                    server.kill()
                    // Down long enough for batches to meet it (the recorder says so in /readyz).
                    let deadline = ContinuousClock.now + .seconds(10)
                    while ContinuousClock.now < deadline {
                        let records = try await HTTPClient.send("GET", "\(base)/readyz").json()["records"] as? [String: Any]
                        if (records?["journal_records"] as? Int ?? 0) > 0 { break }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    try server.start()
                }
                try await group.waitForAll()
            }
            #expect(counts.answered.load(ordering: .relaxed) == total && counts.failed.load(ordering: .relaxed) == 0)
            let records = try await Self.awaitRecordsIdle(base, timeout: .seconds(60))
            #expect((records["replayed"] as? Int ?? 0) > 0, "the kill should have sent batches to the journal: \(records)")
            #expect(records["dropped"] as? Int == 0)
            let count = try server.psql(
                database: database, "SELECT count(*), count(DISTINCT id), count(DISTINCT request_id) FROM decisions WHERE request_id LIKE 'load-%'")
            #expect(count == "\(total)|\(total)|\(total)")
            #expect(try server.psql(database: database, "SELECT count(*) FROM lead_scores") == "\(total)")
        }
    }

    @Test func twoGatewaysOnOneDatabaseMigrateOnceAndBothRecord() async throws {
        let server = try PostgresServer.shared.get()
        let database = try server.makeDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-two-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        @Sendable func yaml(_ name: String) -> String {
            "records:\n  url: \(server.url(database: database))\n  journal_path: \(directory)/\(name).journal\n  instance: \(name)\n"
        }
        try await withGateway(yaml: yaml("gw-a")) { a in
            try await withGateway(yaml: yaml("gw-b")) { b in
                #expect(
                    try await HTTPClient.send("POST", "\(a)/v1/leads/score", headers: ["X-Request-Id": "two-a"], json: try exampleLead(id: "TWO"))
                        .status == 200)
                #expect(
                    try await HTTPClient.send("POST", "\(b)/v1/leads/score", headers: ["X-Request-Id": "two-b"], json: try exampleLead(id: "TWO"))
                        .status == 200)
                _ = try await Self.awaitOK("\(a)/v1/decisions/two-b:0")
                _ = try await Self.awaitOK("\(b)/v1/decisions/two-a:0")
                let history = try await HTTPClient.send("GET", "\(a)/v1/leads/TWO/history?fields=gateway").json()
                let gateways = Set(((history["decisions"] as? [[String: Any]]) ?? []).compactMap { $0["gateway"] as? String })
                #expect(gateways == ["gw-a", "gw-b"])
            }
        }
        #expect(try server.psql(database: database, "SELECT count(*), min(version) FROM schema_migrations") == "4|1")
    }
}

/// The load loop's counters, shared by its tasks.
final class LoadCounts: Sendable {
    let answered = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let next = Atomic<Int>(0)
}
