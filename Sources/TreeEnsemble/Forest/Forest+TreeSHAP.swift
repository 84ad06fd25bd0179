/// Exact path-dependent TreeSHAP (Lundberg et al. 2020, Algorithm 2), with the semantics of
/// xgboost's `pred_contribs`: one value per feature and a bias column per output group, where the
/// bias is the base margin plus each tree's expected value under its covers. A row's values add up
/// to its margin.
///
/// The algorithm keeps, while descending a tree, the set of features on the path with the fraction
/// of "zero" paths (cover share) and "one" paths (whether the row goes that way), and the
/// permutation weights of the subsets of that set. The workspace for all levels is allocated once per
/// call (not per row or per tree): level `k` of the recursion owns a segment of `k + 1` elements.
extension Forest {
    struct PathElement {
        var feature: Int32
        var zeroFraction: Double
        var oneFraction: Double
        var weight: Double
    }

    /// Elements the recursion may use at once for this forest.
    var shapWorkspaceSize: Int { (maxDepth + 2) * (maxDepth + 3) / 2 }

    /// Row length of ``shapRatios``.
    var shapRatioStride: Int { maxDepth + 3 }

    /// Contributions of `count` row-major rows into `out`, which receives `count × groupCount ×
    /// (featureCount + 1)` values: for each row, for each group, the features then the bias. `out` is
    /// overwritten.
    /// `useTables: false` forces the recursion even when leaf tables exist (to test one against the other).
    func contributions(rows: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Double>, useTables: Bool = true) {
        let columns = featureCount + 1
        let perRow = groupCount * columns
        out.update(repeating: 0, count: count * perRow)
        if useTables, let tables = leafTables.data {
            let scratch = Swift.max(1, tables.maxTreeNodes)
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: scratch) { goesBuffer in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: scratch) { offsetBuffer in
                    withUnsafeTemporaryAllocation(of: Rule.Input.self, capacity: inputWidth) { inputBuffer in
                        guard let goes = goesBuffer.baseAddress, let offsets = offsetBuffer.baseAddress, let input = inputBuffer.baseAddress
                        else { return }
                        for r in 0..<count {
                            Rule.convert(rows + r * featureCount, featureCount: featureCount, into: input)
                            let phiRow = out + r * perRow
                            addContributions(tables, row: input, phi: phiRow, goes: goes, offsets: offsets)
                            for g in 0..<groupCount { phiRow[g * columns + featureCount] = shapBias[g] }
                        }
                    }
                }
            }
            return
        }
        let categories = self.categories
        let stride = shapRatioStride
        let width = inputWidth
        withUnsafeTemporaryAllocation(of: PathElement.self, capacity: shapWorkspaceSize) { workspace in
            withUnsafeTemporaryAllocation(of: Rule.Input.self, capacity: width) { inputBuffer in
                guard let path = workspace.baseAddress, let input = inputBuffer.baseAddress else { return }
                covers.withUnsafeBufferPointer { coverBuffer in
                    shapRatios.withUnsafeBufferPointer { ratioBuffer in
                        withPointers { p in
                            guard let covers = coverBuffer.baseAddress, let ratio = ratioBuffer.baseAddress else { return }
                            let walker = Walker(
                                nodes: p.nodes, leafValues: p.leaves, covers: covers, categories: categories,
                                weights: Weights(ratio: ratio, stride: stride), featureCount: featureCount)
                            for r in 0..<count {
                                Rule.convert(rows + r * featureCount, featureCount: featureCount, into: input)
                                let phiRow = out + r * perRow
                                for t in 0..<p.treeCount {
                                    let root = Int(p.roots[t])
                                    if p.nodes[root].isLeaf { continue }  // a single leaf only moves the bias
                                    walker.recurse(
                                        node: root, row: input, phi: phiRow + Int(p.groups[t]) * columns, parentPath: path,
                                        path: path, length: 0, zeroFraction: 1, oneFraction: 1, feature: -1)
                                }
                                for g in 0..<groupCount { phiRow[g * columns + featureCount] = shapBias[g] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The recursion, with the forest's buffers bound to pointers for the duration of one call.
    struct Walker {
        let nodes: UnsafePointer<Node<Scalar>>
        let leafValues: UnsafePointer<Scalar>
        let covers: UnsafePointer<Double>
        let categories: CategorySets
        let weights: Weights
        let featureCount: Int

        /// Visits `node`, arriving with the parent's path (`length` elements at `parentPath`), extended
        /// by the split that led here (`feature`, with the given zero and one fractions). `path` is
        /// where this level's segment starts.
        func recurse(
            node index: Int, row: UnsafePointer<Rule.Input>, phi: UnsafeMutablePointer<Double>,
            parentPath: UnsafeMutablePointer<PathElement>, path: UnsafeMutablePointer<PathElement>, length: Int,
            zeroFraction: Double, oneFraction: Double, feature: Int32
        ) {
            if path != parentPath { path.update(from: parentPath, count: length) }
            weights.extend(path, length: length, zeroFraction: zeroFraction, oneFraction: oneFraction, feature: feature)
            var length = length + 1
            let node = nodes[index]

            if node.isLeaf {
                let value = Double(leafValues[index])
                if length > 1 {
                    // For an element the row does not follow (one fraction 0), the unwound sum is
                    // Σ_j w_j·(l+1)/(l−j) divided by its zero fraction: the sum is the same for all of
                    // them, so it is computed once per leaf instead of once per element.
                    let last = length - 1
                    var coldSum = 0.0
                    for j in 0..<last { coldSum += path[j].weight * weights.r(last + 1, last - j) }
                    for i in 1..<length {
                        let element = path[i]
                        let w: Double
                        if element.oneFraction != 0 {
                            w = weights.unwoundSum(path, length: length, index: i)
                        } else {
                            w = element.zeroFraction != 0 ? coldSum / element.zeroFraction : 0
                        }
                        phi[Int(element.feature)] += w * (element.oneFraction - element.zeroFraction) * value
                    }
                }
                return
            }

            let splitFeature = Rule.feature(ofColumn: node.feature, featureCount: featureCount)
            let hot = Rule.child(node, row[node.feature], categories)
            let left = Int(node.left)
            let cold = hot == left ? left + 1 : left
            let cover = covers[index]

            // A feature already on the path is taken off first, carrying its fractions over.
            var incomingZero = 1.0
            var incomingOne = 1.0
            if length > 1 {
                for k in 1..<length where Int(path[k].feature) == splitFeature {
                    incomingZero = path[k].zeroFraction
                    incomingOne = path[k].oneFraction
                    weights.unwind(path, length: length, index: k)
                    length -= 1
                    break
                }
            }

            let next = path + length
            let f = Int32(splitFeature)
            recurse(
                node: hot, row: row, phi: phi, parentPath: path, path: next, length: length,
                zeroFraction: incomingZero * covers[hot] / cover, oneFraction: incomingOne, feature: f)
            recurse(
                node: cold, row: row, phi: phi, parentPath: path, path: next, length: length,
                zeroFraction: incomingZero * covers[cold] / cover, oneFraction: 0, feature: f)
        }
    }

    /// The permutation-weight updates of TreeSHAP, with the integer ratios they need read from a table.
    struct Weights {
        let ratio: UnsafePointer<Double>
        let stride: Int

        /// `a / b`.
        @inline(__always) func r(_ a: Int, _ b: Int) -> Double { ratio[a * stride + b] }

        /// Adds an element to a path of `length` elements and updates the subset weights.
        @inline(__always)
        func extend(
            _ path: UnsafeMutablePointer<PathElement>, length: Int, zeroFraction: Double, oneFraction: Double,
            feature: Int32
        ) {
            path[length] = PathElement(
                feature: feature, zeroFraction: zeroFraction, oneFraction: oneFraction, weight: length == 0 ? 1 : 0)
            var i = length - 1
            while i >= 0 {
                path[i + 1].weight += oneFraction * path[i].weight * r(i + 1, length + 1)
                path[i].weight = zeroFraction * path[i].weight * r(length - i, length + 1)
                i -= 1
            }
        }

        /// Removes element `index` from a path of `length` elements, undoing its effect on the weights.
        @inline(__always)
        func unwind(_ path: UnsafeMutablePointer<PathElement>, length: Int, index: Int) {
            let last = length - 1
            let one = path[index].oneFraction
            let zero = path[index].zeroFraction
            var next = path[last].weight
            var j = last - 1
            if one != 0 {
                let inverseOne = 1 / one
                while j >= 0 {
                    let previous = path[j].weight
                    path[j].weight = next * r(last + 1, j + 1) * inverseOne
                    next = previous - path[j].weight * zero * r(last - j, last + 1)
                    j -= 1
                }
            } else if zero != 0 {
                let inverseZero = 1 / zero
                while j >= 0 {
                    path[j].weight *= r(last + 1, last - j) * inverseZero
                    j -= 1
                }
            }
            for k in index..<last {
                path[k].feature = path[k + 1].feature
                path[k].zeroFraction = path[k + 1].zeroFraction
                path[k].oneFraction = path[k + 1].oneFraction
            }
        }

        /// The total weight element `index` would leave if it were unwound, without changing the path.
        @inline(__always)
        func unwoundSum(_ path: UnsafeMutablePointer<PathElement>, length: Int, index: Int) -> Double {
            let last = length - 1
            let one = path[index].oneFraction
            let zero = path[index].zeroFraction
            var total = 0.0
            var j = last - 1
            if one != 0 {
                let inverseOne = 1 / one
                var next = path[last].weight
                while j >= 0 {
                    let share = next * r(last + 1, j + 1) * inverseOne
                    total += share
                    next = path[j].weight - share * zero * r(last - j, last + 1)
                    j -= 1
                }
            } else if zero != 0 {
                let inverseZero = 1 / zero
                while j >= 0 {
                    total += path[j].weight * inverseZero * r(last + 1, last - j)
                    j -= 1
                }
            }
            return total
        }
    }
}
