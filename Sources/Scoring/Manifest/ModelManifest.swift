/// The description of a model that turns a lead into its feature vector and its reasons into words:
/// the `manifest.yaml` beside a model file.
public struct ModelManifest: Sendable {
    /// How one input field of a lead reaches the model.
    public enum FieldKind: Sendable, Equatable {
        /// A number in one model column. `min`/`max` bound what a request may send.
        case number(min: Double?, max: Double?)
        /// `true`/`false` as 1/0 in one model column.
        case boolean
        /// A string that sets one of several 0/1 columns (category value → column name).
        case oneHot(columns: [(value: String, column: String)], rejectUnknown: Bool)
        /// A string that the model's own category names map to a category code.
        case categorical(rejectUnknown: Bool)

        public static func == (a: FieldKind, b: FieldKind) -> Bool {
            switch (a, b) {
            case (.number(let x, let y), .number(let u, let v)): x == u && y == v
            case (.boolean, .boolean): true
            case (.oneHot(let c, let r), .oneHot(let d, let s)):
                r == s && c.count == d.count && zip(c, d).allSatisfy { $0.value == $1.value && $0.column == $1.column }
            case (.categorical(let r), .categorical(let s)): r == s
            default: false
            }
        }

        /// The name used in manifests and in the feature schema.
        public var name: String {
            switch self {
            case .number: "number"
            case .boolean: "boolean"
            case .oneHot: "one_hot"
            case .categorical: "categorical"
            }
        }
    }

    /// Reason sentences. `{value}` becomes the lead's value and `{label}` the field's label.
    public struct ReasonTemplates: Sendable, Equatable {
        /// When the field raises the score.
        public var up: String?
        /// When the field lowers the score.
        public var down: String?
        /// For booleans, by value (they read better than up/down).
        public var whenTrue: String?
        public var whenFalse: String?
        /// When the lead did not send the field.
        public var missing: String?

        public init(up: String? = nil, down: String? = nil, whenTrue: String? = nil, whenFalse: String? = nil, missing: String? = nil) {
            self.up = up
            self.down = down
            self.whenTrue = whenTrue
            self.whenFalse = whenFalse
            self.missing = missing
        }
    }

    public struct Field: Sendable, Equatable {
        public var name: String
        public var kind: FieldKind
        /// The model column (numbers, booleans, categorical); one-hot fields name theirs in `kind`.
        public var feature: String
        public var label: String
        public var group: String?
        public var required: Bool
        public var reason: ReasonTemplates
        public var description: String?
        /// What a voice agent should ask next when this field holds the lead back (`question`).
        public var question: String? = nil
    }

    public struct Group: Sendable, Equatable {
        public var id: String
        public var label: String
    }

    public var id: String
    public var version: String
    public var description: String
    /// The model file, relative to the manifest's folder.
    public var modelFile: String
    /// Hot above / cold below, when the model overrides the gateway's thresholds.
    public var hotAbove: Int?
    public var coldBelow: Int?
    /// The leaf support at which confidence is 0.5 (see ``LeadScorer``).
    public var halfSupport: Double
    /// How sharply confidence rises around `halfSupport` (1 = `s / (s + h)`).
    public var steepness: Double
    public var groups: [Group]
    public var fields: [Field]
    /// Asked next when the field holding the lead back has no question of its own.
    public var defaultQuestion: String?
    /// How events (`POST /v1/leads/{id}/events`) fold into fields; nil when the model takes none.
    public var events: EventRules?
    /// Maps the raw probability to a calibrated one (`calibration:`); nil keeps the model's own.
    public var calibration: Calibration?

    public init(
        id: String, version: String, description: String = "", modelFile: String, hotAbove: Int? = nil, coldBelow: Int? = nil,
        halfSupport: Double = 0.02, steepness: Double = 1, groups: [Group], fields: [Field]
    ) {
        self.id = id
        self.version = version
        self.description = description
        self.modelFile = modelFile
        self.hotAbove = hotAbove
        self.coldBelow = coldBelow
        self.halfSupport = halfSupport
        self.steepness = steepness
        self.groups = groups
        self.fields = fields
    }
}

