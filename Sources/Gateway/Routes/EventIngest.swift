import JSON
import Reranker
import Scoring

/// The body of `POST /v1/leads/{lead_id}/events`: `{"events": [...], "options": {...}}`, a list of
/// events, or one event object. Reading never fails on a bad event: it collects issues naming the
/// field (`events[2].at`).
struct EventBatchInput: Sendable {
    var events: [LeadEvent] = []
    var options = ScoreOptions()
    var issues: [FieldIssue] = []
    /// How issues name the events: `events` (`events[2].at`), or empty for a body that is one event.
    var pathPrefix = "events"
    /// With `bulk`, every event names its lead (`lead_id`), in the same order as `events`.
    var leadIDs: [String] = []
    let bulk: Bool

    /// An event may say it happened at most this far in the future (clock skew).
    static let maxSkewMS: Int64 = 5 * 60_000
    static let maxIDChars = 128
    static let maxProperties = 32
    static let maxStringChars = 8_000

    /// Events already read (one lead's share of a bulk request).
    init(events: [LeadEvent], options: ScoreOptions) {
        self.events = events
        self.options = options
        bulk = false
    }

    init(_ node: JSONNode, nowMS: Int64, maxEvents: Int, bulk: Bool = false) {
        self.bulk = bulk
        var list: [JSONNode] = []
        var prefix = "events"
        switch node {
        case .array(let items): list = items
        case .object(let members) where !bulk && members.contains(where: { $0.key == "type" }):
            list = [node]
            prefix = ""
            pathPrefix = ""
        case .object(let members):
            for (key, value) in members {
                switch key {
                case "events":
                    if case .array(let items) = value {
                        list = items
                    } else {
                        issues.append(FieldIssue(field: "events", message: "must be a list of events, not \(value.typeName)."))
                    }
                case "options": options = ScoreOptions(value, path: "options", issues: &issues)
                default: issues.append(FieldIssue(field: key, message: "is not a known key. Send `events` (a list) and optionally `options`."))
                }
            }
            if !members.contains(where: { $0.key == "events" }) {
                issues.append(FieldIssue(field: "events", message: "is required: a list of {event_id, type, at, properties}."))
            }
        default:
            issues.append(FieldIssue(field: "(body)", message: "must be {\"events\": [...]}, a list of events or one event, not \(node.typeName)."))
        }
        guard list.count <= maxEvents else {
            issues.append(
                FieldIssue(field: "events", message: "has \(list.count) events; at most \(maxEvents) are allowed per request. Split them."))
            return
        }
        if list.isEmpty, issues.isEmpty { issues.append(FieldIssue(field: "events", message: "is empty. Send at least one event.")) }
        for (index, item) in list.enumerated() {
            // The same id twice in one request is stored once; the second says `duplicate`.
            if let event = read(item, path: prefix.isEmpty ? "" : "\(prefix)[\(index)]", nowMS: nowMS) { events.append(event) }
        }
    }

