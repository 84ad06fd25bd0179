import Foundation
import JSON
import Scoring
import Training

/// The retraining loop's steps and the rollout, as the admin routes and webhooks answer them.
enum RetrainEncoder {
    /// `{"type": "model.promote", "model_id", "at", "reason", "candidate", ...the figures}`.
    static func outcome(_ outcome: RetrainOutcome, time: Date) -> String {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("type", outcome.action)
        w.field("model_id", outcome.model)
        w.field("at", Timestamp.iso8601(time))
        outcome.writeDetail(&w)
        w.endObject()
        return w.text
    }

    static func rollout(_ w: inout JSONWriter, _ r: Rollout) {
        w.beginObject()
        w.field("default", r.defaultModel)
        if let challenger = r.challenger {
            w.field("challenger", challenger)
            w.field("challenger_share", r.challengerShare, digits: 4)
        }
        w.field("stage", r.stage.rawValue)
        if let previous = r.previous { w.field("previous", previous) }
        w.field("updated_at", Timestamp.iso8601(r.updatedAt))
        w.field("actor", r.actor)
        w.field("reason", r.reason)
        w.endObject()
    }
}
