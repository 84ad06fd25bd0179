import Foundation
import TestSupport
import Testing

/// Live scores for voice agents: prewarm, and stale-while-revalidate.
@Suite(.serialized) struct VoiceTests {
    static func yaml(_ llm: String, staleAfter: Int = 3600) -> String {
        let prompt = Paths.repositoryRoot.appendingPathComponent("prompts/lead-adjust.prompt").path
        return "llm:\n  base_url: \(llm)\n  prompt: \(prompt)\nlive_scores:\n  stale_after_s: \(staleAfter)\n"
    }

    static func rerankStatus(_ body: [String: Any]) -> String? { (body["rerank"] as? [String: Any])?["status"] as? String }

    @Test func prewarmAnswersAtOnceAndTheAdjustedScoreLandsLater() async throws {
        try await withMockLLM({ _, _ in .adjustment(1.2, delay: .milliseconds(300)) }) { llm, log in
            try await withGateway(yaml: Self.yaml(llm)) { base in
                let start = ContinuousClock.now
                let warm = try await HTTPClient.send("POST", "\(base)/v1/leads/P-1/prewarm", json: try exampleLead(id: "P-1"))
                #expect(ContinuousClock.now - start < .milliseconds(250))
                #expect(warm.status == 202, "\(warm.text.prefix(200))")
                #expect(Self.rerankStatus(try warm.json()) == "pending")
                let during = try await HTTPClient.send("GET", "\(base)/v1/leads/P-1/score").json()
                #expect(during["stale"] as? Bool == true && during["refreshing"] as? Bool == true)
                #expect(Self.rerankStatus(during) == "pending")
                var after: [String: Any] = [:]
                for _ in 0..<100 {
                    after = try await HTTPClient.send("GET", "\(base)/v1/leads/P-1/score").json()
                    if Self.rerankStatus(after) == "applied" { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(Self.rerankStatus(after) == "applied")
                #expect(after["stale"] as? Bool == false && after["refreshing"] as? Bool == false)
                #expect(log.requests.count == 1)
                // A path and body that disagree are refused; the batch form takes many.
                #expect((try await HTTPClient.send("POST", "\(base)/v1/leads/P-2/prewarm", json: try exampleLead(id: "OTHER"))).status == 422)
                let batch =
                    #"{"leads": [\#(try exampleLead(id: "B-1")), \#(try exampleLead(id: "B-2")), {"lead_id": "B-3", "features": {"tour_requested": 3}}]}"#
                let many = try await HTTPClient.send("POST", "\(base)/v1/leads/prewarm", json: batch)
                #expect(many.status == 202)
                let body = try many.json()
                #expect(body["accepted"] as? Int == 2)
                #expect((body["failed"] as? [[String: Any]])?.first?["index"] as? Int == 2)
            }
        }
    }

    @Test func aStaleScoreIsServedAtOnceAndRefreshedBehind() async throws {
        try await withMockLLM({ _, _ in .adjustment(1.1, delay: .milliseconds(100)) }) { llm, _ in
            try await withGateway(yaml: Self.yaml(llm, staleAfter: 1)) { base in
                _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "S-1"))
                let first = try await HTTPClient.send("GET", "\(base)/v1/leads/S-1/score").json()
                let asOf = try #require(first["as_of"] as? String)
                try await Task.sleep(for: .milliseconds(1_200))
                let start = ContinuousClock.now
                let stale = try await HTTPClient.send("GET", "\(base)/v1/leads/S-1/score").json()
                #expect(ContinuousClock.now - start < .milliseconds(80), "served at once, not after the refresh")
                #expect(stale["stale"] as? Bool == true && stale["refreshing"] as? Bool == true)
                #expect(stale["as_of"] as? String == asOf)
                var fresh: [String: Any] = [:]
                for _ in 0..<100 {
                    fresh = try await HTTPClient.send("GET", "\(base)/v1/leads/S-1/score").json()
                    if fresh["as_of"] as? String != asOf { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(fresh["as_of"] as? String != asOf)
                #expect(fresh["stale"] as? Bool == false)
                #expect(["applied", "cached"].contains(Self.rerankStatus(fresh) ?? ""))
            }
        }
    }

    @Test func aScoreRequestDuringARefreshIsNotOverwrittenByIt() async throws {
        try await withMockLLM({ _, _ in .adjustment(1.2, delay: .milliseconds(300)) }) { llm, log in
            try await withGateway(yaml: Self.yaml(llm)) { base in
                // A prewarm starts an LLM refresh; the CRM then sends the lead's new full picture.
                _ = try await HTTPClient.send("POST", "\(base)/v1/leads/R-9/prewarm", json: try exampleLead(id: "R-9"))
                let newer = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/score", json: try WebhookTests.hotLead("R-9")
                ).json()
                try await Task.sleep(for: .milliseconds(600))  // the refresh has answered by now
                #expect(log.requests.count >= 1)
                let live = try await HTTPClient.send("GET", "\(base)/v1/leads/R-9/score").json()
                #expect(live["score"] as? Int == newer["score"] as? Int, "the older refresh did not overwrite the newer score")
                #expect(live["badge"] as? String == "hot")
            }
        }
    }
}
