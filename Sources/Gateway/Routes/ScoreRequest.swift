import JSON
import Reranker
import Scoring

/// `options` of a score request.
struct ScoreOptions: Sendable {
    var rerank: Bool?
    var explain: Bool?
    var model: String?

    init() {}

    /// Reads the options object at `path`, adding a field issue for each problem.
    init(_ node: JSONNode, path: String, issues: inout [FieldIssue]) {
        guard case .object(let members) = node else {
            if case .null = node { return }
            issues.append(FieldIssue(field: path, message: "must be an object (rerank, explain, model), not \(node.typeName)."))
            return
        }
        for (key, value) in members {
            switch (key, value) {
            case (_, .null): continue
            case ("rerank", .bool(let b)): rerank = b
            case ("explain", .bool(let b)): explain = b
            case ("model", .string(let s)): model = s
            case ("rerank", _), ("explain", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be true or false, not \(value.typeName)."))
            case ("model", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be a model version string, not \(value.typeName)."))
            default:
                issues.append(FieldIssue(field: "\(path).\(key)", message: "is not an option. Use rerank, explain or model."))
            }
        }
    }
}

/// One lead as a request sends it. Reading never fails on a bad field: it collects issues, so a
/// batch can answer per lead.
struct LeadInput: Sendable {
    var leadID: String?
    var features: [String: LeadValue] = [:]
    var notes: String?
    var options = ScoreOptions()
    /// Problems found while reading (wrong types, unknown keys), as dotted paths.
    var issues: [FieldIssue] = []

    /// Reads the lead at `path` (empty for a whole body).
    init(_ node: JSONNode, path: String = "") {
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
            case "options":
                options = ScoreOptions(value, path: at(key), issues: &issues)
            default:
                issues.append(FieldIssue(field: at(key), message: "is not a field of a lead. Use lead_id, features, notes and options."))
            }
        }
    }
}

/// `POST /v1/leads/batch-score`: leads and options shared by all of them.
struct BatchInput {
    var leads: [LeadInput] = []
    var options = ScoreOptions()
    var issues: [FieldIssue] = []

    init(_ node: JSONNode) {
        guard case .object(let members) = node else {
            issues.append(FieldIssue(field: "(body)", message: "must be a JSON object with a `leads` list, not \(node.typeName)."))
            return
        }
        var sawLeads = false
        for (key, value) in members {
            switch key {
            case "leads":
                sawLeads = true
                guard case .array(let elements) = value else {
                    issues.append(FieldIssue(field: "leads", message: "must be a list of lead objects, not \(value.typeName)."))
                    continue
                }
                leads = elements.map { LeadInput($0) }
            case "options":
                options = ScoreOptions(value, path: "options", issues: &issues)
            default:
                issues.append(FieldIssue(field: key, message: "is not a field of a batch. Use leads and options."))
            }
        }
        if !sawLeads {
            issues.append(FieldIssue(field: "leads", message: "is required: a list of up to the batch limit of lead objects."))
        }
    }
}
