extension FeatureMatrix {
    /// Builds the input matrix of `model` from a CSV table whose header names the model's features.
    ///
    /// Columns may come in any order; every model feature must be present and no other column may be.
    /// An empty cell (or `NaN`) is a missing value. A categorical column may hold integer codes or the
    /// category names the model file stores.
    ///
    /// - Throws: ``InputError`` naming the line and column of the first bad value.
    public init(csv table: CSVTable, for model: Ensemble) throws(InputError) {
        var columnOfFeature = [Int](repeating: -1, count: model.featureCount)
        for (column, name) in table.header.enumerated() {
            guard let feature = model.featureIndex(named: name) else {
                throw InputError(
                    line: 1, column: name,
                    "The column is not a feature of the model; the model's features are: \(Self.list(model.featureNames)).")
            }
            guard columnOfFeature[feature] == -1 else {
                throw InputError(line: 1, column: name, "The column appears twice in the header.")
            }
            columnOfFeature[feature] = column
        }
        let missing = model.featureNames.enumerated().filter { columnOfFeature[$0.offset] == -1 }.map(\.element)
        guard missing.isEmpty else {
            throw InputError(line: 1, "The CSV lacks feature column(s) the model needs: \(Self.list(missing)). Add them (empty cells mean missing).")
        }

        self.init(columnCount: model.featureCount)
        reserveCapacity(rows: table.rows.count)
        var row = [Double](repeating: .nan, count: model.featureCount)
        for (r, fields) in table.rows.enumerated() {
            for feature in 0..<model.featureCount {
                let text = fields[columnOfFeature[feature]]
                row[feature] = try Self.value(
                    text, feature: feature, model: model, line: table.lineNumbers[r], column: model.features[feature].name)
            }
            // The row has exactly `featureCount` values by construction.
            try? append(row: row)
        }
    }

    private static func value(_ raw: String, feature: Int, model: Ensemble, line: Int, column: String) throws(InputError) -> Double {
        let text = raw.trimmingSpaces()
        if text.isEmpty || text.lowercased() == "nan" { return .nan }
        if let number = Double(text) { return number }
        if model.features[feature].kind == .categorical {
            if let code = model.categoryCode(feature: feature, category: raw) ?? model.categoryCode(feature: feature, category: text) {
                return Double(code)
            }
            let known = model.features[feature].categories
            throw InputError(
                line: line, column: column,
                known.isEmpty
                    ? "\"\(raw)\" is not a category code, and the model file stores no category names; use the integer code."
                    : "\"\(raw)\" is not a category the model was trained on; known categories: \(list(known)).")
        }
        throw InputError(line: line, column: column, "\"\(raw)\" is not a number; write a decimal number or leave the cell empty for missing.")
    }

    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(12).map { "\"\($0)\"" }.joined(separator: ", ")
        return names.count > 12 ? shown + ", … (\(names.count) in all)" : shown
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
