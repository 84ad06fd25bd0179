public import JSON
public import Scoring

/// One lead as a request sends it. Reading never fails on a bad field: it collects issues, so a
/// batch can answer per lead.
public struct LeadInput: Sendable {
    public var leadID: String?
    public var features: [String: LeadValue] = [:]
    public var notes: String?
    /// Whether the lead agreed to be scored and kept (`privacy.require_consent` asks for `true`).
    public var consent: Bool?
    public var options = ScoreOptions()
    /// Problems found while reading (wrong types, unknown keys), as dotted paths.
    public var issues: [FieldIssue] = []

    /// A lead given as values (the command line, jobs, tests).
    public init(leadID: String?, features: [String: LeadValue], notes: String? = nil, options: ScoreOptions = ScoreOptions()) {
        self.leadID = leadID
        self.features = features
        self.notes = notes
        self.options = options
    }

    /// Reads the lead at `path` (empty for a whole body).
    public init(_ node: JSONNode, path: String = "") {
        func at(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        guard case .object(let members) = node else {
            issues.append(
                FieldIssue(field: path.isEmpty ? "(body)" : path, message: "must be a JSON object with lead_id and features, not \(node.typeName)."))
            return
        }
        for (key, value) in members {
            switch key {
            case "lead_id":
                switch value {
                case .string(let s): leadID = s
                case .null: break
                default: issues.append(FieldIssue(field: at(key), message: "must be a string, not \(value.typeName)."))
                }
            case "notes":
                switch value {
                case .string(let s): notes = s
                case .null: break
                default: issues.append(FieldIssue(field: at(key), message: "must be a string or null, not \(value.typeName)."))
                }
            case "features":
                switch value {
                case .object(let fields):
                    features.reserveCapacity(fields.count)
                    for (name, field) in fields {
                        switch field {
                        case .number(let x): features[name] = .number(x)
                        case .bool(let b): features[name] = .bool(b)
                        case .string(let s): features[name] = .string(s)
                        case .null: features[name] = .null
                        case .array, .object:
                            issues.append(
                                FieldIssue(
                                    field: "\(at("features")).\(name)", message: "must be a number, boolean, string or null, not \(field.typeName)."))
                        }
                    }
                case .null: break
                default:
                    issues.append(FieldIssue(field: at(key), message: "must be an object of field names to values, not \(value.typeName)."))
                }
            case "consent":
                switch value {
                case .bool(let b): consent = b
                case .null: break
                default: issues.append(FieldIssue(field: at(key), message: "must be true or false, not \(value.typeName)."))
                }
            case "options":
                options = ScoreOptions(value, path: at(key), issues: &issues)
            default:
                issues.append(FieldIssue(field: at(key), message: "is not a field of a lead. Use lead_id, features, notes, consent and options."))
            }
        }
    }
}
