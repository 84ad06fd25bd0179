import JSON
import Pipeline

/// The envelopes of batch answers, from the pipeline's typed results.
enum BatchEncoder {
    /// `{"count", "results": [lead or {"index", "lead_id", "error"}], "scored", "failed"}`.
    static func encode(_ results: [Result<ScoredLead, Problem>], leads: [LeadInput]) -> String {
        var w = JSONWriter(capacity: results.count * 900 + 128)
        var failed = 0
        w.beginObject()
        w.field("count", results.count)
        w.key("results")
        w.beginArray()
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let scored): w.raw(scored.json)
            case .failure(let problem):
                failed += 1
                problem.writeEntry(to: &w, index: index, leadID: leads[index].leadID)
            }
        }
        w.endArray()
        w.field("scored", results.count - failed)
        w.field("failed", failed)
        w.endObject()
        return w.text
    }

    /// `{"failed": [{"index", "lead_id", "error"}], "accepted"}`.
    static func encodePrewarm(_ results: [Result<ScoredLead, Problem>], leads: [LeadInput]) -> String {
        var w = JSONWriter(capacity: 256 + results.count * 64)
        var accepted = 0
        w.beginObject()
        w.key("failed")
        w.beginArray()
        for (index, result) in results.enumerated() {
            switch result {
            case .success: accepted += 1
            case .failure(let problem): problem.writeEntry(to: &w, index: index, leadID: leads[index].leadID)
            }
        }
        w.endArray()
        w.field("accepted", accepted)
        w.endObject()
        return w.text
    }
}
