import Foundation

/// A tree-ensemble model (xgboost or LightGBM), loaded into a flat layout and evaluated natively.
///
/// Margins and predictions match the library that trained the model: xgboost's float32 arithmetic
/// bit for bit, LightGBM's double arithmetic exactly. ``contributions(for:)`` gives exact
/// path-dependent TreeSHAP values with xgboost's `pred_contribs` layout. Every method is safe to call
/// from many threads at once; the value is immutable after loading.
public struct Ensemble: Sendable {
    /// The library whose rules the model follows.
    public enum Library: String, Sendable {
        case xgboost, lightgbm
    }

    public let library: Library
    /// The version of the library that wrote the file, when the file says.
    public let libraryVersion: String?
    public let features: [Feature]
    public let objective: Objective
    /// Outputs per row: 1, or the number of classes of a multiclass model.
    public let outputCount: Int
    /// The margin each output starts from before any tree (the bias of TreeSHAP without the trees).
    public let baseMargins: [Double]

    let kernel: Kernel
    private let featureIndexByName: [String: Int]
    private let categoryCodes: [[String: Int]]

    enum Kernel: Sendable {
        case xgboost(Forest<XGBoostSplit>)
        case lightgbm(Forest<LightGBMSplit>)
    }

    init(
        library: Library, libraryVersion: String?, features: [Feature], objective: Objective, kernel: Kernel
    ) {
        self.library = library
        self.libraryVersion = libraryVersion
        self.features = features
        self.objective = objective
        self.kernel = kernel
        switch kernel {
        case .xgboost(let forest):
            outputCount = forest.groupCount
            baseMargins = forest.baseMargins.map(Double.init)
        case .lightgbm(let forest):
            outputCount = forest.groupCount
            baseMargins = forest.baseMargins
        }
        var byName: [String: Int] = [:]
        for (index, feature) in features.enumerated() where byName[feature.name] == nil {
            byName[feature.name] = index
        }
        featureIndexByName = byName
        categoryCodes = features.map { feature in
            var codes: [String: Int] = [:]
            for (code, name) in feature.categories.enumerated() where codes[name] == nil { codes[name] = code }
            return codes
        }
    }

    // MARK: Shape

    public var featureCount: Int { features.count }
    public var featureNames: [String] { features.map(\.name) }

    public var treeCount: Int {
        switch kernel {
        case .xgboost(let f): f.treeCount
        case .lightgbm(let f): f.treeCount
        }
    }

    public var nodeCount: Int {
        switch kernel {
        case .xgboost(let f): f.nodes.count
        case .lightgbm(let f): f.nodes.count
        }
    }

    /// Depth of the deepest leaf.
    public var maxDepth: Int {
        switch kernel {
        case .xgboost(let f): f.maxDepth
        case .lightgbm(let f): f.maxDepth
        }
    }

    /// The column of the feature called `name`.
    public func featureIndex(named name: String) -> Int? { featureIndexByName[name] }

    /// The code the model uses for category `name` of feature `feature`, from the category names the
    /// model file stores; `nil` when the file stores none or the category was not seen in training.
    public func categoryCode(feature: Int, category name: String) -> Int? {
        guard feature >= 0, feature < categoryCodes.count else { return nil }
        return categoryCodes[feature][name]
    }

    /// Values per row of ``contributions(for:)``: for each output, one per feature and the bias.
    public var contributionCount: Int { outputCount * (featureCount + 1) }

    // MARK: One row

    /// Margins of one row (`featureCount` values; NaN = missing), without allocating.
    ///
    /// - Precondition: `row.count == featureCount` and `out.count >= outputCount`.
    public func margins(row: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(row.count == featureCount && out.count >= outputCount, "row or output buffer has the wrong size")
        guard let rowBase = row.baseAddress, let outBase = out.baseAddress else { return }
        switch kernel {
        case .xgboost(let f): f.margins(row: rowBase, into: outBase)
        case .lightgbm(let f): f.margins(row: rowBase, into: outBase)
        }
    }

    /// Turns margins into predictions (probabilities for classifiers) in the library's arithmetic.
    ///
    /// - Precondition: both buffers hold at least `outputCount` values.
    public func predictions(
        fromMargins margins: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>
    ) {
        precondition(margins.count >= outputCount && out.count >= outputCount, "buffers are too small")
        guard let m = margins.baseAddress, let o = out.baseAddress else { return }
        switch library {
        case .xgboost: objective.link.applyFloat(m, o, count: outputCount)
        case .lightgbm: objective.link.apply(m, o, count: outputCount)
        }
    }

    /// Margins of one row.
    public func margins(for row: [Double]) throws(ModelError) -> [Double] {
        try checkRow(row.count)
        var out = [Double](repeating: 0, count: outputCount)
        row.withUnsafeBufferPointer { r in out.withUnsafeMutableBufferPointer { margins(row: r, into: $0) } }
        return out
    }

    /// Predictions (probabilities for classifiers) of one row.
    public func predictions(for row: [Double]) throws(ModelError) -> [Double] {
        let m = try margins(for: row)
        var out = [Double](repeating: 0, count: outputCount)
        m.withUnsafeBufferPointer { mb in out.withUnsafeMutableBufferPointer { predictions(fromMargins: mb, into: $0) } }
        return out
    }

