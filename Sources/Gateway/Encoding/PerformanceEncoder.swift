import Evaluation
import Foundation
import JSON
import Records

/// `GET /v1/models/{id}/performance`: the measures per window, overall, per version and per prompt.
enum PerformanceEncoder {
    static func encode(modelID: String, positive: String, windows: [Int], rows: [LabeledDecision], now: Date) -> String {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.field("model_id", modelID)
        w.field("positive_outcome", positive)
        w.field("generated_at", Timestamp.iso8601(now))
        w.key("windows")
        w.beginArray()
        for days in windows {
            let since = now.addingTimeInterval(-Double(days) * 86_400)
            let inWindow = rows.filter { $0.decidedAt >= since }
            w.beginObject()
            w.field("days", days)
            w.field("since", Timestamp.iso8601(since))
            w.key("overall")
            summary(&w, inWindow, positive: positive)
            w.key("by_version")
            grouped(&w, inWindow, key: "version", positive: positive) { $0.modelVersion }
            w.key("by_prompt")
            grouped(&w, inWindow.filter { $0.prompt != nil }, key: "prompt", positive: positive) { $0.prompt ?? "" }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }

    static func grouped(
        _ w: inout JSONWriter, _ rows: [LabeledDecision], key: String, positive: String, by group: (LabeledDecision) -> String
    ) {
        let groups = Dictionary(grouping: rows, by: group)
        w.beginArray()
        for name in groups.keys.sorted() {
            w.beginObject()
            w.field(key, name)
            w.key("measures")
            summary(&w, groups[name] ?? [], positive: positive)
            w.endObject()
        }
        w.endArray()
    }

    static func summary(_ w: inout JSONWriter, _ rows: [LabeledDecision], positive: String) {
        let s = PerformanceSummary.of(rows.samples(positive: positive))
        w.beginObject()
        w.field("leads", s.leads)
        w.field("converted", s.converted)
        optional(&w, "auc", s.auc)
        optional(&w, "pr_auc", s.prAUC)
        optional(&w, "precision_at_20", s.precisionAt20)
        optional(&w, "precision_at_100", s.precisionAt100)
        optional(&w, "ece", s.ece)
        w.key("badges")
        w.beginObject()
        for b in s.badges {
            w.key(b.badge)
            w.beginObject()
            w.field("leads", b.leads)
            w.field("converted", b.converted)
            optional(&w, "conversion_rate", b.leads > 0 ? Double(b.converted) / Double(b.leads) : nil)
            w.endObject()
        }
        w.endObject()
        w.key("llm_lift")
        if let lift = s.lift {
            w.beginObject()
            w.field("adjusted", lift.adjusted)
            w.field("base_auc", lift.baseAUC)
            w.field("final_auc", lift.finalAUC)
            w.field("delta", lift.delta)
            w.field("low", lift.low)
            w.field("high", lift.high)
            w.endObject()
        } else {
            w.null()
        }
        w.endObject()
    }

    static func optional(_ w: inout JSONWriter, _ key: String, _ value: Double?) {
        w.key(key)
        if let value { w.number(value) } else { w.null() }
    }
}

extension [LabeledDecision] {
    /// The rows as the measures take them; a lead converted when its outcome is `positive`.
    func samples(positive: String) -> [PerformanceSample] {
        map {
            PerformanceSample(
                probability: $0.probability, baseScore: $0.baseScore, finalScore: $0.finalScore, finalBadge: $0.finalBadge,
                converted: $0.outcome == positive)
        }
    }
}
