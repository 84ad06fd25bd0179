import Evaluation
import Foundation
import JSON
import Pipeline
import Reranker
import Scoring
import Synchronization
import Telemetry

/// Reading the labelled leads of an evaluation: CSV or JSON lines.
extension PromptEval {
    struct Input {
        var line: Int
        var lead: LeadInput
    }

    /// CSV (a header naming the manifest's fields, the label column, optional `lead_id` and `notes`)
    /// or JSON lines (each a lead as POST /v1/leads/score takes it, with the label as a top-level key).
    static func readData(_ options: Options, manifest: ModelManifest) throws(ConfigurationError) -> ([Input], [Bool], [(line: Int, why: String)]) {
        guard let data = FileManager.default.contents(atPath: options.data), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: "--data", "`\(options.data)` cannot be read.")
        }
        var inputs: [Input] = []
        var labels: [Bool] = []
        var skipped: [(line: Int, why: String)] = []
        func label(_ value: String?) -> Bool? {
            switch value?.trimmingCharacters(in: .whitespaces).lowercased() {
            case "1", "1.0", "true", "yes", "converted": true
            case "0", "0.0", "false", "no": false
            default: nil
            }
        }
        let limit = options.limit ?? Int.max
        if options.data.hasSuffix(".jsonl") || options.data.hasSuffix(".ndjson") {
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where inputs.count < limit {
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                guard let node = try? JSONReader.parse(Data(line.utf8)), case .object(var members) = node else {
                    skipped.append((n + 1, "not a JSON object"))
                    continue
                }
                let value = members.first { $0.key == options.label }?.value
                members.removeAll { $0.key == options.label }
                let text: String? =
                    switch value {
                    case .bool(let b): b ? "1" : "0"
                    case .number(let d): String(d)
                    case .string(let s): s
                    default: nil
                    }
                guard let converted = label(text) else {
                    skipped.append((n + 1, "`\(options.label)` is missing or not 0/1, true/false"))
                    continue
                }
                inputs.append(Input(line: n + 1, lead: LeadInput(.object(members))))
                labels.append(converted)
            }
        } else {
            let rows = CSVLines.parse(text)
            guard let header = rows.first else { throw ConfigurationError(key: "--data", "is empty.") }
            guard let labelColumn = header.firstIndex(of: options.label) else {
                throw ConfigurationError(
                    key: "--label", "`\(options.label)` is not a column of \(options.data). Columns: \(header.joined(separator: ", ")).")
            }
            let fields = Dictionary(uniqueKeysWithValues: manifest.fields.map { ($0.name, $0) })
            for (n, row) in rows.dropFirst().enumerated() where inputs.count < limit {
                guard row.count == header.count else {
                    if row.count > 1 || row.first?.isEmpty == false {
                        skipped.append((n + 2, "has \(row.count) fields; the header has \(header.count)"))
                    }
                    continue
                }
                guard let converted = label(row[labelColumn]) else {
                    skipped.append((n + 2, "`\(options.label)` is `\(row[labelColumn])`, not 0/1 or true/false"))
                    continue
                }
                var features: [(key: String, value: JSONNode)] = []
                var leadID = "row-\(n + 2)"
                var notes: JSONNode = .null
                for (c, name) in header.enumerated() where c != labelColumn {
                    let cell = row[c]
                    if name == "lead_id" {
                        if !cell.isEmpty { leadID = cell }
                    } else if name == "notes" {
                        notes = cell.isEmpty ? .null : .string(cell)
                    } else if let field = fields[name] {
                        features.append((name, Self.value(cell, kind: field.kind)))
                    }
                }
                let object: JSONNode = .object([("lead_id", .string(leadID)), ("features", .object(features)), ("notes", notes)])
                inputs.append(Input(line: n + 2, lead: LeadInput(object)))
                labels.append(converted)
            }
        }
        return (inputs, labels, skipped)
    }

    static func value(_ cell: String, kind: ModelManifest.FieldKind) -> JSONNode {
        let trimmed = cell.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.lowercased() != "nan", trimmed.lowercased() != "null" else { return .null }
        switch kind {
        case .number: return Double(trimmed).map(JSONNode.number) ?? .string(trimmed)
        case .boolean:
            switch trimmed.lowercased() {
            case "1", "1.0", "true", "yes": return .bool(true)
            case "0", "0.0", "false", "no": return .bool(false)
            default: return .string(trimmed)
            }
        case .oneHot, .categorical: return .string(trimmed)
        }
    }
}
