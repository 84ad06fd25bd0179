import Foundation
import Records
import Scoring
import Testing
import Training

/// The retraining loop end to end on synthetic outcomes: a gateway records decisions, outcomes come
/// back, the loop trains a challenger from the records with the real xgboost, and the promotion
/// guard decides — a better challenger goes through its share to full promotion, a worse one is
/// refused with the reason.
@Suite(.serialized) struct RetrainTests {
    /// Leads with two fields; `a` or `b` decides whether they convert (with noise), by `relation`.
    struct Leads {
        var state: UInt64

        mutating func unit() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }

        mutating func next(relation: KeyPath<(a: Double, b: Double), Double>) -> (a: Double, b: Double, converted: Bool) {
            let fields = (a: (unit() * 100).rounded() / 10, b: (unit() * 100).rounded() / 10)
            return (fields.a, fields.b, fields[keyPath: relation] + (unit() - 0.5) * 4 > 5)
        }
    }

    /// Trains model `m` version `1` (converting by `relation`) into `models/m-1`.
    static func champion(models: String, relation: KeyPath<(a: Double, b: Double), Double>) throws {
        var leads = Leads(state: 99)
        var text = "a,b,converted\n"
        for _ in 0..<600 {
            let lead = leads.next(relation: relation)
            text += "\(lead.a),\(lead.b),\(lead.converted ? 1 : 0)\n"
        }
        let data = models + "-champion.csv"
        try text.write(toFile: data, atomically: true, encoding: .utf8)
        var options = TrainingOptions(data: data, label: "converted", out: models + "/m-1")
        options.positive = "1"
        options.modelID = "m"
        options.version = "1"
        options.threads = 1
        options.leakAUC = 0.9999
        _ = try Trainer.run(options) { _ in }
    }

    /// Scores `count` leads in one batch and sends their outcomes back.
    static func scoreAndReport(
        _ base: String, prefix: String, count: Int, leads: inout Leads, relation: KeyPath<(a: Double, b: Double), Double>, outcomes: Bool = true
    ) async throws {
        var batch: [String] = []
        var results: [String] = []
        for i in 0..<count {
            let lead = leads.next(relation: relation)
            batch.append(#"{"lead_id": "\#(prefix)-\#(i)", "features": {"a": \#(lead.a), "b": \#(lead.b)}}"#)
            results.append(#"{"lead_id": "\#(prefix)-\#(i)", "outcome": "\#(lead.converted ? "converted" : "lost")"}"#)
        }
        let scored = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: #"{"leads": [\#(batch.joined(separator: ","))]}"#)
        #expect(scored.status == 200, "\(scored.text.prefix(300))")
        _ = try await RecordsRouteTests.awaitRecordsIdle(base)
        guard outcomes else { return }
        let stored = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: #"{"outcomes": [\#(results.joined(separator: ","))]}"#)
        #expect(stored.status == 200, "\(stored.text.prefix(300))")
    }

    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-retrain-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/models", withIntermediateDirectories: true)
        return path
    }

    static func yaml(_ folder: String, extra: String = "") -> String {
        """
        models:
          directory: \(folder)/models
        records:
          path: \(folder)/leadgate.sqlite
          journal_path: \(folder)/records.journal
        learning:
          min_outcomes: 40
          retrain:
            holdout_fraction: 0.25
            challenger_share: 0.5
            challenger_hours: 0.002  # 7.2 s
            check_s: 1
            work_dir: \(folder)/work
        \(extra)
        """
    }

    static func events(_ folder: String) async throws -> [(action: String, detail: String)] {
        let store = try await SQLiteRecordStore.open(path: folder + "/leadgate.sqlite")
        let entries = try await store.auditEntries(since: nil, limit: 100)
        try await store.close()
        return entries.filter { $0.action.hasPrefix("model.") }.sorted { $0.time < $1.time }.map { ($0.action, $0.detailJSON) }
    }

    @Test func aBetterChallengerServesItsShareThenIsPromotedAndRollsBackByHand() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The champion learnt that `b` decides; the leads now convert by `a`.
        try Self.champion(models: folder + "/models", relation: \.b)
        try await withGateway(yaml: Self.yaml(folder)) { base in
            var leads = Leads(state: 1)
            // Nothing to learn from yet.
            let early = try await HTTPClient.send("POST", "\(base)/v1/admin/models/m/retrain", json: "{}").json()
            #expect(
                early["type"] as? String == "model.retrain" && (early["reason"] as? String)?.hasPrefix("skipped: 0 decisions") == true, "\(early)")

            try await Self.scoreAndReport(base, prefix: "R", count: 400, leads: &leads, relation: \.a)
            let step = try await HTTPClient.send("POST", "\(base)/v1/admin/models/m/retrain", json: "{}")
            #expect(step.status == 200, "\(step.text)")
            let body = try step.json()
            #expect(body["type"] as? String == "model.challenger", "\(body)")
            let (championAUC, challengerAUC) = (body["champion_auc"] as? Double ?? 1, body["challenger_auc"] as? Double ?? 0)
            #expect(challengerAUC > 0.8 && championAUC < 0.65, "\(body)")
            #expect(body["leads"] as? Int == 100 && body["passed"] as? Bool == true, "\(body)")
            let candidate = try #require(body["candidate"] as? String)
            #expect(candidate.hasPrefix("m@") && candidate != "m@1")

            // On trial: half the leads (by id) score with the challenger.
            let models = try await HTTPClient.send("GET", "\(base)/v1/models").json()
            let rollout = try #require(models["rollout"] as? [String: Any], "\(models)")
            #expect(rollout["stage"] as? String == "challenger" && rollout["challenger"] as? String == candidate, "\(rollout)")
            #expect(rollout["default"] as? String == "m@1" && rollout["challenger_share"] as? Double == 0.5, "\(rollout)")
            let roles = (models["models"] as? [[String: Any]] ?? []).map { "\($0["version"] ?? "")=\($0["roles"] ?? "")" }
            #expect(roles.count == 2, "\(roles)")

            // The trial ends on its own (challenger_hours has passed): full promotion.
            var stage = ""
            let deadline = ContinuousClock.now + .seconds(40)
            while stage != "full", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(300))
                let now = try await HTTPClient.send("GET", "\(base)/v1/models").json()
                stage = ((now["rollout"] as? [String: Any])?["stage"] as? String) ?? ""
            }
            let promoted = try #require(try await HTTPClient.send("GET", "\(base)/v1/models").json()["rollout"] as? [String: Any])
            #expect(promoted["stage"] as? String == "full" && promoted["default"] as? String == candidate, "\(promoted)")
            #expect(promoted["previous"] as? String == "m@1" && (promoted["reason"] as? String)?.hasPrefix("promoted after") == true, "\(promoted)")
            let scored = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: #"{"lead_id": "after", "features": {"a": 9, "b": 1}}"#)
            #expect((try scored.json()["model"] as? [String: Any])?["version"] as? String == candidate.dropFirst(2).description, "\(scored.text)")

            // By hand: an unknown version is refused by name; a rollback puts m@1 back.
            let bad = try await HTTPClient.send("POST", "\(base)/v1/admin/models/m/promote", json: #"{"version": "nope"}"#)
            #expect(bad.status == 404 && bad.text.contains("no-version") && bad.text.contains("`version` `nope`"), "\(bad.text)")
            let missing = try await HTTPClient.send("POST", "\(base)/v1/admin/models/m/promote", json: #"{"share": 2}"#)
            #expect(
                missing.status == 422 && missing.text.contains(#""field":"version""#) && missing.text.contains(#""field":"share""#), "\(missing.text)"
            )
            let back = try await HTTPClient.send("POST", "\(base)/v1/admin/models/m/rollback", json: "{}")
            let restored = try back.json()["default"] as? String
            #expect(back.status == 200 && restored == "m@1", "\(back.text)")
            let again = try await HTTPClient.send("POST", "\(base)/v1/admin/models/m/rollback", json: "{}")
            #expect(again.status == 409 && again.text.contains("nothing-to-roll-back"), "\(again.text)")
            let trial = try await HTTPClient.send(
                "POST", "\(base)/v1/admin/models/m/promote", json: #"{"version": "\#(candidate.dropFirst(2))", "share": 0.2}"#)
            let share = try trial.json()["challenger_share"] as? Double
            #expect(trial.status == 200 && share == 0.2, "\(trial.text)")
        }
        let events = try await Self.events(folder)
        #expect(
            events.map(\.action) == ["model.retrain", "model.challenger", "model.promote", "model.rollback", "model.challenger"],
            "\(events.map(\.action))")
        #expect(events[1].detail.contains(#""passed":true"#), "\(events[1].detail)")
    }

    @Test func aWorseChallengerIsRefusedWithTheReason() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The champion learnt that `a` decides. The older records converted by `b`, the most recent
        // (held out) by `a` again: a challenger trained on the older ones ranks the recent ones worse.
        try Self.champion(models: folder + "/models", relation: \.a)
        try await withGateway(yaml: Self.yaml(folder)) { base in
            var leads = Leads(state: 2)
            try await Self.scoreAndReport(base, prefix: "old", count: 300, leads: &leads, relation: \.b)
            try await Self.scoreAndReport(base, prefix: "new", count: 150, leads: &leads, relation: \.a)
            let body = try await HTTPClient.send("POST", "\(base)/v1/admin/models/m/retrain", json: "{}").json()
            #expect(body["type"] as? String == "model.refuse", "\(body)")
            #expect((body["reason"] as? String)?.hasPrefix("refused: the challenger's AUC is below the champion's") == true, "\(body)")
            #expect((body["champion_auc"] as? Double ?? 0) > (body["challenger_auc"] as? Double ?? 1) + 0.1, "\(body)")
            let models = try await HTTPClient.send("GET", "\(base)/v1/models").json()
            #expect(models["rollout"] == nil && (models["models"] as? [Any])?.count == 1, "nothing changed: \(models)")
        }
        #expect(try await Self.events(folder).map(\.action) == ["model.refuse"])
    }

    @Test func theScheduleRetrainsOncePerPeriodAcrossGateways() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.champion(models: folder + "/models", relation: \.a)
        let store = try await SQLiteRecordStore.open(path: folder + "/leadgate.sqlite")
        _ = try await store.migrate()
        let registry = try ModelRegistry(selection: ModelSelection(directory: folder + "/models"))
        var settings = RetrainSettings()
        settings.everySeconds = 3_600
        settings.workDirectory = folder + "/work"
        let a = Retrainer(settings: settings, store: store, registry: registry, holder: "gw-a")
        let b = Retrainer(settings: settings, store: store, registry: registry, holder: "gw-b")
        let now = Date()
        async let first = a.tick(now: now)
        async let second = b.tick(now: now)
        let steps = try await [first, second].flatMap { $0 }
        #expect(steps.map(\.action) == ["model.retrain"], "one gateway retrains (here: too few outcomes): \(steps.map(\.reason))")
        #expect(try await a.tick(now: now.addingTimeInterval(60)).isEmpty, "not due again within the period")
        #expect(try await b.tick(now: now.addingTimeInterval(3_600)).count == 1, "due again after it")
        try await store.close()
    }
}
