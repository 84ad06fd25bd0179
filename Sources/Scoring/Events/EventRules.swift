import Yams

/// One thing that happened to a lead (a page view, an email click, a segment of a call), as the
/// events route accepts it and the store keeps it.
public struct LeadEvent: Sendable, Equatable {
    /// The sender's id; a second event with the same id is a duplicate (voice platforms retry).
    public var id: String
    public var type: String
    /// When it happened, in milliseconds since 1970 (not when it arrived: events fold by this time).
    public var atMS: Int64
    public var properties: [String: LeadValue]

    public init(id: String, type: String, atMS: Int64, properties: [String: LeadValue] = [:]) {
        self.id = id
        self.type = type
        self.atMS = atMS
        self.properties = properties
    }
}

/// How a model's events fold into its fields: the `events` block of a manifest.
///
/// ```yaml
/// events:
///   retention_days: 90          # older events are dropped
///   max_per_lead: 1000          # the oldest beyond this are dropped
///   types: [call_started]       # accepted types no rule names (they still count for recency rules listing them)
///   fold:
///     pricing_page_views: { count: page_view, where: { page: pricing }, window_days: 30 }
///     days_since_last_activity: { recency_days: [page_view, email_click] }
///     mortgage_preapproved: { latest: preapproval, property: approved, default: true }
///     tour_requested: { latest: tour_requested, value: true }
///     call_sentiment: { sentiment: call_transcript, property: text, segments: 3 }
/// ```
///
/// A rule takes over its field once the lead has at least one matching event; until then the field
/// keeps the value the last score request sent.
public struct EventRules: Sendable {
    public enum Fold: Sendable, Equatable {
        /// How many matching events happened in the last `windowDays` (nil: since retention).
        case count(windowDays: Double?)
        /// Whole days since the latest matching event.
        case recencyDays
        /// The latest matching event's `property`, or the constant `value`; `fallback` when the
        /// latest event lacks the property.
        case latest(property: String?, value: LeadValue?, fallback: LeadValue?)
        /// The mean ``Sentiment`` of the text in `property` of the latest `segments` matching events.
        case sentiment(property: String, segments: Int)

        public var name: String {
            switch self {
            case .count: "count"
            case .recencyDays: "recency_days"
            case .latest: "latest"
            case .sentiment: "sentiment"
            }
        }
    }

    public struct Rule: Sendable, Equatable {
        /// The manifest field this rule sets.
        public var field: String
        public var types: Set<String>
        /// Property equality conditions an event must meet (all of them).
        public var conditions: [String: LeadValue]
        public var fold: Fold

        func matches(_ event: LeadEvent) -> Bool {
            types.contains(event.type) && conditions.allSatisfy { event.properties[$0.key] == $0.value }
        }
    }

    public var retentionDays: Double
    public var maxPerLead: Int
    public var rules: [Rule]
    /// Every event type this model accepts: those its rules name and those listed under `types`.
    public var acceptedTypes: Set<String>

    public init(retentionDays: Double = 90, maxPerLead: Int = 1000, rules: [Rule], extraTypes: Set<String> = []) {
        self.retentionDays = retentionDays
        self.maxPerLead = maxPerLead
        self.rules = rules
        acceptedTypes = rules.reduce(extraTypes) { $0.union($1.types) }
    }

    static let millisecondsPerDay = 86_400_000.0

    /// The fields the events set, as of `nowMS`. Events may arrive in any order: they are folded by
    /// their `at` (ties by id), and events after `nowMS` count as happening now.
    public func fold(_ events: [LeadEvent], nowMS: Int64) -> [String: LeadValue] {
        let ordered = events.sorted { $0.atMS != $1.atMS ? $0.atMS > $1.atMS : $0.id > $1.id }  // newest first
        var values: [String: LeadValue] = [:]
        for rule in rules {
            var matching: [LeadEvent] = []
            for event in ordered where rule.matches(event) { matching.append(event) }
            guard let latest = matching.first else { continue }
            if let value = Self.value(of: rule.fold, matching: matching, latest: latest, nowMS: nowMS, retentionDays: retentionDays) {
                values[rule.field] = value
            }
        }
        return values
    }