extension ModelManifest {
    /// Reads a manifest from YAML text. Every error names its key (`fields.x.min`) and the fix.
    public init(yaml text: String, file: String = "manifest.yaml") throws(ConfigurationError) {
        let root = try YAMLNode.parse(text, file: file)
        try root.checkKeys([
            "id", "version", "description", "model", "thresholds", "confidence", "groups", "fields", "default_question", "events", "calibration",
        ])
        let id = try root.required("id").string()
        guard Self.isIdentifier(id) else {
            throw ConfigurationError(key: "id", "`\(id)` must be 1–64 letters, digits, `-`, `_` or `.`. Rename it.")
        }
        let version = try root.required("version").string()
        guard Self.isIdentifier(version) else {
            throw ConfigurationError(key: "version", "`\(version)` must be 1–64 letters, digits, `-`, `_` or `.`. Change it.")
        }
        var hot: Int?
        var cold: Int?
        if let thresholds = root["thresholds"] {
            try thresholds.checkKeys(["hot_above", "cold_below"])
            hot = try thresholds["hot_above"]?.int()
            cold = try thresholds["cold_below"]?.int()
        }
        var half = 0.02
        var steepness = 1.0
        if let confidence = root["confidence"] {
            try confidence.checkKeys(["half_support", "steepness"])
            if let value = confidence["steepness"] {
                steepness = try value.double()
                guard steepness > 0, steepness <= 50 else {
                    throw ConfigurationError(key: "confidence.steepness", "must be in (0, 50]; it is \(steepness).")
                }
            }
            if let value = confidence["half_support"] {
                half = try value.double()
                guard half > 0, half <= 1 else {
                    throw ConfigurationError(key: "confidence.half_support", "must be in (0, 1]; it is \(half).")
                }
            }
        }
        var groups: [Group] = []
        if let node = root["groups"] {
            for (key, value) in try node.entries() {
                try value.checkKeys(["label"])
                groups.append(Group(id: key, label: try value["label"]?.string() ?? key))
            }
        }
        let groupIDs = Set(groups.map(\.id))
        var fields: [Field] = []
        for (name, node) in try root.required("fields").entries() {
            fields.append(try Self.field(name: name, node: node, groups: groupIDs))
        }
        guard !fields.isEmpty else { throw ConfigurationError(key: "fields", "must list at least one field.") }
        self.init(
            id: id, version: version, description: try root["description"]?.string() ?? "",
            modelFile: try root.required("model").string(), hotAbove: hot, coldBelow: cold, halfSupport: half, steepness: steepness, groups: groups,
            fields: fields)
        defaultQuestion = try root["default_question"]?.string()
        if let node = root["events"] { events = try EventRules(yaml: node, fields: fields) }
        if let node = root["calibration"] { calibration = try Calibration(yaml: node) }
        try ScoreThresholds(hotAbove: hot ?? 80, coldBelow: cold ?? 40).validate(key: "thresholds")
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64
            && text.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
            }
    }

    private static func field(name: String, node: YAMLNode, groups: Set<String>) throws(ConfigurationError) -> Field {
        try node.checkKeys([
            "type", "feature", "label", "group", "required", "min", "max", "columns", "unknown", "reason", "description", "question",
        ])
        let type = try node.required("type").string()
        let kind: FieldKind
        func rejectUnknown() throws(ConfigurationError) -> Bool {
            switch try node["unknown"]?.string() ?? "reject" {
            case "reject": return true
            case "missing": return false
            case let other:
                throw ConfigurationError(key: "fields.\(name).unknown", "is `\(other)`; use `reject` (422) or `missing`.")
            }
        }
        switch type {
        case "number":
            let min = try node["min"]?.double()
            let max = try node["max"]?.double()
            if let min, let max, min > max {
                throw ConfigurationError(key: "fields.\(name).min", "(\(min)) is above `max` (\(max)). Swap them.")
            }
            kind = .number(min: min, max: max)
        case "boolean":
            kind = .boolean
        case "one_hot":
            var columns: [(String, String)] = []
            for (value, column) in try node.required("columns").entries() { columns.append((value, try column.string())) }
            guard !columns.isEmpty else {
                throw ConfigurationError(key: "fields.\(name).columns", "must map at least one category to a column.")
            }
            kind = .oneHot(columns: columns, rejectUnknown: try rejectUnknown())
        case "categorical":
            kind = .categorical(rejectUnknown: try rejectUnknown())
        default:
            throw ConfigurationError(key: "fields.\(name).type", "is `\(type)`; use number, boolean, one_hot or categorical.")
        }
        let group = try node["group"]?.string()
        if let group, !groups.contains(group) {
            throw ConfigurationError(
                key: "fields.\(name).group",
                "`\(group)` is not declared under `groups`. Declare it or use one of: \(groups.sorted().joined(separator: ", ")).")
        }
        var reason = ReasonTemplates()
        if let r = node["reason"] {
            try r.checkKeys(["up", "down", "true", "false", "missing"])
            reason = ReasonTemplates(
                up: try r["up"]?.string(), down: try r["down"]?.string(), whenTrue: try r["true"]?.string(),
                whenFalse: try r["false"]?.string(), missing: try r["missing"]?.string())
        }
        return Field(
            name: name, kind: kind, feature: try node["feature"]?.string() ?? name, label: try node["label"]?.string() ?? name,
            group: group, required: try node["required"]?.bool() ?? false, reason: reason,
            description: try node["description"]?.string(), question: try node["question"]?.string())
    }
}
