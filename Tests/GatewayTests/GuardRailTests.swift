import Foundation
import TestSupport
import Testing

/// `learning.rerank_guard`: an LLM step whose measured lift is clearly below the bound is turned
/// off by itself; an operator turns it back on.
@Suite(.serialized) struct GuardRailTests {
    @Test func aHarmfulLLMStepIsTurnedOffAndAnOperatorTurnsItBackOn() async throws {
        // A harmful LLM: it lowers the leads whose notes say they are ready, raises the others.
        let harmful: @Sendable ([String: Any], Int) -> MockAnswer = { request, _ in
            "\(request)".contains("ready to buy") ? .adjustment(0.8, "Sounds unsure.") : .adjustment(1.2, "Sounds keen.")
        }
        try await withMockLLM(harmful) { llm, log in
            let yaml = RerankRouteTests.yaml(llm) + "learning:\n  rerank_guard: { min_lift: 0.05, after_days: 0, every_s: 1, min_outcomes: 20 }\n"
            try await withGateway(yaml: yaml) { base in
                func lead(_ i: Int, ready: Bool) throws -> String {
                    try exampleLead(id: "G-\(i)").replacingOccurrences(
                        of: "Asked about school districts; wants to move before spring.",
                        with: ready ? "Called back: ready to buy this month." : "Just browsing for now.")
                }
                for i in 0..<40 {
                    let reply = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try lead(i, ready: i % 2 == 0))
                    #expect(reply.status == 200, "\(reply.text)")
                }
                _ = try await RecordsRouteTests.awaitRecordsIdle(base)
                let outcomes = (0..<40).map { #"{"lead_id": "G-\#($0)", "outcome": "\#($0 % 2 == 0 ? "converted" : "lost")"}"# }
                let stored = try await HTTPClient.send("POST", "\(base)/v1/outcomes", json: #"{"outcomes": [\#(outcomes.joined(separator: ","))]}"#)
                #expect(stored.status == 200, "\(stored.text)")

                // The guard measures every second: the step goes off, with the figures.
                var state: [String: Any]?
                let deadline = ContinuousClock.now + .seconds(15)
                while state == nil, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    let ready = try await HTTPClient.send("GET", "\(base)/readyz").json()
                    state = (ready["llm_guard"] as? [[String: Any]])?.first { $0["model_id"] as? String == "realestate" }
                }
                let off = try #require(state, "the guard did not turn the step off")
                #expect(off["enabled"] as? Bool == false && off["by"] as? String == "guard", "\(off)")
                let lift = try #require(off["lift"] as? [String: Any])
                #expect((lift["high"] as? Double ?? 1) < 0.05 && (lift["delta"] as? Double ?? 0) < -0.3, "\(lift)")
                #expect((off["reason"] as? String)?.contains("below min_lift 0.05") == true, "\(off)")
                let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
                #expect(metrics.contains(#"leadgate_llm_step_enabled{model="realestate"} 0"#), "\(metrics.suffix(400))")

                // Off: the base score, reason `disabled`, and no call.
                let calls = log.requests.count
                let disabled = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try lead(100, ready: true)).json()
                let rerank = try #require(disabled["rerank"] as? [String: Any])
                #expect(rerank["status"] as? String == "disabled" && rerank["reason"] as? String == "disabled", "\(rerank)")
                #expect(disabled["score"] as? Int == disabled["base_score"] as? Int)
                #expect(log.requests.count == calls)

                // An operator turns it back on; the guard leaves it on for at least a day, although it
                // measures every second on the same evidence.
                let bad = try await HTTPClient.send("POST", "\(base)/v1/admin/models/realestate/llm", json: #"{"enabled": "yes"}"#)
                #expect(bad.status == 422 && bad.text.contains("enabled"), "\(bad.text)")
                let unknown = try await HTTPClient.send("POST", "\(base)/v1/admin/models/houses/llm", json: #"{"enabled": true}"#)
                #expect(unknown.status == 404, "\(unknown.text)")
                let on = try await HTTPClient.send(
                    "POST", "\(base)/v1/admin/models/realestate/llm", json: #"{"enabled": true, "reason": "New prompt; measure again."}"#)
                #expect(on.status == 200, "\(on.text)")
                #expect(try on.json()["enabled"] as? Bool == true && (try on.json()["by"] as? String) == "operator")
                #expect(try on.json()["hold_until"] is String)
                try await Task.sleep(for: .milliseconds(2500))  // two more measurements
                let stillOn = try await HTTPClient.send("GET", "\(base)/readyz").json()
                let held = (stillOn["llm_guard"] as? [[String: Any]])?.first { $0["model_id"] as? String == "realestate" }
                #expect(held?["enabled"] as? Bool == true, "\(String(describing: held))")
                let again = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try lead(101, ready: false)).json()
                #expect((again["rerank"] as? [String: Any])?["status"] as? String == "applied", "\(again)")
                #expect(log.requests.count == calls + 1)
            }
        }
    }
}
