import Foundation
import Testing

@testable import TreeEnsemble

/// Models that must be refused, each with a reason a user can act on.
@Suite struct LoaderTests {
    /// A small, valid xgboost model built in the test, so each test can break one thing in it.
    static func xgboostModel(
        objective: String = "binary:logistic", baseScore: String = "[5E-1]",
        tree: [String: Any]? = nil, booster: String = "gbtree", featureCount: Int = 2
    ) -> [String: Any] {
        let defaultTree: [String: Any] = [
            "tree_param": ["num_nodes": "3", "num_feature": "\(featureCount)", "size_leaf_vector": "1", "num_deleted": "0"],
            "left_children": [1, -1, -1], "right_children": [2, -1, -1], "parents": [2147483647, 0, 0],
            "split_indices": [0, 0, 0], "split_conditions": [0.5, -0.25, 0.75], "default_left": [1, 0, 0],
            "split_type": [0, 0, 0], "sum_hessian": [10.0, 4.0, 6.0], "base_weights": [0, -0.25, 0.75],
            "loss_changes": [1, 0, 0], "categories": [], "categories_nodes": [], "categories_segments": [],
            "categories_sizes": [], "id": 0,
        ]
        let trees = [tree ?? defaultTree]
        return [
            "version": [3, 2, 0],
            "learner": [
                "feature_names": (0..<featureCount).map { "x\($0)" },
                "feature_types": Array(repeating: "float", count: featureCount),
                "learner_model_param": [
                    "base_score": baseScore, "num_class": "0", "num_feature": "\(featureCount)", "num_target": "1",
                ],
                "objective": ["name": objective],
                "gradient_booster": [
                    "name": booster,
                    "model": [
                        "gbtree_model_param": ["num_trees": "1", "num_parallel_tree": "1"],
                        "tree_info": [0], "iteration_indptr": [0, 1], "trees": trees,
                    ],
                ],
            ],
        ]
    }

