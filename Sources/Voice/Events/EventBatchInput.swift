public import JSON
public import Pipeline
public import Scoring

/// The body of `POST /v1/leads/{lead_id}/events`: `{"events": [...], "options": {...}}`, a list of
/// events, or one event object. Reading never fails on a bad event: it collects issues naming the
/// field (`events[2].at`).
public struct EventBatchInput: Sendable {
    public var events: [LeadEvent] = []
    public var options = ScoreOptions()
    public var issues: [FieldIssue] = []
    /// How issues name the events: `events` (`events[2].at`), or empty for a body that is one event.
    public var pathPrefix = "events"
    /// With `bulk`, every event names its lead (`lead_id`), in the same order as `events`.
    public var leadIDs: [String] = []
    public let bulk: Bool

    /// An event may say it happened at most this far in the future (clock skew).
    static let maxSkewMS: Int64 = 5 * 60_000
    static let maxIDChars = 128
    static let maxProperties = 32
    static let maxStringChars = 8_000

    /// Events already read (one lead's share of a bulk request).
    public init(events: [LeadEvent], options: ScoreOptions) {
        self.events = events
        self.options = options
        bulk = false
    }

    /// Reads a request body; `bulk` for `POST /v1/leads/events` (every event names its lead).
    public init(_ node: JSONNode, nowMS: Int64, maxEvents: Int, bulk: Bool = false) {
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
            case ("at", .number(let x)) where x.isFinite && x >= 1 && x < 1e14 && x.rounded() == x:
                time = Int64(x)  // milliseconds since 1970
            case ("at", .null):
                break
            case ("at", _):
                issues.append(
                    FieldIssue(
                        field: at(key),
                        message: "must be an RFC 3339 time string or whole milliseconds since 1970, not \(value.typeName) `\(value)`."))
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
