import Foundation
import TreeEnsemble

/// Encodes table rows as the model's columns, exactly as the gateway's `LeadEncoder` encodes a
/// request: numbers as they are, booleans 1/0, one-hot 0/1 with every column 0 for a missing or
/// unlisted category, NaN for missing numbers and booleans.
struct MatrixEncoder {
    enum Slot {
        case number(Int, column: Int)
        case boolean(Int, column: Int)
        case oneHot([String: Int], all: [Int], column: Int)
    }

    let slots: [Slot]
    let columnCount: Int
    let names: [String]
    let table: DataTable

    init(fields: [FieldPlan], table: DataTable) {
        var slots: [Slot] = []
        var next = 0
        var names: [String] = []
        for field in fields {
            let column = table.columnIndex(field.column) ?? 0
            switch field.kind {
            case .number:
                slots.append(.number(next, column: column))
                next += 1
            case .boolean:
                slots.append(.boolean(next, column: column))
                next += 1
            case .oneHot(let categories):
                var map: [String: Int] = [:]
                var all: [Int] = []
                for category in categories {
                    map[category] = next
                    all.append(next)
                    next += 1
                }
                slots.append(.oneHot(map, all: all, column: column))
            }
            names += field.features
        }
        self.slots = slots
        self.columnCount = next
        self.names = names
        self.table = table
    }

    func encode(row r: Int, into out: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<columnCount { out[i] = .nan }
        for slot in slots {
            switch slot {
            case .number(let i, let column):
                if let v = table.value(r, column), let x = Double(v), x.isFinite { out[i] = x }
            case .boolean(let i, let column):
                if let v = table.value(r, column), let b = BooleanText.parse(v) { out[i] = b ? 1 : 0 }
            case .oneHot(let map, let all, let column):
                for i in all { out[i] = 0 }
                if let v = table.value(r, column), let i = map[v] { out[i] = 1 }
            }
        }
    }

    func values(rows: [Int]) -> [Float] {
        var values = [Float](repeating: .nan, count: rows.count * columnCount)
        var row = [Double](repeating: .nan, count: columnCount)
        for (k, r) in rows.enumerated() {
            row.withUnsafeMutableBufferPointer { encode(row: r, into: $0) }
            for c in 0..<columnCount { values[k * columnCount + c] = Float(row[c]) }
        }
        return values
    }

    func matrix(rows: [Int], labels: [Bool], threads: Int) throws(TrainingError) -> XGMatrix {
        try XGMatrix(
            values: values(rows: rows), rows: rows.count, columns: columnCount, labels: rows.map { labels[$0] ? 1 : 0 }, featureNames: names,
            threads: threads)
    }

    /// Probabilities from LeadGate's own evaluator on the same encoded rows.
    func nativePredictions(ensemble: Ensemble, rows: [Int]) -> [Double] {
        var row = [Double](repeating: .nan, count: columnCount)
        return rows.map { r in
            row.withUnsafeMutableBufferPointer { encode(row: r, into: $0) }
            return (try? ensemble.predictions(for: row).first) ?? .nan
        }
    }

    /// The confidence parameters (manifest `confidence:`): half support is the median leaf support of
    /// the training rows, and the steepness puts the 5th percentile at confidence 0.1.
    func confidence(ensemble: Ensemble, rows: [Int]) -> (halfSupport: Double, steepness: Double) {
        var row = [Double](repeating: .nan, count: columnCount)
        var supports = rows.map { r -> Double in
            row.withUnsafeMutableBufferPointer { encode(row: r, into: $0) }
            return row.withUnsafeBufferPointer { ensemble.leafSupport(row: $0) }
        }
        supports.sort()
        guard !supports.isEmpty else { return (0.02, 1) }
        let median = supports[supports.count / 2]
        let p5 = supports[supports.count / 20]
        let half = min(1, max(1e-9, median))
        var steepness = 6.0
        if p5 > 0, p5 < half { steepness = log(9) / log(half / p5) }
        return (half, min(50, max(0.5, steepness)))
    }

    /// Writes `train.csv`, `valid.csv` and `holdout.csv`: the encoded columns and `label`, so another
    /// trainer (the Python peer benchmark) sees exactly the same rows.
    func export(to directory: String, parts: [(String, [Int])], labels: [Bool]) throws(TrainingError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TrainingError("cannot create `\(directory)`: \(error.localizedDescription)")
        }
        var row = [Double](repeating: .nan, count: columnCount)
        for (name, rows) in parts {
            var text = names.map(CSVField.quoted).joined(separator: ",") + ",label\n"
            for r in rows {
                row.withUnsafeMutableBufferPointer { encode(row: r, into: $0) }
                text += row.map { $0.isNaN ? "" : "\($0)" }.joined(separator: ",") + (labels[r] ? ",1\n" : ",0\n")
            }
            let path = (directory as NSString).appendingPathComponent("\(name).csv")
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw TrainingError("cannot write `\(path)`.")
            }
        }
    }
}
