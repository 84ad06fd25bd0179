/// A tree ensemble in the flat layout every prediction runs on.
///
/// All trees live in one node array. Each tree is laid out breadth first from its root, with the two
/// children of a node stored side by side, so a walk touches few cache lines and needs one index per
/// node. Built once at load time by ``ForestBuilder``, which also proves the structure sound: every
/// index in range, every node reached exactly once (no cycles, no shared subtrees), bounded depth.
struct Forest<Rule: SplitRule>: Sendable {
    typealias Scalar = Rule.Scalar

    var nodes: [Node<Scalar>] = []
    /// Leaf values by node index (0 for internal nodes); the leaf nodes themselves loop on themselves.
    var leafValues: [Scalar] = []
    /// Root node index of each tree.
    var roots: [Int32] = []
    /// Output group (class) of each tree.
    var groups: [Int32] = []
    /// Cover of each node (sum of hessians for xgboost, data count for LightGBM), for TreeSHAP.
    var covers: [Double] = []
    /// Expected value of each tree under its covers (the TreeSHAP baseline of the tree).
    var treeMeans: [Double] = []
    /// Depth of each tree's deepest leaf: the number of steps a lock-step walk takes.
    var treeDepths: [Int32] = []
    /// Whether each tree has a categorical or general split (the others take a faster, numeric-only step).
    var treeNeedsGeneralStep: [Bool] = []
    /// Input columns per converted row (see ``SplitRule/inputWidth(featureCount:)``).
    var inputWidth: Int { Rule.inputWidth(featureCount: featureCount) }
    /// TreeSHAP bias of each group: the base margin plus the expected values of the group's trees.
    var shapBias: [Double] = []
    /// `shapRatios[a * shapRatioStride + b] = a / b`: the integer ratios of TreeSHAP's weight updates.
    var shapRatios: [Double] = []
    /// `log(cover(leaf) / cover(root))` of each leaf (0 for internal nodes), for ``leafSupport(row:)``.
    var logLeafShares: [Double] = []
    /// Per-leaf TreeSHAP terms for shallow trees (see ``LeafTables``); empty when they would be too large.
    var leafTables = LeafTables<Scalar>(nil)
    var categories = CategorySets()
    /// Depth of the deepest leaf (a single-leaf tree has depth 0).
    var maxDepth = 0
    let featureCount: Int
    let groupCount: Int
    /// Margin each group starts from, in the library's arithmetic.
    var baseMargins: [Scalar]

    var treeCount: Int { roots.count }

    init(featureCount: Int, groupCount: Int, baseMargins: [Scalar]) {
        self.featureCount = featureCount
        self.groupCount = groupCount
        self.baseMargins = baseMargins
    }
}

/// One tree as a loader reads it, in the file's own node numbering.
struct RawTree<Scalar: BinaryFloatingPoint & Sendable> {
    /// Left child of each node; `-1` marks a leaf.
    var left: [Int] = []
    var right: [Int] = []
    var feature: [Int] = []
    /// Threshold of a numeric split, or the value of a leaf. Ignored for categorical splits.
    var value: [Scalar] = []
    /// ``Node`` flag bits (default left, missing handling). The builder adds the leaf and categorical bits.
    var flags: [UInt32] = []
    var cover: [Double] = []
    /// Category codes of the categorical splits, by node.
    var categorySets: [Int: [Int]] = [:]
    var group = 0
}

/// Limits that keep a hostile model from costing unbounded memory or time.
struct ForestLimits: Sendable {
    var maxNodesPerTree = 1 << 22
    var maxTotalNodes = 1 << 27
    var maxTrees = 1 << 20
    var maxDepth = 512
    var maxCategoryCode = 1 << 24
    /// Bitset words for all category sets together (32 MiB): large codes make large bitsets.
    var maxCategoryWords = 1 << 22
}

/// Checks raw trees and lays them out as a ``Forest``.
struct ForestBuilder<Rule: SplitRule> {
    private(set) var forest: Forest<Rule>
    let limits: ForestLimits

    init(featureCount: Int, groupCount: Int, baseMargins: [Rule.Scalar], limits: ForestLimits = ForestLimits()) {
        forest = Forest(featureCount: featureCount, groupCount: groupCount, baseMargins: baseMargins)
        self.limits = limits
    }