    /// One rule's value from its matching events (newest first).
    private static func value(of fold: Fold, matching: [LeadEvent], latest: LeadEvent, nowMS: Int64, retentionDays: Double) -> LeadValue? {
        switch fold {
        case .count(let window):
            let limit = window ?? retentionDays
            var count = 0
            for event in matching where ageDays(event, nowMS: nowMS) <= limit { count += 1 }
            return .number(Double(count))
        case .recencyDays:
            return .number(ageDays(latest, nowMS: nowMS).rounded(.down))
        case .latest(let property, let constant, let fallback):
            if let constant { return constant }
            if let property, let value = latest.properties[property], value != .null { return value }
            return fallback
        case .sentiment(let property, let segments):
            var total = 0.0
            var used = 0
            for event in matching where used < segments {
                guard case .string(let text)? = event.properties[property] else { continue }
                total += Sentiment.score(text)
                used += 1
            }
            guard used > 0 else { return nil }
            return .number((total / Double(used) * 1000).rounded() / 1000)
        }
    }

    private static func ageDays(_ event: LeadEvent, nowMS: Int64) -> Double {
        max(0, Double(nowMS - event.atMS) / millisecondsPerDay)
    }

    /// The transcript text the `sentiment` rules read, oldest first: the latest `segments` of each
    /// rule's events (for the LLM step, which reads what the caller said as untrusted notes).
    public func transcript(_ events: [LeadEvent]) -> [String] {
        var texts: [(at: Int64, id: String, text: String)] = []
        var seen: Set<String> = []
        for rule in rules {
            guard case .sentiment(let property, let segments) = rule.fold else { continue }
            var taken = 0
            for event in events.sorted(by: { $0.atMS != $1.atMS ? $0.atMS > $1.atMS : $0.id > $1.id }) where taken < segments && rule.matches(event) {
                guard case .string(let text)? = event.properties[property] else { continue }
                taken += 1
                if seen.insert(event.id).inserted { texts.append((event.atMS, event.id, text)) }
            }
        }
        return texts.sorted { $0.at != $1.at ? $0.at < $1.at : $0.id < $1.id }.map(\.text)
    }

    /// The events to drop: those older than `retention_days`, then the oldest beyond `max_per_lead`.
    public func expired(_ events: [LeadEvent], nowMS: Int64) -> [String] {
        let cutoff = nowMS - Int64(retentionDays * Self.millisecondsPerDay)
        var drop = events.filter { $0.atMS < cutoff }.map(\.id)
        let kept = events.filter { $0.atMS >= cutoff }
        if kept.count > maxPerLead {
            let oldest = kept.sorted { $0.atMS != $1.atMS ? $0.atMS < $1.atMS : $0.id < $1.id }
            drop += oldest.prefix(kept.count - maxPerLead).map(\.id)
        }
        return drop
    }

    /// The rules that read `property` of events of `type` as a field value (`latest` rules), to check
    /// the value when the event arrives.
    public func valueRules(type: String) -> [(property: String, field: String)] {
        rules.compactMap { rule in
            guard rule.types.contains(type), case .latest(let property?, nil, _) = rule.fold else { return nil }
            return (property, rule.field)
        }
    }
}

extension EventRules {
    /// Reads the `events` block of a manifest; `fields` are the manifest's fields, so each rule can be
    /// checked against the kind of field it sets.
    init(yaml node: YAMLNode, fields: [ModelManifest.Field]) throws(ConfigurationError) {
        try node.checkKeys(["retention_days", "max_per_lead", "types", "fold"])
        let retention = try node["retention_days"]?.double() ?? 90
        guard retention > 0, retention <= 3650 else {
            throw ConfigurationError(key: "events.retention_days", "must be in (0, 3650]; it is \(retention).")
        }
        let maxPerLead = try node["max_per_lead"]?.int() ?? 1000
        guard (1...100_000).contains(maxPerLead) else {
            throw ConfigurationError(key: "events.max_per_lead", "must be 1–100000; it is \(maxPerLead).")
        }
        var extra: Set<String> = []
        if let types = node["types"] {
            for type in try Self.typeList(types) { extra.insert(type) }
        }
        var rules: [Rule] = []
        for (name, spec) in try node.required("fold").entries() {
            guard let field = fields.first(where: { $0.name == name }) else {
                throw ConfigurationError(key: "events.fold.\(name)", "is not a field of this manifest. Use a name listed under `fields`.")
            }
            rules.append(try Self.rule(field: field, spec: spec, retention: retention))
        }
        self.init(retentionDays: retention, maxPerLead: maxPerLead, rules: rules, extraTypes: extra)
    }

