/// Prediction: walks every tree for a row and adds the leaf values per output group.
///
/// Accumulation happens in the library's own arithmetic, in tree order, starting from the base
/// margin, which is how xgboost reaches its margins bit for bit (float32) and LightGBM its raw scores
/// (double). The batch path walks a block of rows through one tree before moving to the next tree,
/// so a tree's nodes stay in cache across the block.
extension Forest {
    /// Rows walked through one tree before moving on to the next tree.
    static var blockSize: Int { 64 }

    @inline(__always)
    static func leaf(
        _ nodes: UnsafePointer<Node<Scalar>>, _ root: Int, _ row: UnsafePointer<Double>, _ categories: CategorySets
    ) -> Scalar {
        var i = root
        while true {
            let node = nodes[i]
            if node.isLeaf { return node.value }
            i = Rule.child(node, row[node.feature], categories)
        }
    }

    /// Margins of one row (`featureCount` values, NaN = missing) into `out` (`groupCount` values).
    func margins(row: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
        margins(rows: row, count: 1, into: out)
    }

    /// Margins of `count` row-major rows into `out` (`count × groupCount` values).
    func margins(rows: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Double>) {
        let groupCount = self.groupCount
        let featureCount = self.featureCount
        let treeCount = self.treeCount
        let categories = self.categories
        let block = Swift.min(Self.blockSize, Swift.max(count, 1))
        nodes.withUnsafeBufferPointer { nodeBuffer in
            roots.withUnsafeBufferPointer { roots in
                groups.withUnsafeBufferPointer { groups in
                    withUnsafeTemporaryAllocation(of: Scalar.self, capacity: block * groupCount) { acc in
                        guard let nodes = nodeBuffer.baseAddress, let accBase = acc.baseAddress else { return }
                        var start = 0
                        while start < count {
                            let m = Swift.min(block, count - start)
                            for r in 0..<m {
                                for g in 0..<groupCount { accBase[r * groupCount + g] = baseMargins[g] }
                            }
                            let firstRow = rows + start * featureCount
                            if groupCount == 1 {
                                for t in 0..<treeCount {
                                    let root = Int(roots[t])
                                    var row = firstRow
                                    for r in 0..<m {
                                        accBase[r] += Self.leaf(nodes, root, row, categories)
                                        row += featureCount
                                    }
                                }
                            } else {
                                for t in 0..<treeCount {
                                    let root = Int(roots[t])
                                    let g = Int(groups[t])
                                    var row = firstRow
                                    for r in 0..<m {
                                        accBase[r * groupCount + g] += Self.leaf(nodes, root, row, categories)
                                        row += featureCount
                                    }
                                }
                            }
                            for k in 0..<(m * groupCount) { out[start * groupCount + k] = Double(accBase[k]) }
                            start += m
                        }
                    }
                }
            }
        }
    }
}
