/// Path-dependent TreeSHAP from per-leaf tables, for shallow trees.
///
/// For a leaf `l`, let `F` be the distinct features on its path (`d = |F|`), `z_j` the product of the
/// cover shares of the path's edges that split on `j` ("zero fraction"), and `o_j ∈ {0, 1}` whether the
/// row takes all of those edges ("one fraction"). Path-dependent TreeSHAP gives the leaf's share of
/// feature `k ∈ F` as
///
///     v_l · (o_k − z_k) · Σ_{S ⊆ A \ {k}} w(|S|, d) · Π_{j ∈ F \ S \ {k}} z_j,    w(s, d) = s! (d−s−1)! / d!
///
/// where `A = {j : o_j = 1}` (subsets that contain a feature the row does not follow contribute 0).
/// Everything but `A` is fixed at load time, so each leaf stores the whole term for every `A` and `k`:
/// `2^d × d` numbers. Explaining a row is then one pass over the tree's splits to learn which way the
/// row goes, and for each leaf a bit mask and `d` additions: O(leaves × depth) per tree instead of
/// the recursion's O(leaves × depth²) with its weight updates (Yang 2021, "Fast TreeSHAP", v2).
/// The result is the same sum as ``Forest/Walker`` computes, up to rounding.
///
/// A class, so a forest stays a small value however large its tables are.
final class LeafTables<Term: BinaryFloatingPoint & Sendable>: Sendable {
    /// `nil` when a path has too many distinct features or the terms would be too many.
    let data: LeafTableData<Term>?

    init(_ data: LeafTableData<Term>?) { self.data = data }

    /// Distinct features per path above which the tables are not built (2^d × d terms per leaf).
    static var maxWidth: Int { LeafTableLimits.maxWidth }
    /// Bytes of terms above which the tables are not built: the recursion is used instead.
    static var maxBytes: Int { LeafTableLimits.maxBytes }
}

/// Size limits of ``LeafTables``, shared by every term type.
enum LeafTableLimits {
    static var maxWidth: Int { 10 }
    static var maxBytes: Int { 64 << 20 }
}

/// The arrays of ``LeafTables``.
struct LeafTableData<Term: BinaryFloatingPoint & Sendable>: Sendable {
    /// Per tree: first leaf (index into the per-leaf arrays) and the node range of the tree.
    var treeLeafStart: [Int32] = []
    var treeNodeStart: [Int32] = []
    var treeNodeEnd: [Int32] = []
    /// Per leaf: the range of its path steps, its distinct features and where its terms start.
    var leafStepStart: [Int32] = []
    var leafFeatureStart: [Int32] = []
    var leafTermStart: [Int] = []
    var leafWidth: [UInt8] = []
    /// Per path step: the node, the child on the path, and the bit of the step's feature in the leaf's mask.
    var stepNode: [Int32] = []
    var stepChild: [Int32] = []
    var stepBit: [UInt16] = []
    /// Distinct features of each leaf, as output columns.
    var features: [Int32] = []
    /// `terms[leafTermStart[l] + A × d + k]`: leaf `l`'s share of its feature `k` when the row follows
    /// the features in mask `A`. Computed in double and stored in the library's own precision
    /// (float32 for xgboost, which computes `pred_contribs` in float32; double for LightGBM): a row
    /// reads one term group per leaf from tables that outgrow the caches, so their size is what a
    /// row costs.
    var terms: [Term] = []
    /// Nodes in the largest tree (scratch size for one row).
    var maxTreeNodes = 0
}

