import JSON
import Scoring

extension EvaluatedLead {
    /// The key that marks a live score's input as folded from events, so a refresh folds them again.
    public static let foldMarker = "fold_events"

    /// `{"lead_id", "features", "notes"?, "options"?}`: what scoring the lead again needs, kept with
    /// its live score. With `marker`, flagged as folded from events (see ``foldMarker``).
    public func storedInputJSON(marker: Bool = false) -> String {
        if !marker, let stored = storedInput { return stored }
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("lead_id", leadID)
        w.key("features")
        w.beginObject()
        for (name, value) in features.sorted(by: { $0.key < $1.key }) {
            w.key(name)
            w.value(value)
        }
        w.endObject()
        if let notes { w.field("notes", notes) }
        if let consent { w.field("consent", consent) }
        if let requestedModel { w.key("options"); w.beginObject(); w.field("model", requestedModel); w.endObject() }
        if marker { w.field(Self.foldMarker, true) }
        w.endObject()
        return w.text
    }
}
