import Foundation

/// Leaf support: how much of the training data backs the leaves a row reaches.
///
/// Every node stores its training cover (xgboost: the sum of hessians of the training rows that
/// reached it; LightGBM: their count). `cover(leaf) / cover(root)` is the share of the tree's training
/// weight that landed in the same leaf as the row. A leaf value is a Newton step whose precision grows
/// with that weight, so a row whose leaves carry little weight is scored from thin evidence.
extension Forest {
    /// The geometric mean, over all trees, of `cover(leaf) / cover(root)` for the leaves `row` reaches
    /// (`featureCount` values, NaN = missing). In (0, 1]; shares below 1e-12 count as 1e-12.
    func leafSupport(row: UnsafePointer<Double>) -> Double {
        let featureCount = self.featureCount
        let categories = self.categories
        var logSum = 0.0
        withScratch(inputs: inputWidth, accumulators: 1, lanes: 1) { input, _, _ in
            Rule.convert(row, featureCount: featureCount, into: input)
            withPointers { p in
                logLeafShares.withUnsafeBufferPointer { shares in
                    for t in 0..<p.treeCount {
                        var index = Int(p.roots[t])
                        for _ in 0..<p.depths[t] { index = Self.step(p.nodes, index, input, categories) }
                        logSum += shares[index]
                    }
                }
            }
        }
        return treeCount > 0 ? Foundation.exp(logSum / Double(treeCount)) : 1
    }

    /// `log(max(cover(leaf) / cover(root), 1e-12))` per node (0 for internal nodes and empty roots).
    func makeLogLeafShares() -> [Double] {
        var shares = [Double](repeating: 0, count: nodes.count)
        for t in 0..<treeCount {
            let root = Int(roots[t])
            let end = t + 1 < treeCount ? Int(roots[t + 1]) : nodes.count
            let rootCover = covers[root]
            for i in root..<end where nodes[i].isLeaf {
                let share = rootCover > 0 ? covers[i] / rootCover : 1
                shares[i] = Foundation.log(Swift.max(share, 1e-12))
            }
        }
        return shares
    }
}
