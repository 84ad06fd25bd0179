import Foundation
import Scoring
import Yams

/// Reads a manifest given with `--manifest`, and writes the one the trained folder carries.
enum ManifestFile {
    static func read(_ path: String) throws(TrainingError) -> ModelManifest {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TrainingError("cannot read the manifest `\(path)`.")
        }
        do {
            return try ModelManifest(yaml: text, file: path)
        } catch {
            throw TrainingError("the manifest `\(path)`: \(error.description)")
        }
    }

    /// The fields of a given manifest, each bound to its CSV column (by field name or label).
    static func plan(_ manifest: ModelManifest, table: DataTable) throws(TrainingError) -> Schema {
        var fields: [FieldPlan] = []
        for field in manifest.fields {
            guard let c = table.header.firstIndex(of: field.name) ?? table.header.firstIndex(of: field.label) ?? table.columnIndex(field.name)
            else {
                throw TrainingError(
                    "manifest field `\(field.name)` has no CSV column (looked for `\(field.name)` and its label `\(field.label)`). Rename the column or the field."
                )
            }
            let column = table.header[c]
            switch field.kind {
            case .number: fields.append(FieldPlan(column: column, name: field.name, kind: .number, features: [field.feature]))
            case .boolean: fields.append(FieldPlan(column: column, name: field.name, kind: .boolean, features: [field.feature]))
            case .oneHot(let columns, _):
                fields.append(
                    FieldPlan(column: column, name: field.name, kind: .oneHot(categories: columns.map(\.value)), features: columns.map(\.column)))
            case .categorical:
                throw TrainingError("manifest field `\(field.name)` is categorical; `leadgate train` encodes categories as one_hot. Change its type.")
            }
        }
        return Schema(fields: fields, excluded: [], warnings: [])
    }

    /// A model id from the output folder's name (`models/my-leads` → `my-leads`).
    static func identifier(fromFolder folder: String) -> String {
        let name = (folder as NSString).lastPathComponent
        let cleaned = String(
            name.unicodeScalars.map {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) ? Character($0) : "-"
            }
        ).prefix(64)
        return cleaned.isEmpty ? "trained" : String(cleaned)
    }

    /// `2026.12.07-1130`: the training time, sortable.
    static func versionStamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyy.MM.dd-HHmmss"
        return formatter.string(from: date)
    }

    static func text(_ s: String) -> Node { Node(s, Tag(.str), .doubleQuoted) }
    static func number(_ x: Double) -> Node { Node("\(x)", Tag(.float), .plain) }
    static func integer(_ x: Int) -> Node { Node("\(x)", Tag(.int), .plain) }

    /// Writes `manifest.yaml` into `directory` and returns its text. With a base manifest its
    /// fields, reasons, groups and events are kept; id, version, model, confidence and calibration
    /// are set from this run.
    static func write(
        base: String?, fields: [FieldPlan], id: String, version: String, data: String, thresholds: (hotAbove: Int, coldBelow: Int),
        confidence: (halfSupport: Double, steepness: Double), calibration: Calibration?, to directory: String
    ) throws(TrainingError) -> String {
        var mapping: Node.Mapping
        if let base {
            guard let data = FileManager.default.contents(atPath: base), let text = String(data: data, encoding: .utf8),
                let node = try? Yams.compose(yaml: text), case .mapping(let m) = node
            else { throw TrainingError("cannot read the manifest `\(base)` as YAML.") }
            mapping = m
        } else {
            mapping = Node.Mapping([])
            mapping["description"] = text("Trained by leadgate train on \((data as NSString).lastPathComponent); see MODEL_CARD.md")
            mapping["thresholds"] = Node(
                [("hot_above", integer(thresholds.hotAbove)), ("cold_below", integer(thresholds.coldBelow))], .implicit, .flow)
            mapping["fields"] = Node(fields.map { (text($0.name), fieldNode($0)) })
        }
        mapping["id"] = text(id)
        mapping["version"] = text(version)
        mapping["model"] = text("model.json")
        mapping["confidence"] = Node(
            [("half_support", number(confidence.halfSupport)), ("steepness", number(confidence.steepness))], .implicit, .flow)
        switch calibration {
        case .platt(let a, let b)?:
            mapping["calibration"] = Node([("method", text("platt")), ("a", number(a)), ("b", number(b))], .implicit, .flow)
        case .isotonic(let x, let y)?:
            mapping["calibration"] = Node(
                [
                    ("method", text("isotonic")), ("x", .sequence(Node.Sequence(x.map { number($0) }, .implicit, .flow))),
                    ("y", .sequence(Node.Sequence(y.map { number($0) }, .implicit, .flow))),
                ], .implicit, .block)
        case nil:
            mapping["calibration"] = nil
        }
        // id and version first, fields last: easier to read and to edit.
        let order = ["id", "version", "description", "model", "thresholds", "confidence", "calibration", "default_question", "groups", "events"]
        var pairs: [(Node, Node)] = []
        for key in order { if let value = mapping[key] { pairs.append((Node(key), value)) } }
        for (key, value) in mapping where !order.contains(key.string ?? "") { pairs.append((key, value)) }
        let header = """
            # Written by `leadgate train` (model-card.json says how). Edit the fields (labels, reasons, groups,
            # one-hot categories) and train again with --manifest this-file to keep your edits.

            """
        let yaml: String
        do {
            yaml = header + (try Yams.serialize(node: Node(pairs), width: -1, allowUnicode: true))
        } catch {
            throw TrainingError("cannot write the manifest: \(error)")
        }
        let path = (directory as NSString).appendingPathComponent("manifest.yaml")
        guard FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8)) else {
            throw TrainingError("cannot write `\(path)`.")
        }
        return yaml
    }

    static func fieldNode(_ field: FieldPlan) -> Node {
        var pairs: [(Node, Node)] = []
        switch field.kind {
        case .number: pairs.append(("type", text("number")))
        case .boolean: pairs.append(("type", text("boolean")))
        case .oneHot(let categories):
            pairs.append(("type", text("one_hot")))
            pairs.append(("columns", Node(zip(categories, field.features).map { (text($0), text($1)) })))
            pairs.append(("unknown", text("missing")))
        }
        if case .number = field.kind {
            if field.features != [field.name] { pairs.append(("feature", text(field.features[0]))) }
        } else if case .boolean = field.kind, field.features != [field.name] {
            pairs.append(("feature", text(field.features[0])))
        }
        pairs.append(("label", text(field.column)))
        return Node(pairs)
    }
}