    private mutating func read(_ node: JSONNode, path: String, nowMS: Int64) -> LeadEvent? {
        func at(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        guard case .object(let members) = node else {
            issues.append(FieldIssue(field: path.isEmpty ? "(body)" : path, message: "must be an event object, not \(node.typeName)."))
            return nil
        }
        var id: String?
        var lead: String?
        var type: String?
        var time: Int64?
        var properties: [String: LeadValue] = [:]
        let before = issues.count
        for (key, value) in members {
            switch (key, value) {
            case ("lead_id", .string(let s)) where bulk:
                lead = s
            case ("lead_id", _) where bulk:
                issues.append(FieldIssue(field: at(key), message: "must be the lead's id as a string, not \(value.typeName)."))
            case ("event_id", .string(let s)):
                if s.isEmpty || s.count > Self.maxIDChars || s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                    issues.append(FieldIssue(field: at(key), message: "must be 1–\(Self.maxIDChars) printable characters; it has \(s.count)."))
                } else {
                    id = s
                }
            case ("event_id", .number(let x)) where x.rounded() == x && abs(x) < 1e15:
                id = String(Int64(x))
            case ("event_id", _):
                issues.append(FieldIssue(field: at(key), message: "must be a string (the sender's id for this event), not \(value.typeName)."))
            case ("type", .string(let s)):
                type = s
            case ("type", _):
                issues.append(FieldIssue(field: at(key), message: "must be a string such as `page_view`, not \(value.typeName)."))
            case ("at", .string(let s)):
                if let ms = RFC3339.milliseconds(s) {
                    time = ms
                } else {
                    issues.append(
                        FieldIssue(field: at(key), message: "`\(s.prefix(40))` is not an RFC 3339 time. Send e.g. `2026-11-23T14:05:00Z`."))
                }
            case ("at", .number(let x)) where x.isFinite && x > 0 && x < 1e14:
                time = Int64(x)  // milliseconds since 1970
            case ("at", .null):
                break
            case ("at", _):
                issues.append(
                    FieldIssue(field: at(key), message: "must be an RFC 3339 time string or milliseconds since 1970, not \(value.typeName)."))
            case ("properties", .object(let fields)):
                guard fields.count <= Self.maxProperties else {
                    issues.append(FieldIssue(field: at(key), message: "has \(fields.count) properties; at most \(Self.maxProperties) are allowed."))
                    continue
                }
                for (name, field) in fields {
                    switch field {
                    case .number(let x): properties[name] = .number(x)
                    case .bool(let b): properties[name] = .bool(b)
                    case .null: properties[name] = .null
                    case .string(let s) where s.count <= Self.maxStringChars: properties[name] = .string(s)
                    case .string(let s):
                        issues.append(
                            FieldIssue(
                                field: "\(at(key)).\(name)",
                                message: "has \(s.count) characters; the limit is \(Self.maxStringChars). Send a transcript in segments."))
                    case .array, .object:
                        issues.append(
                            FieldIssue(field: "\(at(key)).\(name)", message: "must be a number, boolean, string or null, not \(field.typeName)."))
                    }
                }
            case ("properties", .null):
                break
            case ("properties", _):
                issues.append(FieldIssue(field: at(key), message: "must be an object of scalar values, not \(value.typeName)."))
            default:
                issues.append(FieldIssue(field: at(key), message: "is not a field of an event. Use event_id, type, at and properties."))
            }
        }
        if !members.contains(where: { $0.key == "event_id" }) {
            issues.append(FieldIssue(field: at("event_id"), message: "is required: a unique id, so a retried event counts once."))
        }
        if bulk, !members.contains(where: { $0.key == "lead_id" }) {
            issues.append(FieldIssue(field: at("lead_id"), message: "is required in a bulk request: the lead this event belongs to."))
        }
        if !members.contains(where: { $0.key == "type" }) {
            issues.append(FieldIssue(field: at("type"), message: "is required, e.g. `page_view` or `call_transcript`."))
        }
        if let time, time > nowMS + Self.maxSkewMS {
            issues.append(FieldIssue(field: at("at"), message: "is more than 5 minutes in the future. Check the sender's clock."))
        }
        guard issues.count == before, let id, let type else { return nil }
        if bulk, let lead { leadIDs.append(lead) }
        return LeadEvent(id: id, type: type, atMS: time ?? nowMS, properties: properties)
    }
}

/// RFC 3339 times (`2026-11-23T14:05:00Z`, `…05:00.250+01:00`) to milliseconds since 1970, without
/// a formatter.
enum RFC3339 {
    static func milliseconds(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard (48...57).contains(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == 45, let month = digits(5, 2), b[7] == 45, let day = digits(8, 2),
            b[10] == 84 || b[10] == 116 || b[10] == 32, let hour = digits(11, 2), b[13] == 58, let minute = digits(14, 2), b[16] == 58,
            let second = digits(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var millis = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var scale = 100
            let start = i
            while i < b.count, (48...57).contains(b[i]) {
                millis += Int(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let h = digits(i + 1, 2), b.count > i + 3, b[i + 3] == 58, let m = digits(i + 4, 2) {
            offset = (h * 60 + m) * (b[i] == 43 ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offset * 60)
        return seconds * 1000 + Int64(millis)
    }
}
