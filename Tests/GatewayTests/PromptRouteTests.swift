import Foundation
import Gateway
import Reranker
import TestSupport
import Testing

/// Prompt operations through a running gateway: listing, dry runs, hot reload, A/B and rollout.
@Suite(.serialized) struct PromptRouteTests {
    static let shipped = Paths.repositoryRoot.appendingPathComponent("prompts/lead-adjust.prompt")

    /// A prompt folder of its own, with the shipped prompt and `extra` files.
    static func folder(_ extra: [String: String] = [:]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-prompts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: shipped, to: dir.appendingPathComponent("lead-adjust.prompt"))
        for (name, text) in extra { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    static func variant(id: String, version: String = "1", marker: String) throws -> String {
        try String(contentsOf: shipped, encoding: .utf8).replacingOccurrences(of: "id: lead-adjust", with: "id: \(id)")
            .replacingOccurrences(of: "version: 1", with: "version: \(version)")
            .replacingOccurrences(of: "You review real-estate leads", with: "\(marker) You review real-estate leads")
    }

    static func yaml(_ llm: String, _ dir: URL, candidate: String? = nil, share: Double = 0) -> String {
        var text = "llm:\n  base_url: \(llm)\n  prompt: \(dir.appendingPathComponent("lead-adjust.prompt").path)\n"
        if let candidate { text += "  candidate_prompt: \(candidate)\n  candidate_share: \(share)\n" }
        return text
    }

    static func prompt(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(((try response.json())["rerank"] as? [String: Any])?["prompt"] as? [String: Any])
    }

    /// Polls `GET /v1/prompts` until `condition` holds (up to 3 s); returns how long it took.
    static func waitForPrompts(_ base: String, _ condition: ([String: Any]) -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(3) {
            if condition(try await HTTPClient.send("GET", "\(base)/v1/prompts").json()) { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func listRenderAndTry() async throws {
        let dir = try Self.folder(["broken.prompt": "---\nid: broken\n---\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withMockLLM({ _, _ in .adjustment(1.15, "Cash buyer.") }) { llm, log in
            try await withGateway(yaml: Self.yaml(llm, dir)) { base in
                let list = try await HTTPClient.send("GET", "\(base)/v1/prompts").json()
                #expect((list["rollout"] as? [String: Any])?["live"] as? String == "lead-adjust")
                let prompts = try #require(list["prompts"] as? [[String: Any]])
                let live = try #require(prompts.first { $0["id"] as? String == "lead-adjust" })
                #expect(live["role"] as? String == "live")
                #expect((live["hash"] as? String)?.count == 64)
                #expect((live["variables"] as? [String])?.contains("notes_block") == true)
                let broken = try #require(prompts.first { $0["file"] as? String == "broken.prompt" })
                #expect((broken["error"] as? String)?.contains("version") == true)

                let rendered = try await HTTPClient.send("POST", "\(base)/v1/prompts/lead-adjust/render", json: try exampleLead())
                #expect(rendered.status == 200, "\(rendered.text.prefix(300))")
                let body = try rendered.json()
                let user = ((body["messages"] as? [[String: String]])?.last?["content"]) ?? ""
                #expect(user.contains("Model score: 47/100 (warm)") && user.contains("school districts"))
                #expect((body["request"] as? [String: Any])?["model"] as? String == "gpt-4o-mini")
                #expect(log.requests.isEmpty, "a dry run called the LLM")

                let tried = try await HTTPClient.send("POST", "\(base)/v1/prompts/lead-adjust/try", json: try exampleLead())
                let trial = try tried.json()
                #expect(log.requests.count == 1)
                #expect((trial["answer"] as? [String: Any])?["http_status"] as? Int == 200)
                #expect(((trial["answer"] as? [String: Any])?["body"] as? String)?.contains("Cash buyer.") == true)
                #expect((trial["rerank"] as? [String: Any])?["status"] as? String == "applied")
                let probability = try #require(trial["probability"] as? Double)
                #expect(trial["score"] as? Int == Int((100 * probability * 1.15).rounded()))
                // A try writes no cache: scoring the same lead calls the LLM again.
                let scored = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
                #expect(((try scored.json())["rerank"] as? [String: Any])?["status"] as? String == "applied")
                // The access log names the prompt and its hash (from this header).
                #expect(scored.header("x-leadgate-prompt") == "lead-adjust@1 \(live["hash"] as? String ?? "?")")
                #expect(log.requests.count == 2)
                #expect((try await HTTPClient.send("POST", "\(base)/v1/prompts/nope/render", json: try exampleLead())).status == 404)
            }
        }
    }

    @Test func editsGoLiveBrokenEditsAreRefusedAndRevertsWork() async throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("lead-adjust.prompt")
        let original = try String(contentsOf: file, encoding: .utf8)
        try await withMockLLM({ _, _ in .adjustment(1.0) }) { llm, log in
            try await withGateway(yaml: Self.yaml(llm, dir)) { base in
                let first = try Self.prompt(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "E-1")))
                let firstHash = try #require(first["hash"] as? String)
                // A good edit is live within 2 s, under its new hash (so the cache cannot serve the old answer).
                try original.replacingOccurrences(of: "version: 1", with: "version: 2").replacingOccurrences(
                    of: "You review", with: "Carefully, you review"
                )
                .write(to: file, atomically: true, encoding: .utf8)
                let took = try await Self.waitForPrompts(base) { list in
                    ((list["prompts"] as? [[String: Any]])?.first { $0["id"] as? String == "lead-adjust" })?["version"] as? String == "2"
                }
                #expect(took != nil && took! < .seconds(2), "\(String(describing: took))")
                let second = try Self.prompt(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "E-1")))
                #expect(second["version"] as? String == "2")
                #expect(second["hash"] as? String != firstHash)
                #expect((log.requests.last?["messages"] as? [[String: String]])?.first?["content"]?.hasPrefix("Carefully") == true)
                // A broken edit is refused; version 2 keeps serving; the error is listed.
                try original.replacingOccurrences(of: "{{base_score}}", with: "{{#base_score}}").write(to: file, atomically: true, encoding: .utf8)
                #expect(
                    try await Self.waitForPrompts(base) { list in
                        ((list["prompts"] as? [[String: Any]])?.first { $0["file"] as? String == "lead-adjust.prompt" })?["error"] != nil
                    } != nil)
                let third = try Self.prompt(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "E-2")))
                #expect(third["version"] as? String == "2")
                let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
                #expect(metrics.contains("leadgate_prompt_files_refused 1"))
                // Reverting brings the original back, hash and all.
                try original.write(to: file, atomically: true, encoding: .utf8)
                #expect(
                    try await Self.waitForPrompts(base) { list in
                        ((list["prompts"] as? [[String: Any]])?.first { $0["id"] as? String == "lead-adjust" })?["hash"] as? String == firstHash
                    } != nil)
            }
        }
    }

    @Test func aCandidateGetsAStickyShareAndTheRolloutChangesInOneStep() async throws {
        let dir = try Self.folder(["lead-adjust-v2.prompt": try Self.variant(id: "lead-adjust-v2", marker: "V2.")])
        defer { try? FileManager.default.removeItem(at: dir) }
        try await withMockLLM({ _, _ in .adjustment(1.0) }) { llm, _ in
            try await withGateway(yaml: Self.yaml(llm, dir, candidate: "lead-adjust-v2", share: 0.3)) { base in
                var roles: [String: String] = [:]
                for i in 0..<120 {
                    let prompt = try Self.prompt(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "AB-\(i)")))
                    roles["AB-\(i)"] = prompt["id"] as? String
                }
                let share = Double(roles.values.filter { $0 == "lead-adjust-v2" }.count) / Double(roles.count)
                #expect(abs(share - 0.3) < 0.13, "\(share)")
                // Sticky: the same leads see the same prompts again.
                for i in 0..<20 {
                    let prompt = try Self.prompt(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "AB-\(i)")))
                    #expect(prompt["id"] as? String == roles["AB-\(i)"])
                }
                let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
                #expect(metrics.contains(#"prompt="lead-adjust-v2@1""#), "no outcome labelled with the candidate")
                #expect(metrics.contains(#"leadgate_prompt_info{id="lead-adjust-v2",version="1""#), "no prompt_info for the candidate")
                // Promote in one admin call.
                let promote = try await HTTPClient.send(
                    "PUT", "\(base)/v1/admin/prompts/rollout", json: #"{"live": "lead-adjust-v2", "candidate": null}"#)
                #expect(promote.status == 200, "\(promote.text)")
                let after = try Self.prompt(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "AB-99")))
                #expect(after["id"] as? String == "lead-adjust-v2" && after["role"] as? String == "live")
                let bad = try await HTTPClient.send("PUT", "\(base)/v1/admin/prompts/rollout", json: #"{"live": "nope"}"#)
                #expect(bad.status == 422)
                // Roll back with one line in rollout.yaml, live within 2 s.
                try "live: lead-adjust\n".write(to: dir.appendingPathComponent("rollout.yaml"), atomically: true, encoding: .utf8)
                let took = try await Self.waitForPrompts(base) { list in
                    (list["rollout"] as? [String: Any])?["live"] as? String == "lead-adjust"
                }
                #expect(took != nil && took! < .seconds(2))
                let back = try Self.prompt(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "AB-99")))
                #expect(back["id"] as? String == "lead-adjust")
            }
        }
    }

    @Test func theStickyShareHoldsOverManyLeads() throws {
        let dir = try Self.folder(["b.prompt": try Self.variant(id: "b", marker: "B.")])
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = try PromptRegistry(directory: dir.path, rollout: .init(live: "lead-adjust", candidate: "b", share: 0.25))
        let snapshot = registry.snapshot
        var candidate = 0
        for i in 0..<20_000 where registry.select(leadID: "lead-\(i)", in: snapshot)?.role == "candidate" { candidate += 1 }
        #expect(abs(Double(candidate) / 20_000 - 0.25) < 0.015, "\(candidate)")
        for i in 0..<100 {
            #expect(registry.select(leadID: "lead-\(i)", in: snapshot)?.role == registry.select(leadID: "lead-\(i)", in: snapshot)?.role)
        }
    }
}
