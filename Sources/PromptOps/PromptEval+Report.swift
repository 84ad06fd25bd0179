import Evaluation
import Foundation
import JSON
import Pipeline
import Reranker
import Scoring
import Synchronization
import Telemetry
import TreeEnsemble

/// The evaluation's report: markdown, JSON and the per-lead CSV.
extension PromptEval {
    /// The per-lead CSV: id, label, base probability and score, then per prompt multiplier, status,
    /// reason, score, badge and latency.
    public static func csv(_ report: Report) -> String {
        var header = ["lead_id", "label", "probability", "base_score", "base_badge"]
        for prompt in report.prompts {
            header += ["multiplier", "status", "reason", "score", "badge", "latency_ms"].map { "\(prompt.id)_\($0)" }
        }
        var lines = [header.joined(separator: ",")]
        for row in report.rows {
            var fields = [
                CSVField.quoted(row.leadID), row.label ? "1" : "0", String(format: "%.6f", row.probability), String(row.baseScore), row.baseBadge,
            ]
            for arm in row.arms {
                fields += [
                    String(format: "%.4f", arm.multiplier), arm.status, arm.reason ?? "", String(arm.score), arm.badge,
                    String(format: "%.1f", arm.latencyMS),
                ]
            }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct ArmSummary {
        var name: String
        var probabilities: [Double]
        var auc: Double?
        var prAUC: Double?
        var ece: Double?
        var atK: [(k: Int, precision: Double?, lift: Double?)]
    }

    static func summarize(_ name: String, _ probabilities: [Double], _ labels: [Bool], ks: [Int]) -> ArmSummary {
        ArmSummary(
            name: name, probabilities: probabilities, auc: EvalMetrics.rocAUC(probabilities, labels),
            prAUC: EvalMetrics.averagePrecision(probabilities, labels), ece: EvalMetrics.expectedCalibrationError(probabilities, labels),
            atK: ks.map { ($0, EvalMetrics.precision(at: $0, probabilities, labels), EvalMetrics.lift(at: $0, probabilities, labels)) })
    }

    static func render(rows: [Row], skipped: [(line: Int, why: String)], prompts: [PromptTemplate], options: Options, data: String) -> (
        String, String
    ) {
        let labels = rows.map(\.label)
        let n = rows.count
        let ks = Array(Set([0.05, 0.1, 0.2].map { max(1, Int((Double(n) * $0).rounded())) })).sorted()
        var arms = [summarize("model", rows.map(\.probability), labels, ks: ks)]
        for (p, prompt) in prompts.enumerated() {
            arms.append(summarize("\(prompt.id)@\(prompt.version)", rows.map { min(1, $0.probability * $0.arms[p].multiplier) }, labels, ks: ks))
        }
        func f(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        // Differences with bootstrap intervals: each prompt against the model, and B against A.
        var comparisons: [(name: String, a: Int, b: Int)] = prompts.indices.map { ("\(arms[$0 + 1].name) − model", 0, $0 + 1) }
        if prompts.count == 2 { comparisons.append(("\(arms[2].name) − \(arms[1].name)", 1, 2)) }
        let measures: [(String, ([Double], [Bool]) -> Double?)] = [
            ("ROC AUC", EvalMetrics.rocAUC), ("PR AUC", EvalMetrics.averagePrecision), ("ECE", { EvalMetrics.expectedCalibrationError($0, $1) }),
        ]
        var deltas: [(comparison: String, measure: String, delta: Double, low: Double, high: Double)] = []
        for c in comparisons {
            for (name, metric) in measures {
                if let d = EvalMetrics.bootstrapDelta(
                    arms[c.a].probabilities, arms[c.b].probabilities, labels, resamples: options.resamples, seed: options.seed, metric: metric)
                {
                    deltas.append((c.name, name, d.delta, d.low, d.high))
                }
            }
        }
        let rate = Double(labels.filter { $0 }.count) / Double(max(1, n))
        var md = "# Prompt evaluation\n\n"
        md += "\(n) leads from `\(data)` (\(labels.filter { $0 }.count) converted, \(String(format: "%.1f", rate * 100))%)"
        md += skipped.isEmpty ? ".\n\n" : "; \(skipped.count) skipped (first: line \(skipped[0].line): \(skipped[0].why)).\n\n"
        md += "| measure | " + arms.map(\.name).joined(separator: " | ") + " |\n|---|" + arms.map { _ in "---:|" }.joined() + "\n"
        md += "| ROC AUC | " + arms.map { f($0.auc) }.joined(separator: " | ") + " |\n"
        md += "| PR AUC | " + arms.map { f($0.prAUC) }.joined(separator: " | ") + " |\n"
        for (i, k) in ks.enumerated() {
            md += "| precision@\(k) | " + arms.map { f($0.atK[i].precision, 3) }.joined(separator: " | ") + " |\n"
            md += "| lift@\(k) | " + arms.map { f($0.atK[i].lift, 2) }.joined(separator: " | ") + " |\n"
        }
        md += "| ECE (10 bins) | " + arms.map { f($0.ece) }.joined(separator: " | ") + " |\n\n"
        md +=
            "## Differences (paired bootstrap, \(options.resamples) resamples, 95% interval)\n\n| comparison | measure | delta | 95% interval | real? |\n|---|---|---:|---|---|\n"
        for d in deltas {
            let real = d.low > 0 || d.high < 0
            md +=
                "| \(d.comparison) | \(d.measure) | \(String(format: "%+.4f", d.delta)) | [\(String(format: "%+.4f", d.low)), \(String(format: "%+.4f", d.high))] | \(real ? "yes" : "no: the interval holds 0") |\n"
        }
        md += "\nFor ROC AUC and PR AUC higher is better; for ECE lower is better.\n"
        for (p, prompt) in prompts.enumerated() {
            let arm = rows.map { $0.arms[p] }
            let flips = rows.filter { $0.arms[p].badge != $0.baseBadge }
            let latencies = arm.map(\.latencyMS)
            var reasons: [String: Int] = [:]
            for a in arm where a.status == "fallback" { reasons[a.reason ?? "?", default: 0] += 1 }
            var histogram = [Int](repeating: 0, count: 8)
            for a in arm where a.status == "applied" { histogram[min(7, max(0, Int(((a.multiplier - 0.8) / 0.05 + 1e-9).rounded(.down))))] += 1 }
            md += "\n## \(prompt.id)@\(prompt.version) (`\(prompt.hash.prefix(12))`)\n\n"
            md += "- Applied \(arm.filter { $0.status == "applied" }.count) of \(n); fallbacks: "
            md +=
                reasons.isEmpty
                ? "none.\n"
                : reasons.sorted { $0.value > $1.value }.map {
                    "\($0.key) \($0.value) (\(String(format: "%.1f", Double($0.value) * 100 / Double(n)))%)"
                }.joined(separator: ", ") + ".\n"
            md += "- Badge flips: \(flips.count) (\(String(format: "%.1f", Double(flips.count) * 100 / Double(max(1, n))))%)"
            md +=
                flips.isEmpty
                ? ".\n"
                : ": "
                    + flips.prefix(20).map { "\($0.leadID) \($0.baseBadge)→\($0.arms[p].badge)\($0.label ? " (converted)" : "")" }.joined(
                        separator: ", ") + (flips.count > 20 ? ", …" : "") + ".\n"
            md +=
                "- Multipliers: "
                + histogram.enumerated().map {
                    String(format: "%.2f–%.2f: %d", 0.8 + Double($0.offset) * 0.05, 0.85 + Double($0.offset) * 0.05, $0.element)
                }.joined(separator: ", ") + ".\n"
            md +=
                "- Latency: p50 \(f(EvalMetrics.percentile(latencies, 50), 1)) ms, p95 \(f(EvalMetrics.percentile(latencies, 95), 1)) ms, p99 \(f(EvalMetrics.percentile(latencies, 99), 1)) ms.\n"
            md += "- Tokens: \(arm.reduce(0) { $0 + $1.promptTokens }) prompt, \(arm.reduce(0) { $0 + $1.completionTokens }) completion.\n"
        }
        // JSON for machines.
        var w = JSONWriter(capacity: 4096 + n * 64)
        w.beginObject()
        w.field("data", data)
        w.field("leads", n)
        w.field("converted", labels.filter { $0 }.count)
        w.field("skipped", skipped.count)
        w.key("arms")
        w.beginArray()
        for arm in arms {
            w.beginObject()
            w.field("name", arm.name)
            for (key, value) in [("roc_auc", arm.auc), ("pr_auc", arm.prAUC), ("ece", arm.ece)] {
                if let value { w.field(key, value, digits: 6) } else { w.key(key); w.null() }
            }
            w.key("at_k")
            w.beginArray()
            for item in arm.atK {
                w.beginObject()
                w.field("k", item.k)
                if let p = item.precision { w.field("precision", p, digits: 6) }
                if let l = item.lift { w.field("lift", l, digits: 6) }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("differences")
        w.beginArray()
        for d in deltas {
            w.beginObject()
            w.field("comparison", d.comparison)
            w.field("measure", d.measure)
            w.field("delta", d.delta, digits: 6)
            w.field("low", d.low, digits: 6)
            w.field("high", d.high, digits: 6)
            w.field("real", d.low > 0 || d.high < 0)
            w.endObject()
        }
        w.endArray()
        w.key("prompts")
        w.beginArray()
        for (p, prompt) in prompts.enumerated() {
            let arm = rows.map { $0.arms[p] }
            w.beginObject()
            w.field("id", prompt.id)
            w.field("version", prompt.version)
            w.field("hash", prompt.hash)
            w.field("applied", arm.filter { $0.status == "applied" }.count)
            w.key("fallbacks")
            w.beginObject()
            var reasons: [String: Int] = [:]
            for a in arm where a.status == "fallback" { reasons[a.reason ?? "?", default: 0] += 1 }
            for (reason, count) in reasons.sorted(by: { $0.key < $1.key }) { w.field(reason, count) }
            w.endObject()
            w.key("flipped")
            w.beginArray()
            for row in rows where row.arms[p].badge != row.baseBadge { w.string(row.leadID) }
            w.endArray()
            let latencies = arm.map(\.latencyMS)
            for (key, q) in [("latency_p50_ms", 50.0), ("latency_p95_ms", 95.0), ("latency_p99_ms", 99.0)] {
                if let v = EvalMetrics.percentile(latencies, q) { w.field(key, v, digits: 1) }
            }
            w.field("prompt_tokens", arm.reduce(0) { $0 + $1.promptTokens })
            w.field("completion_tokens", arm.reduce(0) { $0 + $1.completionTokens })
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return (md, w.text)
    }
}
