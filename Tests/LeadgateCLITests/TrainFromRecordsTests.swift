import Foundation
import Testing

/// `leadgate train --from-records`: decisions a real gateway recorded, joined to outcomes sent
/// through the API, become a model.
@Suite struct TrainFromRecordsTests {
    @Test func recordedDecisionsAndOutcomesTrainAModel() throws {
        let dir = NSTemporaryDirectory() + "leadgate-train-records-\(UUID().uuidString)"
        let file = dir + "/leadgate.sqlite"
        let server = try ServeTests.Server(environment: ["LEADGATE_RECORDS_URL": file])
        // 400 leads in batches of 100; whether a lead converts follows its pricing-page views.
        var converted: [Bool] = []
        for batch in 0..<4 {
            var leads: [String] = []
            for j in 0..<100 {
                let i = batch * 100 + j
                let views = (i * 7) % 13
                converted.append((views >= 7) != (i % 10 == 0))  // one lead in ten goes the other way
                leads.append(
                    #"{"lead_id":"r-\#(i)","features":{"pricing_page_views":\#(views),"listing_views":\#((i * 5) % 30),"tour_requested":\#(i % 3 == 0),"lead_source":"\#(i % 2 == 0 ? "zillow" : "referral")"}}"#
                )
            }
            let reply = try ServeTests.curl([
                "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", #"{"leads":["# + leads.joined(separator: ",") + "]}",
                server.url("/v1/leads/batch-score").absoluteString,
            ])
            #expect(reply.status == 200, "\(reply.body.prefix(300))")
        }
        // Outcomes for 300 of them (the last 100 have none: they are not training rows).
        Thread.sleep(forTimeInterval: 1.5)  // the recorder flushes at least every second
        var outcomes: [String] = []
        for i in 0..<300 { outcomes.append(#"{"lead_id":"r-\#(i)","outcome":"\#(converted[i] ? "converted" : "lost")"}"#) }
        let stored = try ServeTests.curl([
            "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", #"{"outcomes":["# + outcomes.joined(separator: ",") + "]}",
            server.url("/v1/outcomes").absoluteString,
        ])
        #expect(stored.status == 200, "\(stored.body.prefix(300))")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(server.waitForExit() == 0, "\(server.logText.suffix(400))")

        let train = try LeadgateCLITests.run([
            "train", "--from-records", "--records", file, "--out", dir + "/model", "--threads", "2", "--holdout-fraction", "0.25",
        ])
        #expect(train.status == 0, "\(train.stderr.suffix(1500))")
        #expect(train.stderr.contains("400 decisions, 300 leads with an outcome → 300 training rows"), "\(train.stderr)")
        let card = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/model/model-card.json"))) as? [String: Any])
        let holdout = try #require(card["holdout"] as? [String: Any])
        #expect((holdout["rows"] as? Int) == 75)
        #expect((holdout["auc"] as? Double ?? 0) > 0.8, "\(holdout)")
        // Split by decision time; the model's fields are the leads' features.
        #expect((card["split"] as? [String: Any])?["method"] as? String == "time")
        let fields = (card["fields"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(Set(fields).isSuperset(of: ["pricing_page_views", "listing_views", "tour_requested"]), "\(fields)")
        #expect(!fields.contains("model") && !fields.contains("lead_id") && !fields.contains("decided_at"))

        let none = try LeadgateCLITests.run(["train", "--from-records", "--records", dir + "/empty.sqlite", "--out", dir + "/none"])
        #expect(none.status != 0 && none.stderr.contains("no recorded decision has an outcome yet"), "\(none.stderr)")
    }
}
