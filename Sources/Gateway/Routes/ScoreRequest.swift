import Foundation
import Scoring

/// Any JSON object key.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// `options` of a score request.
struct ScoreOptions: Sendable {
    var rerank: Bool?
    var explain: Bool?
    var model: String?

    static let keys: Set<String> = ["rerank", "explain", "model"]

    init() {}

    init(from container: KeyedDecodingContainer<AnyKey>, path: String, issues: inout [FieldIssue]) {
        for key in container.allKeys where !Self.keys.contains(key.stringValue) {
            issues.append(FieldIssue(field: "\(path).\(key.stringValue)", message: "is not an option. Use rerank, explain or model."))
        }
        rerank = decodeField(container, "rerank", path: path, issues: &issues, type: "true or false")
        explain = decodeField(container, "explain", path: path, issues: &issues, type: "true or false")
        model = decodeField(container, "model", path: path, issues: &issues, type: "a model version string")
    }
}

/// Decodes an optional field, turning a type mismatch into a field issue.
func decodeField<T: Decodable>(
    _ container: KeyedDecodingContainer<AnyKey>, _ name: String, path: String, issues: inout [FieldIssue], type: String
) -> T? {
    let key = AnyKey(name)
    guard container.contains(key) else { return nil }
    do {
        return try container.decodeIfPresent(T.self, forKey: key)
    } catch {
        issues.append(FieldIssue(field: path.isEmpty ? name : "\(path).\(name)", message: "must be \(type)."))
        return nil
    }
}

/// One lead as a request sends it. Decoding never throws for a bad field: it collects issues, so a
/// batch can answer per lead.
struct LeadInput: Decodable, Sendable {
    var leadID: String?
    var features: [String: LeadValue] = [:]
    var notes: String?
    var options = ScoreOptions()
    /// Problems found while decoding (wrong types, unknown keys), as dotted paths.
    var issues: [FieldIssue] = []

    static let keys: Set<String> = ["lead_id", "features", "notes", "options"]

    init(from decoder: any Decoder) throws {
        let path = decoder.codingPath.isEmpty ? "" : Self.pathText(decoder.codingPath)
        func at(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else {
            issues.append(FieldIssue(field: path.isEmpty ? "(body)" : path, message: "must be a JSON object with lead_id and features."))
            return
        }
        for key in container.allKeys where !Self.keys.contains(key.stringValue) {
            issues.append(FieldIssue(field: at(key.stringValue), message: "is not a field of a lead. Use lead_id, features, notes and options."))
        }
        leadID = decodeField(container, "lead_id", path: path, issues: &issues, type: "a string")
        notes = decodeField(container, "notes", path: path, issues: &issues, type: "a string or null")
        if let nested = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("features")) {
            for key in nested.allKeys {
                do {
                    features[key.stringValue] = try nested.decode(LeadValue.self, forKey: key)
                } catch {
                    issues.append(
                        FieldIssue(
                            field: "\(at("features")).\(key.stringValue)",
                            message: "must be a number, boolean, string or null, not an object or a list."))
                }
            }
        } else if container.contains(AnyKey("features")), (try? container.decodeNil(forKey: AnyKey("features"))) != true {
            issues.append(FieldIssue(field: at("features"), message: "must be an object of field names to values."))
        }
        if let nested = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("options")) {
            options = ScoreOptions(from: nested, path: at("options"), issues: &issues)
        } else if container.contains(AnyKey("options")), (try? container.decodeNil(forKey: AnyKey("options"))) != true {
            issues.append(FieldIssue(field: at("options"), message: "must be an object (rerank, explain, model)."))
        }
    }

    static func pathText(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}

/// `POST /v1/leads/batch-score`: leads and options shared by all of them.
struct BatchInput: Decodable {
    var leads: [LeadInput] = []
    var options = ScoreOptions()
    var issues: [FieldIssue] = []
    var hasLeads = false

    init(from decoder: any Decoder) throws {
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else {
            issues.append(FieldIssue(field: "(body)", message: "must be a JSON object with a `leads` list."))
            return
        }
        for key in container.allKeys where !["leads", "options"].contains(key.stringValue) {
            issues.append(FieldIssue(field: key.stringValue, message: "is not a field of a batch. Use leads and options."))
        }
        if container.contains(AnyKey("leads")) {
            do {
                leads = try container.decode([LeadInput].self, forKey: AnyKey("leads"))
                hasLeads = true
            } catch {
                issues.append(FieldIssue(field: "leads", message: "must be a list of lead objects."))
            }
        } else {
            issues.append(FieldIssue(field: "leads", message: "is required: a list of up to the batch limit of lead objects."))
        }
        if let nested = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("options")) {
            options = ScoreOptions(from: nested, path: "options", issues: &issues)
        }
    }
}
