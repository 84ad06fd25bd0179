import Foundation
import JSON
import Scoring
import TreeEnsemble

/// The replay's report: markdown for people, JSON for machines, one CSV line per decision.
extension RecordsReplay.Report {
    /// The badges in the order the tables show them.
    static let badges = Badge.allCases.map(\.rawValue)

    public struct Summary: Sendable {
        public var replayed: Int
        public var skipped: Int
        public var changed: Int
        public var meanDelta: Double
        public var meanAbsoluteDelta: Double
        public var medianAbsoluteDelta: Int
        public var p90AbsoluteDelta: Int
        public var maxAbsoluteDelta: Int
        /// Recorded badge → replayed badge → count.
        public var flips: [String: [String: Int]]
        public var flipped: Int
    }

    public var summary: Summary {
        let deltas = rows.map(\.delta)
        let absolute = deltas.map(abs).sorted()
        func quantile(_ q: Double) -> Int {
            absolute.isEmpty ? 0 : absolute[min(absolute.count - 1, Int((Double(absolute.count - 1) * q).rounded()))]
        }
        var flips: [String: [String: Int]] = [:]
        for row in rows { flips[row.recordedBadge, default: [:]][row.badge, default: 0] += 1 }
        let n = Double(max(1, rows.count))
        return Summary(
            replayed: rows.count, skipped: skipped.count, changed: deltas.filter { $0 != 0 }.count,
            meanDelta: Double(deltas.reduce(0, +)) / n, meanAbsoluteDelta: Double(absolute.reduce(0, +)) / n,
            medianAbsoluteDelta: quantile(0.5), p90AbsoluteDelta: quantile(0.9), maxAbsoluteDelta: absolute.last ?? 0, flips: flips,
            flipped: rows.filter { $0.badge != $0.recordedBadge }.count)
    }

    /// The badges present, known ones first.
    var badgeOrder: [String] {
        let present = Set(rows.flatMap { [$0.recordedBadge, $0.badge] })
        return Self.badges.filter(present.contains) + present.subtracting(Self.badges).sorted()
    }

    public var markdown: String {
        let s = summary
        func signed(_ x: Double) -> String { String(format: "%+.2f", x) }
        var out = "# Replay of recorded decisions\n\n"
        out += "- model: \(modelLabel)\n- prompt: \(promptLabel)\n"
        out += "- replayed: \(s.replayed); skipped: \(s.skipped)"
        var reasons: [String: Int] = [:]
        for (_, why) in skipped { reasons[why, default: 0] += 1 }
        if !reasons.isEmpty {
            out += " (" + reasons.sorted { $0.value > $1.value }.prefix(5).map { "\($0.key): \($0.value)" }.joined(separator: "; ") + ")"
        }
        out += "\n- nothing was published: live scores, streams, webhooks, the cache and the records are untouched\n\n"
        guard s.replayed > 0 else { return out + "No decision was replayed.\n" }
        out += "## Scores\n\n"
        out += "| | recorded | replayed |\n|---|---:|---:|\n"
        let n = Double(s.replayed)
        out += String(
            format: "| mean score | %.2f | %.2f |\n", Double(rows.map(\.recordedScore).reduce(0, +)) / n, Double(rows.map(\.score).reduce(0, +)) / n)
        out += String(
            format: "| mean base score | %.2f | %.2f |\n", Double(rows.map(\.recordedBaseScore).reduce(0, +)) / n,
            Double(rows.map(\.baseScore).reduce(0, +)) / n)
        out += "\nScore change (replayed − recorded): mean \(signed(s.meanDelta)), mean |Δ| \(String(format: "%.2f", s.meanAbsoluteDelta)), "
        out += "median |Δ| \(s.medianAbsoluteDelta), p90 |Δ| \(s.p90AbsoluteDelta), max |Δ| \(s.maxAbsoluteDelta); "
        out += "\(s.changed) of \(s.replayed) changed (\(String(format: "%.1f", 100 * Double(s.changed) / n)) %).\n\n"
        let order = badgeOrder
        out += "## Badge flips: \(s.flipped) of \(s.replayed) (\(String(format: "%.1f", 100 * Double(s.flipped) / n)) %)\n\n"
        out += "| recorded ↓ / replayed → | " + order.joined(separator: " | ") + " |\n|---|" + order.map { _ in "---:|" }.joined() + "\n"
        for from in order where s.flips[from] != nil {
            out += "| \(from) | " + order.map { String(s.flips[from]?[$0] ?? 0) }.joined(separator: " | ") + " |\n"
        }
        out += "\n## By recorded badge\n\n| badge | decisions | mean Δ | flipped | flipped % |\n|---|---:|---:|---:|---:|\n"
        for badge in order {
            let group = rows.filter { $0.recordedBadge == badge }
            guard !group.isEmpty else { continue }
            let flipped = group.filter { $0.badge != badge }.count
            let mean = Double(group.map(\.delta).reduce(0, +)) / Double(group.count)
            out +=
                "| \(badge) | \(group.count) | \(signed(mean)) | \(flipped) | \(String(format: "%.1f", 100 * Double(flipped) / Double(group.count))) |\n"
        }
        let fallbacks = rows.compactMap(\.reason)
        if !fallbacks.isEmpty {
            var byReason: [String: Int] = [:]
            for reason in fallbacks { byReason[reason, default: 0] += 1 }
            out += "\nLLM fallbacks (score kept at the model's): "
            out += byReason.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    public var json: String {
        let s = summary
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("model", modelLabel)
        w.field("prompt", promptLabel)
        w.field("replayed", s.replayed)
        w.field("skipped", s.skipped)
        w.field("changed", s.changed)
        w.field("flipped", s.flipped)
        w.key("delta")
        w.beginObject()
        w.field("mean", s.meanDelta, digits: 4)
        w.field("mean_absolute", s.meanAbsoluteDelta, digits: 4)
        w.field("median_absolute", s.medianAbsoluteDelta)
        w.field("p90_absolute", s.p90AbsoluteDelta)
        w.field("max_absolute", s.maxAbsoluteDelta)
        w.endObject()
        w.key("flips")
        w.beginObject()
        for from in badgeOrder {
            guard let to = s.flips[from] else { continue }
            w.key(from)
            w.beginObject()
            for badge in badgeOrder { w.field(badge, to[badge] ?? 0) }
            w.endObject()
        }
        w.endObject()
        w.key("skipped_decisions")
        w.beginArray()
        for (id, why) in skipped.prefix(1000) {
            w.beginObject()
            w.field("id", id)
            w.field("why", why)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }

    /// One line per replayed decision.
    public var csv: String {
        var lines = [
            "decision_id,lead_id,recorded_model,recorded_base_score,recorded_score,recorded_badge,model,base_score,score,badge,delta,llm,multiplier,reason"
        ]
        lines.reserveCapacity(rows.count + 1)
        for r in rows {
            lines.append(
                [
                    CSVField.quoted(r.decisionID), CSVField.quoted(r.leadID), CSVField.quoted(r.recordedModel), String(r.recordedBaseScore),
                    String(r.recordedScore), r.recordedBadge, CSVField.quoted(r.model), String(r.baseScore), String(r.score), r.badge,
                    String(r.delta), r.llm, String(format: "%.4f", r.multiplier), r.reason ?? "",
                ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
