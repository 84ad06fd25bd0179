import Foundation
import Records
import TestSupport
import Testing

/// `GET /v1/models/{id}/performance`: decisions a gateway recorded, outcomes sent back, and the
/// measures — including whether the LLM step helped — computed from the system of record.
@Suite(.serialized) struct PerformanceRouteTests {
    @Test func outcomesTurnIntoLiveMeasuresAndTheLLMsLift() async throws {
        // A helpful LLM: it raises leads whose notes say they are ready and lowers the others.
        let helpful: @Sendable ([String: Any], Int) -> MockAnswer = { request, _ in
            "\(request)".contains("ready to buy") ? .adjustment(1.2, "Says they are ready to buy.") : .adjustment(0.8, "Just browsing.")
        }
        try await withMockLLM(helpful) { llm, _ in
            try await withGateway(yaml: RerankRouteTests.yaml(llm)) { base in
                // Forty leads with the same fields: the model cannot tell them apart, the notes can.
                for i in 0..<40 {
                    let notes = i % 2 == 0 ? "Called back: ready to buy this month." : "Just browsing for now."
                    let lead = try exampleLead(id: "P-\(i)").replacingOccurrences(
                        of: "Asked about school districts; wants to move before spring.", with: notes)
                    let reply = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: lead)
                    #expect(reply.status == 200, "\(reply.text)")
                }
                _ = try await RecordsRouteTests.awaitRecordsIdle(base)
                let outcomes = (0..<40).map { #"{"lead_id": "P-\#($0)", "outcome": "\#($0 % 2 == 0 ? "converted" : "lost")"}"# }
                let stored = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: #"{"outcomes": [\#(outcomes.joined(separator: ","))]}"#)
                #expect(stored.status == 200, "\(stored.text)")

                let response = try await HTTPClient.send("GET", "\(base)/v1/models/realestate/performance")
                #expect(response.status == 200, "\(response.text)")
                let body = try response.json()
                let windows = try #require(body["windows"] as? [[String: Any]])
                #expect(windows.map { $0["days"] as? Int } == [7, 30, 90])
                let overall = try #require(windows[0]["overall"] as? [String: Any])
                #expect(overall["leads"] as? Int == 40 && overall["converted"] as? Int == 20, "\(overall)")
                // Every lead has the same probability: the model alone ranks at chance.
                #expect(overall["auc"] as? Double == 0.5, "\(overall)")
                let lift = try #require(overall["llm_lift"] as? [String: Any], "\(overall)")
                // Every call should answer within the budget; one late call on a loaded machine
                // leaves its lead at the base score (and costs the final AUC a little).
                #expect((lift["adjusted"] as? Int ?? 0) >= 36, "\(lift)")
                #expect(lift["base_auc"] as? Double == 0.5 && (lift["final_auc"] as? Double ?? 0) > 0.9, "\(lift)")
                #expect((lift["low"] as? Double ?? 0) > 0.3, "the interval is clear of zero: \(lift)")
                let badges = try #require(overall["badges"] as? [String: [String: Any]])
                #expect(badges.values.reduce(0) { $0 + ($1["leads"] as? Int ?? 0) } == 40)
                let versions = try #require(windows[0]["by_version"] as? [[String: Any]])
                #expect(versions.count == 1 && ((versions[0]["measures"] as? [String: Any])?["leads"] as? Int) == 40, "\(versions)")
                let prompts = try #require(windows[0]["by_prompt"] as? [[String: Any]])
                #expect(prompts.count == 1 && (prompts[0]["prompt"] as? String)?.contains("@") == true, "\(prompts)")

                let one = try await HTTPClient.send("GET", "\(base)/v1/models/realestate/performance?window_days=1&positive=lost").json()
                let lost = try #require(((one["windows"] as? [[String: Any]])?.first?["overall"]) as? [String: Any])
                #expect(lost["converted"] as? Int == 20 && ((lost["llm_lift"] as? [String: Any])?["final_auc"] as? Double ?? 1) < 0.1)

                for (query, field) in [("window_days=0", "window_days"), ("window_days=7,,30", "window_days"), ("positive=", "positive")] {
                    let bad = try await HTTPClient.send("GET", "\(base)/v1/models/realestate/performance?\(query)")
                    #expect(bad.status == 422 && bad.header("content-type") == "application/problem+json", "\(query): \(bad.text)")
                    #expect((try bad.json()["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(bad.text)")
                }
                let unknown = try await HTTPClient.send("GET", "\(base)/v1/models/houses/performance")
                #expect(unknown.status == 404 && unknown.text.contains("no-model"), "\(unknown.text)")
            }
        }
    }
}

extension PerformanceRouteTests {
    @Test func snapshotsGoToModelPerformanceAndTheGauges() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-perf-\(UUID().uuidString)").path
        let yaml = "records:\n  path: \(folder)/leadgate.sqlite\nlearning:\n  performance: { every_s: 1, window_days: 30 }\n"
        try await withGateway(yaml: yaml) { base in
            for i in 0..<30 {
                let reply = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "S-\(i)"))
                #expect(reply.status == 200, "\(reply.text)")
            }
            _ = try await RecordsRouteTests.awaitRecordsIdle(base)
            let outcomes = (0..<30).map { #"{"lead_id": "S-\#($0)", "outcome": "\#($0 % 3 == 0 ? "converted" : "lost")"}"# }
            let stored = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: #"{"outcomes": [\#(outcomes.joined(separator: ","))]}"#)
            #expect(stored.status == 200, "\(stored.text)")
            var metrics = ""
            let deadline = ContinuousClock.now + .seconds(15)
            while !metrics.contains(#"measure="accuracy""#), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(300))
                metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
            }
            // Every lead has the same probability (below 0.5): accuracy is the share that did not convert.
            #expect(
                metrics.contains(#"leadgate_model_performance{model="realestate",version="2026.11.0",measure="accuracy"} 0.6666"#),
                "\(metrics.suffix(500))")
            #expect(metrics.contains(#"measure="auc"} 0.5"#), "\(metrics.suffix(500))")
        }
        let store = try await SQLiteRecordStore.open(path: folder + "/leadgate.sqlite")
        let rows = try await store.performanceHistory(modelID: "realestate", limit: 5)
        try await store.close()
        let row = try #require(rows.first)
        #expect(row.version == "2026.11.0" && row.leads == 30 && row.converted == 10 && row.windowDays == 30, "\(row)")
        #expect(row.precision == nil && row.recall == 0 && row.auc == 0.5, "\(row)")
    }
}
