import Foundation
import Testing

/// A model trained by `leadgate train`, served, and its live inputs compared with the training
/// reference in its model card: the same distribution is `ok`, a shifted one alerts on the fields
/// that moved.
@Suite struct DriftTests {
    /// The holdout rows as lead JSON, optionally shifted.
    static func leads(_ holdout: String, prefix: String, shift: Bool) throws -> [String] {
        let lines = try String(contentsOfFile: holdout, encoding: .utf8).split(separator: "\n").dropFirst()
        var leads: [String] = []
        for (i, line) in lines.enumerated() {
            // lead_id,pricing_page_views,listing_views,budget_to_price_ratio,mortgage_preapproved,lead_source,label
            var cells: [String] = []
            var cell = ""
            var quoted = false
            var previousWasQuote = false
            for c in line {
                if c == "\"" {
                    if !quoted, previousWasQuote { cell.append("\"") }  // a doubled quote inside quotes
                    quoted.toggle()
                    previousWasQuote = !previousWasQuote
                    continue
                }
                previousWasQuote = false
                if c == ",", !quoted {
                    cells.append(cell)
                    cell = ""
                } else {
                    cell.append(c)
                }
            }
            cells.append(cell)
            guard cells.count == 7 else { continue }
            let views = (Int(cells[1]) ?? 0) + (shift ? 40 : 0)
            let source = shift ? "Billboard" : cells[5].replacingOccurrences(of: "\"", with: "\\\"")
            var features =
                #""pricing_page_views":\#(views),"budget_to_price_ratio":\#(cells[3]),"mortgage_preapproved":\#(cells[4] == "Yes"),"lead_source":"\#(source)""#
            if !cells[2].isEmpty { features += #","listing_views":\#(cells[2])"# }
            leads.append(#"{"lead_id":"\#(prefix)-\#(i)","features":{\#(features)},"options":{"model":"leads"}}"#)
        }
        return leads
    }

    static func drift(_ server: ServeTests.Server, window: Int = 7) throws -> [String: Any] {
        let reply = try ServeTests.curl([server.url("/v1/models/leads/drift?window_days=\(window)").absoluteString])
        #expect(reply.status == 200, "\(reply.body)")
        return try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
    }

    @Test func shiftedInputsAreFlaggedOnTheFieldsThatMoved() throws {
        let dir = NSTemporaryDirectory() + "leadgate-drift-\(UUID().uuidString)"
        let data = LeadgateCLITests.fixtures.appendingPathComponent("training/leads.csv").path
        let train = try LeadgateCLITests.run([
            "train", "--data", data, "--label", "converted", "--out", dir + "/models/leads", "--holdout-out", dir + "/holdout.csv",
            "--holdout-fraction", "0.3", "--threads", "2",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        // Served beside the default model (config/leadgate.yaml makes `realestate` the default).
        try FileManager.default.copyItem(
            atPath: LeadgateCLITests.root.appendingPathComponent("config/models/realestate").path, toPath: dir + "/models/realestate")
        let server = try ServeTests.Server(arguments: ["--models", dir + "/models"])
        defer { kill(server.process.processIdentifier, SIGTERM) }

        func score(_ leads: [String]) throws {
            let reply = try ServeTests.curl([
                "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", #"{"leads":["# + leads.joined(separator: ",") + "]}",
                server.url("/v1/leads/batch-score").absoluteString,
            ])
            #expect(reply.status == 200, "\(reply.body.prefix(400))")
        }
        // Unseen leads from the training distribution: no drift.
        let same = try Self.leads(dir + "/holdout.csv", prefix: "same", shift: false)
        #expect(same.count == 240)
        try score(same)
        Thread.sleep(forTimeInterval: 1.5)  // records reach the store within a second
        let calm = try Self.drift(server)
        #expect(calm["decisions"] as? Int == 240, "\(calm)")
        #expect(calm["status"] as? String == "ok", "\(calm)")

        // Twice as many shifted leads: more pricing-page views than training ever saw, one rare source.
        try score(try Self.leads(dir + "/holdout.csv", prefix: "shift-a", shift: true))
        try score(try Self.leads(dir + "/holdout.csv", prefix: "shift-b", shift: true))
        Thread.sleep(forTimeInterval: 1.5)
        let shifted = try Self.drift(server)
        #expect(shifted["status"] as? String == "alert", "\(shifted)")
        let fields = try #require(shifted["fields"] as? [[String: Any]])
        let status = Dictionary(uniqueKeysWithValues: fields.map { ($0["field"] as? String ?? "", $0["status"] as? String ?? "") })
        #expect(status["pricing_page_views"] == "alert" && status["lead_source"] == "alert", "\(fields)")
        #expect(status["budget_to_price_ratio"] == "ok", "an unshifted field stays calm: \(fields)")
        #expect((shifted["probability_psi"] as? Double ?? 0) > 0.1, "\(shifted)")

        // /readyz and /metrics carry the latest check.
        let ready = try ServeTests.curl([server.url("/readyz").absoluteString]).body
        #expect(ready.contains(#""drift":[{"model_id":"leads""#) && ready.contains(#""status":"alert""#), "\(ready)")
        let metrics = try ServeTests.curl([server.url("/metrics").absoluteString]).body
        #expect(
            metrics.contains(#"leadgate_model_drift_psi{model="leads""#) && metrics.contains(#"field="pricing_page_views""#), "\(metrics.suffix(600))"
        )

        let bad = try ServeTests.curl([server.url("/v1/models/leads/drift?window_days=0").absoluteString])
        #expect(bad.status == 422 && bad.body.contains("window_days"), "\(bad.body)")
    }

    @Test func aModelWithoutACardHasNoReference() throws {
        let server = try ServeTests.Server()
        defer { kill(server.process.processIdentifier, SIGTERM) }
        let reply = try ServeTests.curl([server.url("/v1/models/realestate/drift").absoluteString])
        #expect(reply.status == 404 && reply.body.contains("no-reference"), "\(reply.body)")
    }
}