    private static func typeList(_ node: YAMLNode) throws(ConfigurationError) -> [String] {
        let types = node.node.sequence != nil ? try node.strings() : [try node.string()]
        for type in types where !ModelManifest.isIdentifier(type) {
            throw ConfigurationError(key: node.path, "`\(type)` is not a valid event type: use 1–64 letters, digits, `-`, `_` or `.`.")
        }
        guard !types.isEmpty else { throw ConfigurationError(key: node.path, "must name at least one event type.") }
        return types
    }

    private static func rule(field: ModelManifest.Field, spec: YAMLNode, retention: Double) throws(ConfigurationError) -> Rule {
        let key = "events.fold.\(field.name)"
        try spec.checkKeys(["count", "recency_days", "latest", "sentiment", "where", "window_days", "property", "value", "default", "segments"])
        let folds = ["count", "recency_days", "latest", "sentiment"].filter { spec[$0] != nil }
        guard folds.count == 1, let foldName = folds.first, let typesNode = spec[foldName] else {
            throw ConfigurationError(
                key: key, "must have exactly one of `count`, `recency_days`, `latest` or `sentiment`, naming the event type(s) it folds.")
        }
        let types = Set(try typeList(typesNode))
        var conditions: [String: LeadValue] = [:]
        if let whereNode = spec["where"] {
            for (property, value) in try whereNode.entries() { conditions[property] = try scalar(value) }
        }
        let isNumber: Bool = {
            if case .number = field.kind { return true }
            return false
        }()
        func requireNumber() throws(ConfigurationError) {
            guard isNumber else {
                throw ConfigurationError(key: key, "`\(foldName)` gives a number, but `\(field.name)` is a \(field.kind.name) field.")
            }
        }
        let fold: Fold
        switch foldName {
        case "count":
            try requireNumber()
            var window: Double?
            if let node = spec["window_days"] {
                let days = try node.double()
                guard days > 0, days <= retention else {
                    throw ConfigurationError(key: "\(key).window_days", "must be in (0, retention_days = \(retention)]; it is \(days).")
                }
                window = days
            }
            fold = .count(windowDays: window)
        case "recency_days":
            try requireNumber()
            fold = .recencyDays
        case "latest":
            let property = try spec["property"]?.string()
            let value = try spec["value"].map { node throws(ConfigurationError) in try scalar(node) }
            let fallback = try spec["default"].map { node throws(ConfigurationError) in try scalar(node) }
            guard (property == nil) != (value == nil) else {
                throw ConfigurationError(key: key, "`latest` needs exactly one of `property` (read from the event) or `value` (a constant).")
            }
            for constant in [value, fallback].compactMap({ $0 }) where !fits(constant, field.kind) {
                throw ConfigurationError(key: key, "the constant \(constant.displayText) is not a valid \(field.kind.name) value.")
            }
            fold = .latest(property: property, value: value, fallback: fallback)
        default:
            try requireNumber()
            let property = try spec["property"]?.string() ?? "text"
            let segments = try spec["segments"]?.int() ?? 1
            guard (1...50).contains(segments) else {
                throw ConfigurationError(key: "\(key).segments", "must be 1–50; it is \(segments).")
            }
            fold = .sentiment(property: property, segments: segments)
        }
        if spec["window_days"] != nil, foldName != "count" {
            throw ConfigurationError(key: "\(key).window_days", "applies to `count` rules only. Remove it.")
        }
        return Rule(field: field.name, types: types, conditions: conditions, fold: fold)
    }

    private static func scalar(_ node: YAMLNode) throws(ConfigurationError) -> LeadValue {
        guard let scalar = node.node.scalar else { throw ConfigurationError(key: node.path, "must be a number, boolean or string.") }
        if scalar.style == .plain {
            if let b = node.node.bool { return .bool(b) }
            if let x = node.node.float, x.isFinite { return .number(x) }
        }
        return .string(scalar.string)
    }

    private static func fits(_ value: LeadValue, _ kind: ModelManifest.FieldKind) -> Bool {
        switch (kind, value) {
        case (.number, .number), (.boolean, .bool), (.oneHot, .string), (.categorical, .string): true
        default: false
        }
    }
}
