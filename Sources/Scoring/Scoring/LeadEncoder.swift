public import TreeEnsemble

/// Turns a lead's fields into the model's feature vector, following a manifest, and maps each model
/// column back to the field that fed it (so TreeSHAP values fold back to what the client sent).
public struct LeadEncoder: Sendable {
    enum Plan: Sendable {
        case number(column: Int, min: Double?, max: Double?)
        case boolean(column: Int)
        case oneHot(columns: [String: Int], all: [Int], rejectUnknown: Bool)
        case categorical(column: Int, rejectUnknown: Bool)
    }

    struct CompiledField: Sendable {
        let field: ModelManifest.Field
        let plan: Plan
    }

    let fields: [CompiledField]
    let fieldIndex: [String: Int]
    /// For each model column, the index of the field that feeds it.
    public let fieldOfColumn: [Int]
    public let columnCount: Int

    /// Checks the manifest against the model: every field names real columns, every column is fed.
    public init(manifest: ModelManifest, model: Ensemble) throws(ConfigurationError) {
        var owner = [Int](repeating: -1, count: model.featureCount)
        var compiled: [CompiledField] = []
        var index: [String: Int] = [:]
        func column(_ name: String, field: String) throws(ConfigurationError) -> Int {
            guard let column = model.featureIndex(named: name) else {
                throw ConfigurationError(
                    key: "fields.\(field)",
                    "names model column `\(name)`, which the model does not have. Use one of: \(model.featureNames.prefix(40).joined(separator: ", "))."
                )
            }
            guard owner[column] < 0 else {
                throw ConfigurationError(key: "fields.\(field)", "feeds model column `\(name)`, which another field already feeds.")
            }
            owner[column] = compiled.count
            return column
        }
        for field in manifest.fields {
            let plan: Plan
            switch field.kind {
            case .number(let min, let max):
                plan = .number(column: try column(field.feature, field: field.name), min: min, max: max)
            case .boolean:
                plan = .boolean(column: try column(field.feature, field: field.name))
            case .oneHot(let columns, let reject):
                var map: [String: Int] = [:]
                var all: [Int] = []
                for (value, name) in columns {
                    let c = try column(name, field: field.name)
                    map[value] = c
                    all.append(c)
                }
                plan = .oneHot(columns: map, all: all, rejectUnknown: reject)
            case .categorical(let reject):
                let c = try column(field.feature, field: field.name)
                guard model.features[c].kind == .categorical, !model.features[c].categories.isEmpty else {
                    throw ConfigurationError(
                        key: "fields.\(field.name).type",
                        "is categorical, but model column `\(field.feature)` has no stored category names. Train with named categories or use one_hot."
                    )
                }
                plan = .categorical(column: c, rejectUnknown: reject)
            }
            index[field.name] = compiled.count
            compiled.append(CompiledField(field: field, plan: plan))
        }
        if let unfed = owner.firstIndex(of: -1) {
            throw ConfigurationError(
                key: "fields", "do not feed model column `\(model.features[unfed].name)`. Add a field for it (every column must be fed).")
        }
        fields = compiled
        fieldIndex = index
        fieldOfColumn = owner
        columnCount = model.featureCount
    }

    public var fieldCount: Int { fields.count }
    public func field(at index: Int) -> ModelManifest.Field { fields[index].field }

    /// The categories a categorical field accepts, from the model file.
    public func categories(of field: ModelManifest.Field, model: Ensemble) -> [String] {
        guard let i = fieldIndex[field.name], case .categorical(let column, _) = fields[i].plan else { return [] }
        return model.features[column].categories
    }

    /// Why `value` is not a valid value of `field` (a sentence that follows "which "), or nil.
    public func problem(field: String, value: LeadValue, model: Ensemble) -> String? {
        var row = [Double](repeating: .nan, count: columnCount)
        let issues = row.withUnsafeMutableBufferPointer { encode([field: value], model: model, into: $0).issues }
        let prefix = "features.\(field)"
        guard let issue = issues.first(where: { $0.field == prefix && !$0.message.hasPrefix("is required") }) else { return nil }
        return issue.message
    }

    /// Encodes `features` into `row` (``columnCount`` values; NaN = missing). Returns the problems
    /// (wrong types, out of range, unknown categories, missing required fields) and the names of fields
    /// the manifest does not know, so the caller can reject or report them.
    public func encode(
        _ features: [String: LeadValue], model: Ensemble, into row: UnsafeMutableBufferPointer<Double>
    ) -> (issues: [FieldIssue], unknown: [String]) {
        var issues: [FieldIssue] = []
        for i in 0..<row.count { row[i] = .nan }
        for compiled in fields {
            let field = compiled.field
            let value = features[field.name] ?? .null
            if case .null = value {
                if field.required {
                    issues.append(FieldIssue(field: "features.\(field.name)", message: "is required by this model. Send a value."))
                }
                if case .oneHot(_, let all, _) = compiled.plan { for c in all { row[c] = 0 } }
                continue
            }
            switch (compiled.plan, value) {
            case (.number(let column, let min, let max), .number(let x)):
                if let min, x < min {
                    issues.append(
                        FieldIssue(
                            field: "features.\(field.name)",
                            message:
                                "is \(LeadValue.number(x).displayText), below the minimum \(LeadValue.number(min).displayText). Send a value of at least that."
                        ))
                } else if let max, x > max {
                    issues.append(
                        FieldIssue(
                            field: "features.\(field.name)",
                            message:
                                "is \(LeadValue.number(x).displayText), above the maximum \(LeadValue.number(max).displayText). Send a value of at most that."
                        ))
                } else {
                    row[column] = x
                }
            case (.boolean(let column), .bool(let b)):
                row[column] = b ? 1 : 0
            case (.oneHot(let columns, let all, let reject), .string(let s)):
                for c in all { row[c] = 0 }
                if let c = columns[s] {
                    row[c] = 1
                } else if reject {
                    issues.append(
                        FieldIssue(
                            field: "features.\(field.name)",
                            message: "`\(s)` is not a known value. Send one of: \(columns.keys.sorted().joined(separator: ", ")), or null."))
                }
            case (.categorical(let column, let reject), .string(let s)):
                if let code = model.categoryCode(feature: column, category: s) {
                    row[column] = Double(code)
                } else if reject {
                    let known = model.features[column].categories
                    issues.append(
                        FieldIssue(
                            field: "features.\(field.name)",
                            message: "`\(s)` is not a known value. Send one of: \(known.prefix(50).joined(separator: ", ")), or null."))
                }
            case (.number, _):
                issues.append(
                    FieldIssue(field: "features.\(field.name)", message: "must be a number, not \(value.typeName). Send a JSON number or null."))
            case (.boolean, _):
                issues.append(
                    FieldIssue(field: "features.\(field.name)", message: "must be true or false, not \(value.typeName). Send a JSON boolean or null.")
                )
            case (.oneHot, _), (.categorical, _):
                issues.append(
                    FieldIssue(
                        field: "features.\(field.name)", message: "must be a string category, not \(value.typeName). Send a JSON string or null."))
            }
        }
        var unknown: [String] = []
        if features.count > fields.count || features.keys.contains(where: { fieldIndex[$0] == nil }) {
            unknown = features.keys.filter { fieldIndex[$0] == nil }.sorted()
        }
        return (issues, unknown)
    }
}