    /// The finished forest.
    ///
    /// - Throws: when the model has no trees: it could only ever predict its base score, which is
    ///   almost certainly a mistake in the file.
    func build() throws(ModelError) -> Forest<Rule> {
        guard forest.treeCount > 0 else {
            throw ModelError(.invalid, "The model has no trees; it would only ever predict its base score.")
        }
        var forest = self.forest
        forest.shapBias = forest.baseMargins.map(Double.init)
        for t in 0..<forest.treeCount { forest.shapBias[Int(forest.groups[t])] += forest.treeMeans[t] }
        let stride = forest.shapRatioStride
        forest.shapRatios = [Double](repeating: 0, count: stride * stride)
        for a in 0..<stride {
            for b in 1..<stride { forest.shapRatios[a * stride + b] = Double(a) / Double(b) }
        }
        forest.leafTables = LeafTables(forest.makeLeafTables())
        forest.logLeafShares = forest.makeLogLeafShares()
        return forest
    }

    /// Validates `raw` and appends it. `name` is how errors refer to the tree (for example `trees[12]`).
    mutating func add(_ raw: RawTree<Rule.Scalar>, name: String) throws(ModelError) {
        let n = raw.left.count
        func bad(_ what: String) -> ModelError { ModelError(.invalid, "Tree `\(name)` \(what).") }
        guard n > 0 else { throw bad("has no nodes") }
        guard n <= limits.maxNodesPerTree else {
            throw ModelError(.tooLarge, "Tree `\(name)` has \(n) nodes; the limit is \(limits.maxNodesPerTree).")
        }
        guard forest.nodes.count + n <= limits.maxTotalNodes else {
            throw ModelError(.tooLarge, "The model has more than \(limits.maxTotalNodes) nodes in all.")
        }
        guard forest.roots.count < limits.maxTrees else {
            throw ModelError(.tooLarge, "The model has more than \(limits.maxTrees) trees.")
        }
        for (label, count) in [
            ("right children", raw.right.count), ("split features", raw.feature.count),
            ("values", raw.value.count), ("flags", raw.flags.count), ("covers", raw.cover.count),
        ]
        where count != n {
            throw bad("has \(n) left children but \(count) \(label); every per-node array must have one entry per node")
        }
        guard raw.group >= 0, raw.group < forest.groupCount else {
            throw bad("belongs to output group \(raw.group), but the model has \(forest.groupCount)")
        }

        // Breadth-first walk from the root: assigns the new, adjacent-children numbering and proves
        // that the nodes reachable from the root form a tree.
        let base = forest.nodes.count
        var newIndex = [Int32](repeating: -1, count: n)
        var order: [Int] = [0]
        var depthOf: [Int] = [0]
        order.reserveCapacity(n)
        newIndex[0] = 0
        var head = 0
        var treeDepth = 0
        // How each numeric split is stored (see SplitRule.encodeNumeric), by old node index.
        var encoding: [Int: (value: Rule.Scalar, column: Int, swapped: Bool, general: Bool)] = [:]
        while head < order.count {
            let old = order[head]
            let depth = depthOf[head]
            head += 1
            treeDepth = max(treeDepth, depth)
            if raw.left[old] == -1 {
                guard raw.value[old].isFinite else { throw bad("has a leaf (node \(old)) whose value is not finite") }
                continue
            }
            let l = raw.left[old]
            let r = raw.right[old]
            guard l >= 0, l < n, r >= 0, r < n else {
                throw bad("has node \(old) with child indices \(l) and \(r), outside 0..<\(n)")
            }
            guard l != r else { throw bad("has node \(old) whose two children are the same node \(l)") }
            guard newIndex[l] == -1, newIndex[r] == -1, l != 0, r != 0 else {
                throw bad("is not a tree: node \(old) points back to a node already reached (a cycle or a shared subtree)")
            }
            guard depth + 1 <= limits.maxDepth else {
                throw ModelError(.tooLarge, "Tree `\(name)` is deeper than \(limits.maxDepth) levels.")
            }
            let f = raw.feature[old]
            guard f >= 0, f < forest.featureCount else {
                throw bad("splits node \(old) on feature \(f), but the model has \(forest.featureCount) features")
            }
            if raw.categorySets[old] == nil, raw.value[old].isNaN {
                throw bad("has a NaN threshold at node \(old)")
            }
            guard raw.cover[old].isFinite, raw.cover[old] >= 0 else {
                throw bad("has an invalid cover \(raw.cover[old]) at node \(old)")
            }
            var first = l
            var second = r
            if raw.categorySets[old] == nil {
                let code = Rule.encodeNumeric(
                    threshold: raw.value[old], feature: f, defaultLeft: raw.flags[old] & Node<Rule.Scalar>.defaultLeftBit != 0,
                    featureCount: forest.featureCount)
                encoding[old] = code
                if code.swapped { swap(&first, &second) }
            }
            newIndex[first] = Int32(order.count)
            order.append(first)
            depthOf.append(depth + 1)
            newIndex[second] = Int32(order.count)
            order.append(second)
            depthOf.append(depth + 1)
        }

        var nodes = [Node<Rule.Scalar>]()
        nodes.reserveCapacity(order.count)
        var leafValues = [Rule.Scalar]()
        leafValues.reserveCapacity(order.count)
        var needsGeneralStep = false
        var covers = [Double]()
        covers.reserveCapacity(order.count)
        for old in order {
            covers.append(raw.cover[old])
            if raw.left[old] == -1 {
                nodes.append(Rule.leaf(at: base + nodes.count))
                leafValues.append(raw.value[old])
                continue
            }
            leafValues.append(0)
            let firstChild = min(newIndex[raw.left[old]], newIndex[raw.right[old]])
            guard max(newIndex[raw.left[old]], newIndex[raw.right[old]]) == firstChild + 1 else {
                throw bad("could not be laid out (internal error)")
            }
            let leftChild = Int32(base) + firstChild
            let flags = raw.flags[old] & ~(Node<Rule.Scalar>.featureMask | Node<Rule.Scalar>.leafBit | Node<Rule.Scalar>.generalBit)
            var info = UInt32(raw.feature[old]) | flags
            var value = raw.value[old]
            if let code = encoding[old] {
                info = UInt32(code.column) | flags | (code.general ? Node<Rule.Scalar>.generalBit : 0)
                value = code.value
                if code.general { needsGeneralStep = true }
            }
            if let codes = raw.categorySets[old] {
                guard codes.allSatisfy({ $0 >= 0 && $0 < limits.maxCategoryCode }) else {
                    throw bad("has a category code outside 0..<\(limits.maxCategoryCode) at node \(old)")
                }
                let words = (codes.max() ?? -1) / 64 + 1
                guard forest.categories.words.count + words <= limits.maxCategoryWords else {
                    throw ModelError(
                        .tooLarge,
                        "The model's category sets need more than \(limits.maxCategoryWords) bitset words (codes up to \(codes.max() ?? 0)).")
                }
                info |= Node<Rule.Scalar>.categoricalBit
                value = Rule.Scalar(forest.categories.add(codes))
                needsGeneralStep = true
            }
            nodes.append(Node(value: value, info: info, left: leftChild))
        }

        // Expected value of each node under the covers, children first (they have larger indices).
        var means = [Double](repeating: 0, count: nodes.count)
        for k in stride(from: nodes.count - 1, through: 0, by: -1) {
            let node = nodes[k]
            if node.isLeaf {
                means[k] = Double(leafValues[k])
            } else {
                let l = Int(node.left) - base
                let total = covers[k]
                means[k] = total > 0 ? (means[l] * covers[l] + means[l + 1] * covers[l + 1]) / total : 0
            }
        }

        forest.roots.append(Int32(base))
        forest.groups.append(Int32(raw.group))
        forest.nodes.append(contentsOf: nodes)
        forest.leafValues.append(contentsOf: leafValues)
        forest.treeNeedsGeneralStep.append(needsGeneralStep)
        forest.covers.append(contentsOf: covers)
        forest.treeMeans.append(means[0])
        forest.treeDepths.append(Int32(treeDepth))
        forest.maxDepth = max(forest.maxDepth, treeDepth)
    }
}
