import Evaluation
import Foundation

/// How one CSV column becomes a model field.
public struct FieldPlan: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case number
        case boolean
        /// One 0/1 model column per category; other values and missing ones set them all to 0.
        case oneHot(categories: [String])
    }

    /// The CSV column's header text.
    public var column: String
    /// The field name requests and the manifest use (snake_case of the column).
    public var name: String
    public var kind: Kind

    /// The model columns this field feeds, in order (one-hot: one per category).
    public var features: [String]

    public init(column: String, name: String, kind: Kind, features: [String]? = nil) {
        self.column = column
        self.name = name
        self.kind = kind
        switch kind {
        case .number, .boolean: self.features = features ?? [name]
        case .oneHot(let categories): self.features = features ?? categories.map { "\(name)=\($0)" }
        }
    }
}

/// A column left out of the model, and why.
public struct Exclusion: Sendable, Equatable {
    public var column: String
    public var reason: String
}

/// What the training data looks like, column by column, and what the inference made of it.
public struct Schema: Sendable {
    public var fields: [FieldPlan]
    public var excluded: [Exclusion]
    /// Columns that predict the label suspiciously well on their own but stay in (single-column AUC).
    public var warnings: [String]
}

/// Values that mean "missing" in every column, on top of the empty cell and `--missing-value`s.
enum MissingValues {
    static let standard: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none", "?"]
}

enum BooleanText {
    static let yes: Set<String> = ["yes", "true", "y", "t"]
    static let no: Set<String> = ["no", "false", "n", "f"]
    static func parse(_ text: String) -> Bool? {
        let lower = text.lowercased()
        if yes.contains(lower) || lower == "1" { return true }
        if no.contains(lower) || lower == "0" { return false }
        return nil
    }
}

/// Infers a field plan per column from the training rows (never the holdout).
struct SchemaInference {
    var maxCategories = 30
    var minCategoryCount = 5
    /// A column whose own AUC reaches this is called leaky and left out.
    var leakAUC = 0.95
    /// From this single-column AUC on, a column is reported as suspicious.
    var warnAUC = 0.85

    func infer(table: DataTable, rows: [Int], labels: [Bool], skip: Set<Int>, exclude: Set<String>) -> Schema {
        var fields: [FieldPlan] = []
        var excluded: [Exclusion] = []
        var warnings: [String] = []
        var usedNames: Set<String> = []
        let rowLabels = rows.map { labels[$0] }
        for (c, column) in table.header.enumerated() where !skip.contains(c) {
            if exclude.contains(column) || exclude.contains(FieldNames.snakeCase(column)) {
                excluded.append(Exclusion(column: column, reason: "left out by --exclude"))
                continue
            }
            var counts: [String: Int] = [:]
            var missing = 0
            var numeric = true
            var integral = true
            for r in rows {
                let value = table.value(r, c)
                guard let value else {
                    missing += 1
                    continue
                }
                counts[value, default: 0] += 1
                if numeric {
                    if let x = Double(value), x.isFinite {
                        if x.rounded() != x { integral = false }
                    } else {
                        numeric = false
                    }
                }
            }
            let present = rows.count - missing
            if present == 0 {
                excluded.append(Exclusion(column: column, reason: "always missing"))
                continue
            }
            if counts.count == 1 {
                excluded.append(Exclusion(column: column, reason: "constant (`\(counts.keys.first ?? "")` in every row)"))
                continue
            }
            let unique = counts.count == present && Double(present) >= 0.95 * Double(rows.count)
            if unique && (!numeric || integral) {
                excluded.append(Exclusion(column: column, reason: "an identifier (a different value in every row)"))
                continue
            }
            if !numeric, Self.looksLikeDates(counts.keys) {
                excluded.append(Exclusion(column: column, reason: "a date or time (pass it as --time-column to split by it)"))
                continue
            }
            let kind: FieldPlan.Kind
            let lowered = Set(counts.keys.map { $0.lowercased() })
            if !numeric && lowered.isSubset(of: BooleanText.yes.union(BooleanText.no)) && lowered.count == 2 {
                kind = .boolean
            } else if numeric {
                kind = .number
            } else {
                if !unique && counts.count > 200 && Double(counts.count) > 0.5 * Double(present) {
                    excluded.append(Exclusion(column: column, reason: "free text (\(counts.count) different values)"))
                    continue
                }
                let frequent = counts.filter { $0.value >= minCategoryCount }
                    .sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                    .prefix(maxCategories).map(\.key)
                guard !frequent.isEmpty else {
                    excluded.append(Exclusion(column: column, reason: "no value occurs \(minCategoryCount) times"))
                    continue
                }
                if unique {
                    excluded.append(Exclusion(column: column, reason: "an identifier (a different value in every row)"))
                    continue
                }
                kind = .oneHot(categories: frequent)
            }
            var name = FieldNames.snakeCase(column)
            if usedNames.contains(name) {
                var n = 2
                while usedNames.contains("\(name)_\(n)") { n += 1 }
                name = "\(name)_\(n)"
            }
            let plan = FieldPlan(column: column, name: name, kind: kind)
            let auc = singleColumnAUC(plan: plan, column: c, table: table, rows: rows, labels: rowLabels)
            if auc >= leakAUC {
                excluded.append(
                    Exclusion(
                        column: column,
                        reason: "leaky: on its own it predicts the label with AUC \(Self.format(auc)) (filled in after the outcome?)"))
                continue
            }
            if auc >= warnAUC {
                warnings.append(
                    "`\(column)` alone predicts the label with AUC \(Self.format(auc)); check that it is known before the outcome (--exclude it if not)."
                )
            }
            usedNames.insert(name)
            fields.append(plan)
        }
        return Schema(fields: fields, excluded: excluded, warnings: warnings)
    }