    /// TreeSHAP contributions of one row into `out` (``contributionCount`` values), without allocating
    /// on the heap for trees up to a few hundred levels deep.
    public func contributions(row: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(row.count == featureCount && out.count >= contributionCount, "row or output buffer has the wrong size")
        guard let rowBase = row.baseAddress, let outBase = out.baseAddress else { return }
        switch kernel {
        case .xgboost(let f): f.contributions(rows: rowBase, count: 1, into: outBase)
        case .lightgbm(let f): f.contributions(rows: rowBase, count: 1, into: outBase)
        }
    }

    /// How much training data backs the leaves this row reaches: the geometric mean over the trees of
    /// `cover(leaf) / cover(root)`, in (0, 1]. Cover is xgboost's hessian sum or LightGBM's row count,
    /// the weight behind each leaf value. Models without covers report 1.
    ///
    /// - Precondition: `row.count == featureCount`.
    public func leafSupport(row: UnsafeBufferPointer<Double>) -> Double {
        precondition(row.count == featureCount, "row has the wrong size")
        guard let rowBase = row.baseAddress else { return 1 }
        switch kernel {
        case .xgboost(let f): return f.leafSupport(row: rowBase)
        case .lightgbm(let f): return f.leafSupport(row: rowBase)
        }
    }

    /// TreeSHAP contributions of one row: for each output, one value per feature (log-odds for
    /// classifiers), then the bias. They add up to the row's margin.
    public func contributions(for row: [Double]) throws(ModelError) -> [Double] {
        try checkRow(row.count)
        var out = [Double](repeating: 0, count: contributionCount)
        row.withUnsafeBufferPointer { r in out.withUnsafeMutableBufferPointer { contributions(row: r, into: $0) } }
        return out
    }

    private func checkRow(_ count: Int) throws(ModelError) {
        guard count == featureCount else {
            throw ModelError(.mismatch, "The row has \(count) values, but the model has \(featureCount) features.")
        }
    }

    // MARK: Batches

    /// Margins of every row of `matrix` (`rowCount × outputCount` values), on up to `threads` threads.
    public func margins(_ matrix: FeatureMatrix, threads: Int = 1) throws(ModelError) -> [Double] {
        try checkMatrix(matrix)
        let rows = matrix.rowCount
        let outputs = outputCount
        let features = featureCount
        let kernel = self.kernel
        return [Double](unsafeUninitializedCapacity: rows * outputs) { buffer, initialized in
            guard let outBase = buffer.baseAddress else {
                initialized = 0
                return
            }
            let out = SharedPointer(base: outBase)
            matrix.values.withUnsafeBufferPointer { values in
                guard let inBase = values.baseAddress else { return }
                let input = SharedPointer(base: UnsafeMutablePointer(mutating: inBase))
                forEachChunk(count: rows, threads: threads) { range in
                    let rowsIn = UnsafePointer(input.base + range.lowerBound * features)
                    let rowsOut = out.base + range.lowerBound * outputs
                    switch kernel {
                    case .xgboost(let f): f.margins(rows: rowsIn, count: range.count, into: rowsOut)
                    case .lightgbm(let f): f.margins(rows: rowsIn, count: range.count, into: rowsOut)
                    }
                }
            }
            initialized = rows * outputs
        }
    }

    /// Predictions for margins laid out as ``margins(_:threads:)`` returns them.
    public func predictions(fromMargins margins: [Double]) -> [Double] {
        let outputs = outputCount
        var out = [Double](repeating: 0, count: margins.count)
        margins.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                var start = 0
                while start + outputs <= m.count {
                    predictions(
                        fromMargins: UnsafeBufferPointer(rebasing: m[start..<(start + outputs)]),
                        into: UnsafeMutableBufferPointer(rebasing: o[start..<(start + outputs)]))
                    start += outputs
                }
            }
        }
        return out
    }

    /// TreeSHAP contributions of every row (`rowCount × contributionCount` values), on up to `threads` threads.
    public func contributions(_ matrix: FeatureMatrix, threads: Int = 1) throws(ModelError) -> [Double] {
        try checkMatrix(matrix)
        let rows = matrix.rowCount
        let width = contributionCount
        let features = featureCount
        let kernel = self.kernel
        return [Double](unsafeUninitializedCapacity: rows * width) { buffer, initialized in
            guard let outBase = buffer.baseAddress else {
                initialized = 0
                return
            }
            let out = SharedPointer(base: outBase)
            matrix.values.withUnsafeBufferPointer { values in
                guard let inBase = values.baseAddress else { return }
                let input = SharedPointer(base: UnsafeMutablePointer(mutating: inBase))
                forEachChunk(count: rows, threads: threads, minimumChunk: 8) { range in
                    let rowsIn = UnsafePointer(input.base + range.lowerBound * features)
                    let rowsOut = out.base + range.lowerBound * width
                    switch kernel {
                    case .xgboost(let f): f.contributions(rows: rowsIn, count: range.count, into: rowsOut)
                    case .lightgbm(let f): f.contributions(rows: rowsIn, count: range.count, into: rowsOut)
                    }
                }
            }
            initialized = rows * width
        }
    }

    private func checkMatrix(_ matrix: FeatureMatrix) throws(ModelError) {
        guard matrix.columnCount == featureCount else {
            throw ModelError(.mismatch, "The input has \(matrix.columnCount) columns, but the model has \(featureCount) features.")
        }
    }
}