    static func bytes(_ object: [String: Any]) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: object))
    }

    static func tree(with changes: [String: Any]) -> [String: Any] {
        var tree =
            (xgboostModel()["learner"] as? [String: Any]).flatMap {
                (($0["gradient_booster"] as? [String: Any])?["model"] as? [String: Any])?["trees"] as? [[String: Any]]
            }?.first ?? [:]
        for (key, value) in changes { tree[key] = value }
        return tree
    }

    private func expectError(
        _ bytes: [UInt8], _ code: ModelError.Code, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try Ensemble(bytes: bytes)
            Issue.record("the model loaded, but should fail with \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func theHandBuiltModelIsValid() throws {
        let model = try Ensemble(bytes: Self.bytes(Self.xgboostModel()))
        #expect(model.treeCount == 1)
        #expect(try model.margins(for: [0.2, 0]) == [-0.25])
        #expect(try model.margins(for: [0.5, 0]) == [0.75])  // x < t is strict
        #expect(try model.margins(for: [.nan, 0]) == [-0.25])  // default left
    }

    @Test func rejectsGBLinear() throws {
        expectError(try TestData.bytes(TestData.fixtures.appendingPathComponent("reject/gblinear.json")), .unsupported, mentioning: "gblinear")
    }

    @Test func rejectsVectorLeaves() throws {
        expectError(
            try TestData.bytes(TestData.fixtures.appendingPathComponent("reject/vector-leaf.json")), .unsupported, mentioning: "vector leaves")
    }

    @Test func rejectsLinearLightGBMTrees() throws {
        expectError(try TestData.bytes(TestData.fixtures.appendingPathComponent("reject/lgb-linear.txt")), .unsupported, mentioning: "linear tree")
    }

    @Test func rejectsUnknownObjectives() throws {
        expectError(try Self.bytes(Self.xgboostModel(objective: "rank:pairwise")), .unsupported, mentioning: "rank:pairwise")
    }

    @Test func rejectsMultiTargetModels() throws {
        var model = Self.xgboostModel()
        var learner = model["learner"] as? [String: Any] ?? [:]
        learner["learner_model_param"] = ["base_score": "[0.5]", "num_class": "0", "num_feature": "2", "num_target": "2"]
        model["learner"] = learner
        expectError(try Self.bytes(model), .unsupported, mentioning: "targets")
    }

    @Test func rejectsABadBaseScore() throws {
        expectError(try Self.bytes(Self.xgboostModel(baseScore: "[abc]")), .invalid, mentioning: "base_score")
        expectError(try Self.bytes(Self.xgboostModel(baseScore: "[1.5]")), .invalid, mentioning: "probability")
    }

    @Test(arguments: [
        (#"{"left_children": [1, 5, -1]}"#, "outside"),
        (#"{"left_children": [1, 0, -1], "right_children": [2, 2, -1]}"#, "not a tree"),
        (#"{"left_children": [1, 2, -1], "right_children": [2, 1, -1]}"#, "not a tree"),
        (#"{"split_indices": [7, 0, 0]}"#, "feature 7"),
        (#"{"split_conditions": ["a", 0, 0]}"#, "must be a number"),
        (#"{"left_children": "nope"}"#, "must be an array"),
        (#"{"sum_hessian": [1.0, 2.0]}"#, "covers"),
        (#"{"tree_param": {"num_nodes": "100000000", "size_leaf_vector": "1"}}"#, "num_nodes"),
        (#"{"default_left": [1, 0]}"#, "different lengths"),
        (
            #"{"split_type": [1, 0, 0], "categories_nodes": [0], "categories_segments": [0], "categories_sizes": [5], "categories": [1]}"#,
            "outside its arrays"
        ),
    ])
    func rejectsBrokenTrees(_ changeJSON: String, _ mention: String) throws {
        let change = try #require(try JSONSerialization.jsonObject(with: Data(changeJSON.utf8)) as? [String: Any])
        let bytes = try Self.bytes(Self.xgboostModel(tree: Self.tree(with: change)))
        expectError(bytes, .invalid, mentioning: mention)
    }

    @Test func rejectsALeafThatIsNotFinite() throws {
        // JSONSerialization cannot write NaN, so patch the text.
        var text = String(decoding: try Self.bytes(Self.xgboostModel()), as: UTF8.self)
        text = text.replacingOccurrences(of: "0.75]", with: "NaN]")
        expectError(Array(text.utf8), .invalid, mentioning: "not finite")
    }

    @Test func rejectsDeepNestingWithoutRecursion() {
        let depth = 100_000
        let bytes = Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)
        expectError(bytes, .malformed, mentioning: "nesting")
    }

    @Test func rejectsTreesDeeperThanTheLimit() throws {
        // A chain 600 levels deep: node k splits into leaf 2k+2 (right) and node k+1 (left).
        let depth = 600
        var left = [Int](repeating: -1, count: 2 * depth + 1)
        var right = left
        for k in 0..<depth {
            left[k] = k + 1
            right[k] = depth + 1 + k
        }
        let n = left.count
        let tree = Self.tree(with: [
            "tree_param": ["num_nodes": "\(n)", "size_leaf_vector": "1"],
            "left_children": left, "right_children": right, "split_indices": [Int](repeating: 0, count: n),
            "split_conditions": [Double](repeating: 0.5, count: n), "default_left": [Int](repeating: 0, count: n),
            "split_type": [Int](repeating: 0, count: n), "sum_hessian": [Double](repeating: 1, count: n),
        ])
        expectError(try Self.bytes(Self.xgboostModel(tree: tree)), .tooLarge, mentioning: "deeper")
    }

    @Test func rejectsAnAbsurdFeatureCount() throws {
        var model = Self.xgboostModel()
        var learner = model["learner"] as? [String: Any] ?? [:]
        learner["feature_names"] = []
        learner["feature_types"] = []
        learner["learner_model_param"] = ["base_score": "[0.5]", "num_class": "0", "num_feature": "30000000", "num_target": "1"]
        model["learner"] = learner
        expectError(try Self.bytes(model), .tooLarge, mentioning: "features; the limit")
    }

    @Test func rejectsCategorySetsThatWouldTakeTooMuchMemory() throws {
        // 20 trees, each splitting on a set holding one code near 2^24: 20 bitsets of 2 MiB.
        var model = Self.xgboostModel()
        var learner = model["learner"] as? [String: Any] ?? [:]
        learner["feature_types"] = ["c", "float"]
        var booster = learner["gradient_booster"] as? [String: Any] ?? [:]
        var inner = booster["model"] as? [String: Any] ?? [:]
        let tree = Self.tree(with: [
            "split_type": [1, 0, 0], "categories_nodes": [0], "categories_segments": [0], "categories_sizes": [1],
            "categories": [16_777_000],
        ])
        inner["trees"] = Array(repeating: tree, count: 20)
        inner["tree_info"] = Array(repeating: 0, count: 20)
        inner["gbtree_model_param"] = ["num_trees": "20"]
        booster["model"] = inner
        learner["gradient_booster"] = booster
        model["learner"] = learner
        expectError(try Self.bytes(model), .tooLarge, mentioning: "bitset words")
    }

    @Test func everyTruncationIsRejected() throws {
        let bytes = try TestData.bytes(TestData.fixtures.appendingPathComponent("xgb-binary/model.json"))
        for cut in stride(from: 0, to: bytes.count - 1, by: max(1, bytes.count / 300)) {
            #expect(throws: ModelError.self) { try Ensemble(bytes: Array(bytes[..<cut])) }
        }
    }

    @Test func truncatedLightGBMTextIsRejected() throws {
        let bytes = try TestData.bytes(TestData.fixtures.appendingPathComponent("lgb-binary/model.txt"))
        guard let end = String(decoding: bytes, as: UTF8.self).range(of: "end of trees") else {
            Issue.record("fixture has no end of trees")
            return
        }
        let limit = String(decoding: bytes, as: UTF8.self).utf8.distance(
            from: String(decoding: bytes, as: UTF8.self).startIndex, to: end.lowerBound)
        for cut in stride(from: 0, to: limit, by: max(1, limit / 200)) {
            #expect(throws: ModelError.self) { try Ensemble(bytes: Array(bytes[..<cut]), format: .lightgbmText) }
        }
    }

    @Test func readsBaseScoreInEveryForm() throws {
        // xgboost 1.x/2.x write a bare number; 3.x a bracketed list.
        let bare = try Ensemble(bytes: Self.bytes(Self.xgboostModel(baseScore: "5E-1")))
        let listed = try Ensemble(bytes: Self.bytes(Self.xgboostModel(baseScore: "[5E-1]")))
        #expect(bare.baseMargins == [0])
        #expect(listed.baseMargins == [0])
        let skewed = try Ensemble(bytes: Self.bytes(Self.xgboostModel(baseScore: "[3E-1]")))
        #expect(Float(skewed.baseMargins[0]) == -0.84729785)
    }

    @Test func dartWeightsScaleLeaves() throws {
        var model = Self.xgboostModel()
        var learner = model["learner"] as? [String: Any] ?? [:]
        let gbtree = learner["gradient_booster"] as? [String: Any] ?? [:]
        learner["gradient_booster"] = ["name": "dart", "gbtree": gbtree, "weight_drop": [0.5]]
        model["learner"] = learner
        let dart = try Ensemble(bytes: Self.bytes(model))
        #expect(try dart.margins(for: [0.9, 0]) == [0.375])
    }

    @Test func mapsCategoryNamesFromTheModelFile() throws {
        let dir = TestData.fixtures.appendingPathComponent("xgb-categorical")
        let model = try Ensemble(contentsOfFile: dir.appendingPathComponent("model.json").path)
        let table = try TestData.table(dir.appendingPathComponent("categories.csv"))
        #expect(!table.rows.isEmpty)
        for row in table.rows {
            let feature = try #require(Int(row[1]))
            #expect(model.features[feature].kind == .categorical)
            #expect(model.categoryCode(feature: feature, category: row[3]) == Int(row[2]), "\(row)")
        }
    }

    @Test func lightGBMTextAndJSONAgree() throws {
        let dir = TestData.fixtures.appendingPathComponent("lgb-categorical")
        let text = try Ensemble(contentsOfFile: dir.appendingPathComponent("model.txt").path)
        let json = try Ensemble(contentsOfFile: dir.appendingPathComponent("model.json").path)
        let matrix = try FeatureMatrix(csv: TestData.table(dir.appendingPathComponent("inputs.csv")), for: text)
        #expect(try text.margins(matrix) == json.margins(matrix))
        #expect(try text.contributions(matrix) == json.contributions(matrix))
        #expect(text.features.map(\.kind) == json.features.map(\.kind))
        #expect(text.features.map(\.categories) == json.features.map(\.categories))
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: ModelError.self) { try Ensemble(contentsOfFile: "/nonexistent/model.json") }
        do {
            _ = try Ensemble(contentsOfFile: "/nonexistent/model.json")
        } catch {
            #expect(error.code == .io)
        }
    }
}