    /// Whether nearly all of (a sample of) these values are ISO 8601 dates or date-times.
    static func looksLikeDates(_ values: Dictionary<String, Int>.Keys) -> Bool {
        let sample = values.prefix(200)
        let times = TimeValues()
        let dates = sample.filter { $0.count >= 8 && $0.first?.isNumber == true && times.parse($0) != nil }.count
        return dates * 10 >= sample.count * 9
    }

    /// The AUC of the column used alone: numbers by value (missing lowest; folded, so that 0.5 is
    /// useless and 1 perfect whichever way the number points), categories by their out-of-fold
    /// conversion rate.
    func singleColumnAUC(plan: FieldPlan, column: Int, table: DataTable, rows: [Int], labels: [Bool]) -> Double {
        var scores: [Double] = []
        scores.reserveCapacity(rows.count)
        switch plan.kind {
        case .number:
            for r in rows { scores.append(table.value(r, column).flatMap(Double.init) ?? -Double.greatestFiniteMagnitude) }
        case .boolean, .oneHot:
            // Five folds: each row scored by its value's conversion rate in the other four, so no
            // row predicts itself (in-sample rates make any rare value look perfect, and
            // leave-one-out rates rank a value's own converted rows below its others).
            let folds = 5
            var totals = [[String: (Int, Int)]](repeating: [:], count: folds)
            for (i, r) in rows.enumerated() {
                let key = table.value(r, column) ?? ""
                totals[i % folds][key, default: (0, 0)].0 += 1
                if labels[i] { totals[i % folds][key, default: (0, 0)].1 += 1 }
            }
            let overall = Double(labels.filter { $0 }.count) / Double(max(1, labels.count))
            for (i, r) in rows.enumerated() {
                let key = table.value(r, column) ?? ""
                var count = 0
                var converted = 0
                for f in 0..<folds where f != i % folds {
                    if let t = totals[f][key] {
                        count += t.0
                        converted += t.1
                    }
                }
                // One pseudo-lead at the overall rate keeps unseen values at the base rate.
                scores.append((Double(converted) + overall) / (Double(count) + 1))
            }
            return EvalMetrics.rocAUC(scores, labels) ?? 0.5
        }
        let auc = EvalMetrics.rocAUC(scores, labels) ?? 0.5
        return max(auc, 1 - auc)
    }

    static func format(_ x: Double) -> String { String(format: "%.3f", x) }
}

enum FieldNames {
    /// `Total Time Spent on Website` → `total_time_spent_on_website`; `emp.var.rate` → `emp_var_rate`.
    static func snakeCase(_ text: String) -> String {
        var out = ""
        var pendingUnderscore = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if pendingUnderscore && !out.isEmpty { out += "_" }
                pendingUnderscore = false
                out += String(scalar).lowercased()
            } else {
                pendingUnderscore = true
            }
        }
        if out.isEmpty { out = "field" }
        if let first = out.unicodeScalars.first, ("0"..."9").contains(first) { out = "f_" + out }
        return String(out.prefix(60))
    }
}