extension Forest {
    /// Builds the leaf tables, or returns `nil` when a path has too many distinct features or the
    /// tables would exceed ``LeafTables/maxBytes``.
    func makeLeafTables() -> LeafTableData<Scalar>? {
        var tables = LeafTableData<Scalar>()
        var termCount = 0
        var weight = [[Double]](repeating: [], count: LeafTableLimits.maxWidth + 1)
        for d in 1...LeafTableLimits.maxWidth {
            // w(s, d) = s! (d−s−1)! / d!, built as a product to stay exact for small d.
            weight[d] = (0..<d).map { s in
                var value = 1.0 / Double(d)
                for i in 1..<(d) where i <= s { value *= Double(i) / Double(d - i) }
                return value
            }
        }
        for t in 0..<treeCount {
            let root = Int(roots[t])
            let end = t + 1 < treeCount ? Int(roots[t + 1]) : nodes.count
            tables.treeLeafStart.append(Int32(tables.leafWidth.count))
            tables.treeNodeStart.append(Int32(root))
            tables.treeNodeEnd.append(Int32(end))
            tables.maxTreeNodes = Swift.max(tables.maxTreeNodes, end - root)
            if nodes[root].isLeaf { continue }
            // Depth-first over the tree, keeping the path of (node, child) steps.
            var stack: [(node: Int, path: [(Int, Int)])] = [(root, [])]
            while let (index, path) = stack.popLast() {
                let node = nodes[index]
                if !node.isLeaf {
                    let left = Int(node.left)
                    stack.append((left + 1, path + [(index, left + 1)]))
                    stack.append((left, path + [(index, left)]))
                    continue
                }
                var distinct: [Int] = []
                var zero: [Double] = []
                tables.leafStepStart.append(Int32(tables.stepNode.count))
                for (parent, child) in path {
                    let feature = Rule.feature(ofColumn: nodes[parent].feature, featureCount: featureCount)
                    var slot = distinct.firstIndex(of: feature) ?? -1
                    if slot < 0 {
                        guard distinct.count < LeafTableLimits.maxWidth else { return nil }
                        slot = distinct.count
                        distinct.append(feature)
                        zero.append(1)
                    }
                    zero[slot] *= covers[child] / covers[parent]
                    tables.stepNode.append(Int32(parent))
                    tables.stepChild.append(Int32(child))
                    tables.stepBit.append(UInt16(1 << slot))
                }
                let d = distinct.count
                termCount += (1 << d) * d
                guard termCount * MemoryLayout<Scalar>.size <= LeafTableLimits.maxBytes else { return nil }
                tables.leafFeatureStart.append(Int32(tables.features.count))
                tables.features.append(contentsOf: distinct.map { Int32($0) })
                tables.leafWidth.append(UInt8(d))
                tables.leafTermStart.append(tables.terms.count)
                appendTerms(d: d, zero: zero, value: Double(leafValues[index]), weight: weight[d], to: &tables.terms)
            }
        }
        tables.treeLeafStart.append(Int32(tables.leafWidth.count))
        tables.leafStepStart.append(Int32(tables.stepNode.count))
        return tables
    }

    /// The `2^d × d` terms of one leaf (see ``LeafTables``).
    private func appendTerms(d: Int, zero: [Double], value: Double, weight: [Double], to terms: inout [Scalar]) {
        let full = (1 << d) - 1
        // Z[M] = Π_{j ∈ M} z_j for every subset M.
        var product = [Double](repeating: 1, count: 1 << d)
        for mask in 1...full {
            let low = mask.trailingZeroBitCount
            product[mask] = product[mask & (mask - 1)] * zero[low]
        }
        for followed in 0...full {
            for k in 0..<d {
                let bit = 1 << k
                let others = followed & ~bit
                var sum = 0.0
                var subset = others
                while true {
                    sum += weight[subset.nonzeroBitCount] * product[full & ~subset & ~bit]
                    if subset == 0 { break }
                    subset = (subset - 1) & others
                }
                let one = followed & bit != 0 ? 1.0 : 0.0
                terms.append(Scalar(value * (one - zero[k]) * sum))
            }
        }
    }

    /// Contributions of one converted row from the leaf tables, added into `phi` (one block of
    /// `featureCount + 1` per group). `goes` and `offsets` hold ``LeafTableData/maxTreeNodes`` scratch
    /// entries each.
    func addContributions(
        _ tables: LeafTableData<Scalar>, row input: UnsafePointer<Rule.Input>, phi: UnsafeMutablePointer<Double>,
        goes: UnsafeMutablePointer<Int32>, offsets: UnsafeMutablePointer<Int>
    ) {
        let columns = featureCount + 1
        let categories = self.categories
        nodes.withUnsafeBufferPointer { nodeBuffer in
            tables.terms.withUnsafeBufferPointer { termBuffer in
                guard let nodes = nodeBuffer.baseAddress, let terms = termBuffer.baseAddress else { return }
                for t in 0..<treeCount {
                    let first = Int(tables.treeLeafStart[t])
                    let last = Int(tables.treeLeafStart[t + 1])
                    if first == last { continue }
                    let start = Int(tables.treeNodeStart[t])
                    let end = Int(tables.treeNodeEnd[t])
                    for i in start..<end where !nodes[i].isLeaf {
                        goes[i - start] = Int32(Rule.child(nodes[i], input[nodes[i].feature], categories))
                    }
                    let block = phi + Int(groups[t]) * columns
                    // First every leaf's term offset, then the additions: the table reads no longer wait
                    // on the mask arithmetic, so the CPU can have many of them in flight at once.
                    for leaf in first..<last {
                        let d = Int(tables.leafWidth[leaf])
                        var followed = (1 << d) - 1
                        for s in Int(tables.leafStepStart[leaf])..<Int(tables.leafStepStart[leaf + 1])
                        where goes[Int(tables.stepNode[s]) - start] != tables.stepChild[s] {
                            followed &= ~Int(tables.stepBit[s])
                        }
                        offsets[leaf - first] = tables.leafTermStart[leaf] + followed * d
                    }
                    for leaf in first..<last {
                        let d = Int(tables.leafWidth[leaf])
                        let base = terms + offsets[leaf - first]
                        let featureBase = Int(tables.leafFeatureStart[leaf])
                        for k in 0..<d { block[Int(tables.features[featureBase + k])] += Double(base[k]) }
                    }
                }
            }
        }
    }
}
