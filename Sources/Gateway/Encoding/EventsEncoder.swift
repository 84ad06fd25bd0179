import JSON
import Pipeline
import Voice

/// The answers to events requests, from the typed results of ``EventIngest``.
enum EventsEncoder {
    /// `{"events": {"received", "accepted", "duplicates", "held", "results": [...]}, "from_events": {...}, …the scored lead}`.
    static func encode(_ result: EventsResult) -> String {
        let json = result.scored.json
        var w = JSONWriter(capacity: json.utf8.count + 256 + result.events.count * 48)
        w.beginObject()
        w.key("events")
        w.beginObject()
        w.field("received", result.received)
        w.field("accepted", result.accepted)
        w.field("duplicates", result.duplicates)
        w.field("held", result.held)
        w.key("results")
        w.beginArray()
        for event in result.events {
            w.beginObject()
            w.field("event_id", event.id)
            w.field("status", event.new ? "accepted" : "duplicate")
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.key("from_events")
        w.beginObject()
        for (field, value) in result.fromEvents {
            w.key(field)
            w.value(value)
        }
        w.endObject()
        var text = w.text
        text += json.utf8.first == UInt8(ascii: "{") && json.utf8.count > 2 ? "," + json.dropFirst() : "}"
        return text
    }

    /// `{"leads_count", "events_count", "results": [lead answer or {"index", "lead_id", "error"}], "failed"}`.
    static func encode(_ bulk: BulkEventsResult) -> String {
        var w = JSONWriter(capacity: 1024 * bulk.leads.count + 128)
        var failed = 0
        w.beginObject()
        w.field("leads_count", bulk.leads.count)
        w.field("events_count", bulk.eventCount)
        w.key("results")
        w.beginArray()
        for (index, entry) in bulk.leads.enumerated() {
            switch entry.result {
            case .success(let result): w.raw(encode(result))
            case .failure(let problem):
                failed += 1
                problem.writeEntry(to: &w, index: index, leadID: entry.leadID)
            }
        }
        w.endArray()
        w.field("failed", failed)
        w.endObject()
        return w.text
    }
}
