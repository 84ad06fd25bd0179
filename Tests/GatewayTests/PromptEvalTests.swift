import Evaluation
import Foundation
import Gateway
import PromptOps
import TestSupport
import Testing

/// The evaluation's measures against values worked out by hand, and a whole evaluation run against
/// a test LLM.
@Suite struct EvalMetricsTests {
    // Ranked by score: 0.9 (1), 0.8 (1), 0.7 (0), 0.6 (1), 0.55 (0), 0.4 (0), 0.3 (1), 0.2 (0).
    static let scores = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2]
    static let labels = [true, true, false, true, false, false, true, false]

    @Test func rankingMeasures() throws {
        // Positive/negative pairs ordered right: 4 + 4 + 3 + 1 = 12 of 16.
        #expect(try #require(EvalMetrics.rocAUC(Self.scores, Self.labels)) == 0.75)
        // Precision at each converted lead: 1/1, 2/2, 3/4, 4/7; averaged over the 4.
        let ap = try #require(EvalMetrics.averagePrecision(Self.scores, Self.labels))
        #expect(abs(ap - (1 + 1 + 0.75 + 4.0 / 7) / 4) < 1e-12)
        #expect(EvalMetrics.precision(at: 2, Self.scores, Self.labels) == 1)
        #expect(EvalMetrics.lift(at: 2, Self.scores, Self.labels) == 2)  // base rate 0.5
        #expect(EvalMetrics.precision(at: 4, Self.scores, Self.labels) == 0.75)
        #expect(EvalMetrics.lift(at: 4, Self.scores, Self.labels) == 1.5)
        // Ties count half, and one class alone has no AUC.
        #expect(EvalMetrics.rocAUC([0.5, 0.5], [true, false]) == 0.5)
        #expect(EvalMetrics.rocAUC([0.5, 0.7], [true, true]) == nil)
        // Tied scores enter the precision–recall curve together: threshold 0.5 takes 2 leads, 1 converted.
        #expect(EvalMetrics.averagePrecision([0.5, 0.5, 0.1], [true, false, true]) == 0.5 * 0.5 + 2.0 / 3 * 0.5)
    }

    @Test func calibration() throws {
        // One lead per bin: |0.9−1| + |0.8−1| + |0.7−0| + |0.6−1| + |0.55−0| + |0.4−0| + |0.3−1| + |0.2−0| = 3.25, over 8.
        #expect(abs(try #require(EvalMetrics.expectedCalibrationError(Self.scores, Self.labels)) - 3.25 / 8) < 1e-12)
        // Perfectly calibrated bins give 0.
        #expect(EvalMetrics.expectedCalibrationError([0.25, 0.25, 0.25, 0.25], [true, false, false, false]) == 0)
    }

    @Test func percentilesAndBootstrap() throws {
        #expect(EvalMetrics.percentile([5, 1, 4, 2, 3], 50) == 3)
        #expect(EvalMetrics.percentile([5, 1, 4, 2, 3], 100) == 5)
        let same = try #require(EvalMetrics.bootstrapDelta(Self.scores, Self.scores, Self.labels, metric: EvalMetrics.rocAUC))
        #expect(same.delta == 0 && same.low == 0 && same.high == 0)
        // A score that orders every lead right beats one that orders them at random, and says so.
        var rng = SystemRandomNumberGenerator()
        let labels = (0..<400).map { _ in Bool.random(using: &rng) }
        let perfect = labels.map { $0 ? 0.9 : 0.1 }
        let noise = labels.map { _ in Double.random(in: 0...1, using: &rng) }
        let better = try #require(EvalMetrics.bootstrapDelta(noise, perfect, labels, metric: EvalMetrics.rocAUC))
        #expect(better.low > 0.3 && better.delta > 0.3)
    }
}

