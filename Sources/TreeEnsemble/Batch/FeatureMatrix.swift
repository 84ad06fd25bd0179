/// Rows of feature values, row-major, with NaN for a missing value.
public struct FeatureMatrix: Sendable, Equatable {
    public private(set) var rowCount: Int
    public let columnCount: Int
    /// `rowCount × columnCount` values, row after row.
    public private(set) var values: [Double]

    /// An empty matrix with `columnCount` columns.
    public init(columnCount: Int) {
        self.rowCount = 0
        self.columnCount = columnCount
        self.values = []
    }

    /// A matrix over `values`, which must hold `rowCount × columnCount` numbers.
    public init(rowCount: Int, columnCount: Int, values: [Double]) throws(ModelError) {
        guard rowCount >= 0, columnCount >= 0, values.count == rowCount * columnCount else {
            throw ModelError(.mismatch, "A \(rowCount) × \(columnCount) matrix needs \(rowCount * columnCount) values, not \(values.count).")
        }
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.values = values
    }

    /// Appends one row, which must have `columnCount` values.
    public mutating func append(row: [Double]) throws(ModelError) {
        guard row.count == columnCount else {
            throw ModelError(.mismatch, "A row has \(row.count) values; the matrix has \(columnCount) columns.")
        }
        values.append(contentsOf: row)
        rowCount += 1
    }

    /// Reserves room for `rows` rows in all.
    public mutating func reserveCapacity(rows: Int) {
        values.reserveCapacity(rows * columnCount)
    }

    /// The values of row `index`.
    public func row(_ index: Int) -> ArraySlice<Double> {
        values[(index * columnCount)..<((index + 1) * columnCount)]
    }

    /// The rows repeated until there are `rows` of them (for benchmarks).
    public func tiled(toRows rows: Int) -> FeatureMatrix {
        guard rowCount > 0, rows > 0 else { return FeatureMatrix(columnCount: columnCount) }
        var out = [Double]()
        out.reserveCapacity(rows * columnCount)
        while out.count < rows * columnCount {
            let remaining = rows * columnCount - out.count
            out.append(contentsOf: values.prefix(remaining))
        }
        // The count is exact by construction.
        return (try? FeatureMatrix(rowCount: rows, columnCount: columnCount, values: out)) ?? self
    }
}
