import Foundation
import TreeEnsemble

/// The training distribution of every field and of the predicted probability, stored in the model
/// card so live traffic can be compared against it (PSI) to detect drift.
struct ReferenceHistogram: Sendable {
    enum Bins: Sendable {
        /// Numbers: bin `i` holds values in `(edges[i-1], edges[i]]`; the first bin everything up to
        /// `edges[0]`, the last everything above the last edge.
        case numeric(edges: [Double])
        /// Booleans and categories: one bin per value, then `other`.
        case categories([String])
    }

    var field: String
    var bins: Bins
    /// The share of rows in each bin (numeric: edges.count + 1 bins; categories: values + other).
    var shares: [Double]
    var missingShare: Double
}

enum ReferenceHistograms {
    static func build(fields: [FieldPlan], table: DataTable, rows: [Int], holdoutProbabilities: [Double]) -> [ReferenceHistogram] {
        var result: [ReferenceHistogram] = []
        let n = Double(max(1, rows.count))
        for field in fields {
            guard let c = table.columnIndex(field.column) else { continue }
            var missing = 0
            switch field.kind {
            case .number:
                var values: [Double] = []
                for r in rows {
                    if let v = table.value(r, c), let x = Double(v), x.isFinite { values.append(x) } else { missing += 1 }
                }
                let edges = decileEdges(values)
                var counts = [Double](repeating: 0, count: edges.count + 1)
                for x in values { counts[bin(x, edges: edges)] += 1 }
                result.append(
                    ReferenceHistogram(
                        field: field.name, bins: .numeric(edges: edges), shares: counts.map { $0 / n }, missingShare: Double(missing) / n))
            case .boolean, .oneHot:
                let values: [String]
                if case .oneHot(let categories) = field.kind { values = categories } else { values = ["true", "false"] }
                var counts = [Double](repeating: 0, count: values.count + 1)
                let index = Dictionary(values.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                for r in rows {
                    guard var v = table.value(r, c) else {
                        missing += 1
                        continue
                    }
                    if case .boolean = field.kind {
                        guard let b = BooleanText.parse(v) else {
                            missing += 1
                            continue
                        }
                        v = b ? "true" : "false"
                    }
                    counts[index[v] ?? values.count] += 1
                }
                result.append(
                    ReferenceHistogram(field: field.name, bins: .categories(values), shares: counts.map { $0 / n }, missingShare: Double(missing) / n)
                )
            }
        }
        let edges = (1..<10).map { Double($0) / 10 }
        var counts = [Double](repeating: 0, count: 10)
        for p in holdoutProbabilities { counts[bin(p, edges: edges)] += 1 }
        let m = Double(max(1, holdoutProbabilities.count))
        result.append(ReferenceHistogram(field: "probability", bins: .numeric(edges: edges), shares: counts.map { $0 / m }, missingShare: 0))
        return result
    }

    /// Distinct decile cut points of `values`.
    static func decileEdges(_ values: [Double]) -> [Double] {
        guard !values.isEmpty else { return [] }
        let sorted = values.sorted()
        var edges: [Double] = []
        for q in 1..<10 {
            let x = sorted[min(sorted.count - 1, q * sorted.count / 10)]
            if edges.last != x { edges.append(x) }
        }
        if edges.last == sorted.last { edges.removeLast() }
        return edges
    }

    static func bin(_ x: Double, edges: [Double]) -> Int {
        var lo = 0
        var hi = edges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if x <= edges[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

/// `--holdout-out`: the held-out rows with the manifest's field names as columns, a `lead_id`
/// (the row's line in the source file) and the label, ready for `leadgate score`.
enum HoldoutFile {
    static func write(path: String, table: DataTable, rows: [Int], fields: [FieldPlan], labelColumn: Int, truth: [Bool]) throws(TrainingError) {
        let columns = fields.map { table.columnIndex($0.column) ?? 0 }
        var text = (["lead_id"] + fields.map(\.name) + ["label"]).map(CSVField.quoted).joined(separator: ",") + "\n"
        for r in rows {
            var cells = ["line-\(r + 2)"]
            for c in columns { cells.append(CSVField.quoted(table.value(r, c) ?? "")) }
            cells.append(truth[r] ? "1" : "0")
            text += cells.joined(separator: ",") + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw TrainingError("cannot write `\(path)`.")
        }
    }
}
