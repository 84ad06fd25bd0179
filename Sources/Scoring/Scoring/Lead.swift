/// One value a lead sends for a field: the JSON scalar types.
public enum LeadValue: Sendable, Equatable, Codable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            throw DecodingError.typeMismatch(
                LeadValue.self,
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: "must be a number, boolean, string or null, not an object or a list"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let v): try container.encode(v)
        case .bool(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .null: try container.encodeNil()
        }
    }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .number: "a number"
        case .bool: "a boolean"
        case .string: "a string"
        case .null: "null"
        }
    }

    /// The value as a reason sentence shows it: `5`, `0.85`, `yes`, `zillow`.
    public var displayText: String {
        switch self {
        case .number(let v):
            if v.rounded() == v, abs(v) < 1e15 { return String(Int(v)) }
            guard abs(v) < 1e15 else { return String(format2: v) }
            var text = String(format2: v)
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        case .bool(let v): return v ? "yes" : "no"
        case .string(let v): return v
        case .null: return "unknown"
        }
    }
}

extension String {
    /// `value` with two decimals, without Foundation's locale-dependent formatting.
    /// Beyond ±1e15 (where two decimals say nothing and an `Int` could overflow) and for
    /// non-finite values, Swift's shortest text (`1e+300`).
    init(format2 value: Double) {
        guard value.isFinite, abs(value) < 1e15 else {
            self = "\(value)"
            return
        }
        let scaled = (abs(value) * 100).rounded()
        let whole = Int(scaled / 100)
        let cents = Int(scaled.truncatingRemainder(dividingBy: 100))
        self = (value < 0 && scaled > 0 ? "-" : "") + "\(whole)." + (cents < 10 ? "0" : "") + "\(cents)"
    }
}

/// A lead as the scorer sees it: an id and its field values.
public struct Lead: Sendable {
    public var id: String
    public var features: [String: LeadValue]

    public init(id: String, features: [String: LeadValue]) {
        self.id = id
        self.features = features
    }
}

/// One problem with one field of a lead: where, what, and the fix.
public struct FieldIssue: Sendable, Equatable, Codable {
    /// A dotted path such as `features.pricing_page_views`.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Hot / warm / cold.
public enum Badge: String, Sendable, Codable, CaseIterable {
    case hot, warm, cold
}

/// Badge thresholds on a 0–100 score: hot when `score > hotAbove`, cold when `score < coldBelow`.
public struct ScoreThresholds: Sendable, Equatable {
    public var hotAbove: Int
    public var coldBelow: Int

    public init(hotAbove: Int = 80, coldBelow: Int = 40) {
        self.hotAbove = hotAbove
        self.coldBelow = coldBelow
    }

    public func badge(for score: Int) -> Badge {
        if score > hotAbove { return .hot }
        if score < coldBelow { return .cold }
        return .warm
    }

    public func validate(key: String) throws(ConfigurationError) {
        guard (0...100).contains(hotAbove), (0...100).contains(coldBelow) else {
            throw ConfigurationError(key: key, "hot_above (\(hotAbove)) and cold_below (\(coldBelow)) must be within 0–100.")
        }
        guard coldBelow <= hotAbove else {
            throw ConfigurationError(key: key, "cold_below (\(coldBelow)) must not exceed hot_above (\(hotAbove)). Swap them.")
        }
    }
}
