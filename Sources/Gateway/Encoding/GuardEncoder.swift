import Foundation
import JSON
import Pipeline

enum GuardEncoder {
    static func state(_ w: inout JSONWriter, _ s: LLMGuardRail.State) {
        w.beginObject()
        w.field("model_id", s.modelID)
        w.field("enabled", s.enabled)
        w.field("reason", s.reason)
        w.field("since", Timestamp.iso8601(s.since))
        w.field("by", s.by)
        w.key("lift")
        if let lift = s.lift {
            w.beginObject()
            w.field("delta", lift.delta)
            w.field("low", lift.low)
            w.field("high", lift.high)
            w.endObject()
        } else {
            w.null()
        }
        w.key("hold_until")
        if let hold = s.holdUntil { w.string(Timestamp.iso8601(hold)) } else { w.null() }
        w.endObject()
    }

    static func webhook(_ s: LLMGuardRail.State) -> String {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("type", "llm.guard")
        w.key("state")
        state(&w, s)
        w.endObject()
        return w.text
    }
}
