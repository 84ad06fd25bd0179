import Foundation
import Gateway
import Logging
import PromptOps
import Records
import Scoring
import TestSupport
import Testing

/// `leadgate records replay --prompt`: recorded inputs re-scored with a prompt, against a test LLM.
@Suite(.serialized) struct RecordsReplayTests {
    @Test func aPromptReplayReportsDeltasAndFlipsAndWritesNothing() async throws {
        let folder = NSTemporaryDirectory() + "leadgate-replay-\(UUID().uuidString)"
        let store = SQLiteRecordStore(path: folder + "/records.sqlite", logger: Logger(label: "test"))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try await store.migrate()
        let lead = try String(contentsOf: Paths.exampleLead, encoding: .utf8)
        var decisions: [DecisionRecord] = []
        for i in 0..<20 {
            let notes = i % 2 == 0 ? "Pre-approved, wants to close fast" : "Just browsing, no rush"
            let input = lead.replacingOccurrences(of: "\"L-1001\"", with: "\"R-\(i)\"")
                .replacingOccurrences(of: "Asked about school districts; wants to move before spring.", with: notes)
            decisions.append(
                DecisionRecord(
                    requestID: "replay-\(i)", index: 0, leadID: "R-\(i)", time: Date(timeIntervalSince1970: 1_780_000_000 + Double(i)),
                    kind: .single, caller: nil, gatewayInstance: "test", model: .init(id: "realestate", version: "2026.11.0", role: "default"),
                    inputJSON: input, probability: 0.47, baseScore: 47, finalScore: 47, baseBadge: "warm", finalBadge: "warm",
                    confidence: 0.5, explanationJSON: "{}", llm: .init(status: "fallback", reason: "disabled"), totalLatencyMilliseconds: 1))
        }
        // A pseudonymised decision: its input is gone, so it cannot be replayed.
        decisions.append(
            DecisionRecord(
                requestID: "replay-erased", index: 0, leadID: "p-0123", time: Date(timeIntervalSince1970: 1_780_000_100), kind: .batch,
                caller: nil, gatewayInstance: "test", model: .init(id: "realestate", version: "2026.11.0", role: "default"), inputJSON: "{}",
                probability: 0.47, baseScore: 47, finalScore: 47, baseBadge: "warm", finalBadge: "warm", confidence: 0.5,
                explanationJSON: "{}", llm: .init(status: "fallback", reason: "disabled"), totalLatencyMilliseconds: 1))
        #expect(try await store.insert(decisions: decisions) == 21)

        try await withMockLLM({ request, _ in
            let user = ((request["messages"] as? [[String: String]])?.last?["content"]) ?? ""
            return .adjustment(user.contains("Pre-approved") ? 1.2 : 0.8)
        }) { llm, log in
            let prompt = Paths.repositoryRoot.appendingPathComponent("prompts/lead-adjust.prompt").path
            let config = try GatewayConfig.load(
                file: nil, environment: ["LEADGATE_LLM_BASE_URL": llm, "LEADGATE_LLM_PROMPT": prompt, "LEADGATE_MODELS_DIR": Paths.models.path])
            var request = RecordsCommands.ReplayRequest()
            request.prompt = "lead-adjust"
            request.concurrency = 4
            let report = try await RecordsCommands.replay(config: config, store: store, request: request)
            #expect(log.requests.count == 20)
            #expect(report.rows.count == 20)
            #expect(report.skipped.map(\.why) == ["the input was erased"])
            // The example lead scores 47 (warm): ×1.2 keeps it warm and raises it, ×0.8 takes it below 40.
            for row in report.rows {
                let approved = Int(row.leadID.dropFirst(2)).map { $0 % 2 == 0 } ?? false
                #expect(row.llm == "applied")
                #expect(approved ? row.delta > 0 && row.badge == "warm" : row.delta < 0 && row.badge == "cold", "\(row)")
            }
            let summary = report.summary
            #expect(summary.flipped == 10 && summary.flips["warm"]?["cold"] == 10 && summary.changed == 20)
            #expect(report.markdown.contains("## Badge flips: 10 of 20 (50.0 %)"), "\(report.markdown)")
            #expect(report.markdown.contains("the input was erased: 1"))
            // A model that is not loaded is named before anything runs.
            request.model = "nope@1"
            do {
                _ = try await RecordsCommands.replay(config: config, store: store, request: request)
                Issue.record("a model that is not loaded was replayed")
            } catch let error as ConfigurationError {
                #expect(error.key == "--model" && error.message.contains("`nope@1` is not a loaded model"), "\(error)")
            }
        }
        // Nothing was written.
        #expect(try await store.counts().decisions == 21)
        #expect(try await store.counts().outcomes == 0)
        try await store.close()
    }
}