@Suite(.serialized) struct PromptEvalRunTests {
    /// 60 leads from the example lead: half say in their notes that the buyer is pre-approved, and
    /// exactly those converted. The test LLM reads the notes the way a good prompt would.
    static func data() throws -> URL {
        let lead = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Paths.exampleLead)) as? [String: Any])
        let features = try #require(lead["features"] as? [String: Any])
        let names = features.keys.sorted()
        var lines = [(["lead_id", "converted", "notes"] + names).joined(separator: ",")]
        for i in 0..<60 {
            let converted = i % 2 == 0
            var row = ["E-\(i)", converted ? "1" : "0", converted ? "\"Pre-approved, wants to close fast\"" : "\"Just browsing, no rush\""]
            for name in names {
                var value = features[name] ?? ""
                if name == "pricing_page_views" { value = (i * 7) % 13 }  // the model's own signal, unrelated to the outcome
                row.append(value is Bool ? ((value as? Bool) == true ? "true" : "false") : "\(value)")
            }
            lines.append(row.joined(separator: ","))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-eval-\(UUID().uuidString).csv")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func anInformedPromptBeatsTheModelAndTheReportSaysSo() async throws {
        let csv = try Self.data()
        defer { try? FileManager.default.removeItem(at: csv) }
        try await withMockLLM({ request, _ in
            let user = ((request["messages"] as? [[String: String]])?.last?["content"]) ?? ""
            return .adjustment(user.contains("Pre-approved") ? 1.2 : 0.8)
        }) { llm, log in
            let prompt = Paths.repositoryRoot.appendingPathComponent("prompts/lead-adjust.prompt").path
            let config = try GatewayConfig.load(
                file: nil, environment: ["LEADGATE_LLM_BASE_URL": llm, "LEADGATE_LLM_PROMPT": prompt, "LEADGATE_MODELS_DIR": Paths.models.path])
            var options = PromptEval.Options(data: csv.path, label: "converted", prompt: "lead-adjust")
            options.concurrency = 8
            options.resamples = 300
            let report = try await PromptEval.run(config: config, options: options)
            #expect(report.rows.count == 60 && report.skipped.isEmpty)
            #expect(log.requests.count == 60)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
            let arms = try #require(json["arms"] as? [[String: Any]])
            let model = try #require(arms.first { $0["name"] as? String == "model" }?["roc_auc"] as? Double)
            let adjusted = try #require(arms.first { $0["name"] as? String == "lead-adjust@1" }?["roc_auc"] as? Double)
            // ×1.2 or ×0.8 from the notes cannot undo every difference the model sees, but it moves
            // most converted leads above the others.
            #expect(adjusted > model + 0.1, "model \(model), adjusted \(adjusted)")
            let differences = try #require(json["differences"] as? [[String: Any]])
            let auc = try #require(differences.first { $0["measure"] as? String == "ROC AUC" })
            #expect(auc["real"] as? Bool == true)
            #expect(report.markdown.contains("| ROC AUC |") && report.markdown.contains("Badge flips:"))
            let lines = PromptEval.csv(report).split(separator: "\n")
            #expect(lines.count == 61)
            #expect(lines[0].hasPrefix("lead_id,label,probability,base_score,base_badge,lead-adjust_multiplier"))
            #expect(report.markdown.contains("1.15–1.20: 30") && report.markdown.contains("0.80–0.85: 30"), "\(report.markdown)")

            // The same leads as JSON lines, two of them unusable: they are skipped and counted.
            let lead = try String(contentsOf: Paths.exampleLead, encoding: .utf8).replacingOccurrences(of: "\n", with: " ")
            var jsonl = (0..<10).map { i in lead.replacingOccurrences(of: "\"L-1001\"", with: "\"J-\(i)\", \"converted\": \(i % 2 == 0)") }
            jsonl.append("not json")
            jsonl.append(lead)  // no label
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-eval-\(UUID().uuidString).jsonl")
            try jsonl.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let lines2 = try await PromptEval.run(
                config: config, options: PromptEval.Options(data: file.path, label: "converted", prompt: "lead-adjust"))
            #expect(lines2.rows.count == 10)
            #expect(lines2.skipped.map(\.line) == [11, 12])
        }
    }
}
