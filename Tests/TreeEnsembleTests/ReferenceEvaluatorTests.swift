import Foundation
import Testing

@testable import TreeEnsemble

/// Random xgboost trees, with edge-case thresholds and inputs, evaluated by the engine and by a
/// deliberately naive reference that follows the documented xgboost rules node by node.
@Suite struct ReferenceEvaluatorTests {
    struct RandomTree {
        var left: [Int] = []
        var right: [Int] = []
        var feature: [Int] = []
        var threshold: [Float] = []
        var defaultLeft: [Bool] = []
        var categorical: [Bool] = []
        var categories: [Int: [Int]] = [:]
        var leaf: [Float] = []
    }

    static let edgeThresholds: [Float] = [
        -.infinity, .infinity, 0, -0.0, 1, -1, 0.5, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 3.25, 1e-30, -1e30,
    ]
    static let edgeInputs: [Double] = [
        .nan, .infinity, -.infinity, 0, -0.0, 1, -1, 0.5, 1e300, -1e300, 1e-46, -1e-46, 3.25, 3.2500001, 3.2499999, 2, 5, 7.9, 40,
    ]

    static func makeTree(features: Int, categoricalFeatures: Set<Int>, rng: inout SeededGenerator) -> RandomTree {
        var tree = RandomTree()
        func grow(_ depth: Int) -> Int {
            let index = tree.left.count
            tree.left.append(-1)
            tree.right.append(-1)
            tree.feature.append(0)
            tree.threshold.append(0)
            tree.defaultLeft.append(false)
            tree.categorical.append(false)
            tree.leaf.append(Float(Int.random(in: -100...100, using: &rng)) / 64)
            if depth < 5, Int.random(in: 0..<10, using: &rng) < 7 {
                let f = Int.random(in: 0..<features, using: &rng)
                tree.feature[index] = f
                tree.defaultLeft[index] = Bool.random(using: &rng)
                if categoricalFeatures.contains(f) {
                    tree.categorical[index] = true
                    tree.categories[index] = (0..<8).filter { _ in Bool.random(using: &rng) }
                } else {
                    tree.threshold[index] = edgeThresholds.randomElement(using: &rng) ?? 0
                }
                let l = grow(depth + 1)
                let r = grow(depth + 1)
                tree.left[index] = l
                tree.right[index] = r
            }
            return index
        }
        _ = grow(0)
        return tree
    }

    static func reference(_ tree: RandomTree, _ row: [Double]) -> Float {
        var n = 0
        while tree.left[n] != -1 {
            let x = Float(row[tree.feature[n]])
            let goLeft: Bool
            if x.isNaN {
                goLeft = tree.defaultLeft[n]
            } else if tree.categorical[n] {
                goLeft = x < 0 || x >= 16_777_216 || !(tree.categories[n] ?? []).contains(Int(x))
            } else {
                goLeft = x < tree.threshold[n]
            }
            n = goLeft ? tree.left[n] : tree.right[n]
        }
        return tree.leaf[n]
    }

    static func number(_ v: Float) -> String {
        if v == .infinity { return "Infinity" }
        if v == -.infinity { return "-Infinity" }
        return v.description
    }

    static func json(_ trees: [RandomTree], features: Int, categoricalFeatures: Set<Int>) -> String {
        let treeTexts = trees.enumerated().map { (t, tree) -> String in
            let n = tree.left.count
            let values = (0..<n).map { tree.left[$0] == -1 ? number(tree.leaf[$0]) : number(tree.threshold[$0]) }
            let catNodes = tree.categories.keys.sorted()
            var segments: [Int] = []
            var all: [Int] = []
            for node in catNodes {
                segments.append(all.count)
                all += tree.categories[node] ?? []
            }
            return """
                {"tree_param": {"num_nodes": "\(n)", "num_feature": "\(features)", "size_leaf_vector": "1"},
                 "id": \(t), "left_children": \(tree.left), "right_children": \(tree.right),
                 "split_indices": \(tree.feature), "split_conditions": [\(values.joined(separator: ","))],
                 "default_left": \(tree.defaultLeft.map { $0 ? 1 : 0 }), "split_type": \(tree.categorical.map { $0 ? 1 : 0 }),
                 "sum_hessian": \([Double](repeating: 1, count: n)),
                 "categories_nodes": \(catNodes), "categories_segments": \(segments),
                 "categories_sizes": \(catNodes.map { tree.categories[$0]?.count ?? 0 }), "categories": \(all)}
                """
        }
        let types = (0..<features).map { categoricalFeatures.contains($0) ? "\"c\"" : "\"float\"" }
        return """
            {"learner": {"feature_names": [\((0..<features).map { "\"f\($0)\"" }.joined(separator: ","))],
              "feature_types": [\(types.joined(separator: ","))],
              "learner_model_param": {"base_score": "[0E0]", "num_class": "0", "num_feature": "\(features)", "num_target": "1"},
              "objective": {"name": "reg:squarederror"},
              "gradient_booster": {"name": "gbtree", "model": {
                 "gbtree_model_param": {"num_trees": "\(trees.count)"}, "tree_info": \([Int](repeating: 0, count: trees.count)),
                 "trees": [\(treeTexts.joined(separator: ","))]}}}}
            """
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomTreesMatchTheReference(_ seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed))
        let features = 4
        let categoricalFeatures: Set<Int> = seed % 2 == 0 ? [3] : []
        let trees = (0..<12).map { _ in Self.makeTree(features: features, categoricalFeatures: categoricalFeatures, rng: &rng) }
        let model = try Ensemble(bytes: Array(Self.json(trees, features: features, categoricalFeatures: categoricalFeatures).utf8))
        var rows = FeatureMatrix(columnCount: features)
        var expected: [Float] = []
        for _ in 0..<300 {
            let row = (0..<features).map { _ in Self.edgeInputs.randomElement(using: &rng) ?? 0 }
            try rows.append(row: row)
            var sum: Float = 0
            for tree in trees { sum += Self.reference(tree, row) }
            expected.append(sum)
        }
        let batch = try model.margins(rows)
        for r in 0..<rows.rowCount {
            #expect(Float(batch[r]) == expected[r], "row \(Array(rows.row(r)))")
            #expect(try Float(model.margins(for: Array(rows.row(r)))[0]) == expected[r])
        }
        // TreeSHAP walks the same paths: its values still add up to the margin.
        let contributions = try model.contributions(rows)
        for r in 0..<rows.rowCount {
            let sum = contributions[(r * (features + 1))..<((r + 1) * (features + 1))].reduce(0, +)
            #expect(abs(sum - batch[r]) < 1e-4)
        }
    }
}
