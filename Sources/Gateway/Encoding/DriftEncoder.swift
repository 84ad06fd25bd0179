import Foundation
import JSON

enum DriftEncoder {
    static func report(_ w: inout JSONWriter, _ r: DriftReport, settings: DriftSettings) {
        w.beginObject()
        w.field("model_id", r.modelID)
        w.field("version", r.version)
        w.field("status", r.status.rawValue)
        w.field("window_days", r.windowDays)
        w.field("decisions", r.decisions)
        w.field("checked_at", Timestamp.iso8601(r.checkedAt))
        w.field("warn", settings.warn)
        w.field("alert", settings.alert)
        w.key("worst_field")
        if let worst = r.worst { w.string(worst.name) } else { w.null() }
        w.key("probability_psi")
        if let p = r.probabilityPSI { w.number(p) } else { w.null() }
        w.key("fields")
        w.beginArray()
        for (name, psi) in r.fields.sorted(by: { $0.psi > $1.psi }) {
            w.beginObject()
            w.field("field", name)
            w.field("psi", psi)
            w.field("status", psi >= settings.alert ? "alert" : psi >= settings.warn ? "warn" : "ok")
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    static func webhook(_ r: DriftReport) -> String {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("type", "model.drift")
        w.field("model_id", r.modelID)
        w.field("version", r.version)
        w.field("status", r.status.rawValue)
        w.field("decisions", r.decisions)
        w.key("worst_field")
        if let worst = r.worst { w.string(worst.name) } else { w.null() }
        w.field("psi", r.worst?.psi ?? 0)
        w.field("checked_at", Timestamp.iso8601(r.checkedAt))
        w.endObject()
        return w.text
    }
}
