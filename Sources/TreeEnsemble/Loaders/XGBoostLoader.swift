import Foundation
import JSON

/// Reads xgboost's JSON model format (`Booster.save_model("model.json")`), versions 1.x to 3.x.
///
/// Supported: `gbtree` and `dart` boosters with scalar leaves; the objectives in
/// ``objectiveLinks``; numeric splits with default directions; native categorical splits and the
/// category names in `cats`. Rejected with a reason: `gblinear`, vector-leaf (multi-output) trees,
/// multi-target models and objectives whose output cannot be reproduced exactly.
enum XGBoostLoader {
    /// Objectives, their link, and how `base_score` becomes a margin.
    private enum BaseScoreTransform { case identity, logit, log }

    private static let objectiveLinks: [String: (Objective.Link, BaseScoreTransform)] = [
        "binary:logistic": (.sigmoid(scale: 1), .logit),
        "reg:logistic": (.sigmoid(scale: 1), .logit),
        "binary:logitraw": (.identity, .identity),  // xgboost uses the stored value as the margin as is
        "reg:squarederror": (.identity, .identity),
        "reg:linear": (.identity, .identity),
        "reg:squaredlogerror": (.identity, .identity),
        "reg:pseudohubererror": (.identity, .identity),
        "reg:absoluteerror": (.identity, .identity),
        "reg:quantileerror": (.identity, .identity),
        "count:poisson": (.exp, .log),
        "reg:gamma": (.exp, .log),
        "reg:tweedie": (.exp, .log),
        "multi:softprob": (.softmax, .identity),
        "multi:softmax": (.softmax, .identity),
    ]

    static func load(_ document: JSONDocument, limits: LoadLimits) throws(ModelError) -> Ensemble {
        let root = JSONValue(root: document)
        guard root.kind == .object else { throw ModelError(.invalid, "An xgboost model must be a JSON object.") }
        let learner = try root.required("learner")
        var version: String?
        if let v = root["version"], v.kind == .array {
            version = try v.ints().map(String.init).joined(separator: ".")
        }

        let parameters = try learner.required("learner_model_param")
        let featureCount = try parameters.required("num_feature").intOrIntString()
        try limits.checkFeatureCount(featureCount)
        let classCount = try parameters["num_class"]?.intOrIntString() ?? 0
        let targetCount = try parameters["num_target"]?.intOrIntString() ?? 1
        guard targetCount <= 1 else {
            throw ModelError(
                .unsupported, "The model has \(targetCount) targets; multi-target models are not supported (train one model per target).")
        }
        guard classCount >= 0, classCount <= 10_000 else { throw parameters.invalid("declares \(classCount) classes") }
        let groupCount = max(classCount, 1)

        let objectiveName = try learner.required("objective").required("name").string()
        guard let (link, baseTransform) = objectiveLinks[objectiveName] else {
            throw ModelError(
                .unsupported,
                "The objective \"\(objectiveName)\" is not supported; supported: \(objectiveLinks.keys.sorted().joined(separator: ", ")).")
        }
        if objectiveName.hasPrefix("multi:"), classCount < 2 {
            throw parameters.invalid("must give num_class ≥ 2 for \(objectiveName)")
        }
        let baseMargins = try baseMargins(
            try parameters.required("base_score").numberText(), groupCount: groupCount, transform: baseTransform)

        // Features.
        var names = try learner["feature_names"]?.strings() ?? []
        if names.isEmpty { names = (0..<featureCount).map { "f\($0)" } }
        guard names.count == featureCount else {
            throw learner.invalid("has \(names.count) feature_names, but num_feature is \(featureCount)")
        }
        let types = try learner["feature_types"]?.strings() ?? []
        guard types.isEmpty || types.count == featureCount else {
            throw learner.invalid("has \(types.count) feature_types, but num_feature is \(featureCount)")
        }

        // Booster.
        let booster = try learner.required("gradient_booster")
        let boosterName = try booster.required("name").string()
        let model: JSONValue
        var treeWeights: [Float]?
        switch boosterName {
        case "gbtree":
            model = try booster.required("model")
        case "dart":
            model = try booster.required("gbtree").required("model")
            treeWeights = try booster.required("weight_drop").floats()
        case "gblinear":
            throw ModelError(.unsupported, "The model uses the gblinear booster (a linear model, not trees); only gbtree and dart are supported.")
        default:
            throw ModelError(.unsupported, "The booster \"\(boosterName)\" is not supported; only gbtree and dart are.")
        }

        let categoryNames = try categoryNames(model["cats"], featureCount: featureCount)
        var features: [Feature] = []
        features.reserveCapacity(featureCount)
        for k in 0..<featureCount {
            let isCategorical = !types.isEmpty && types[k] == "c"
            features.append(Feature(name: names[k], kind: isCategorical ? .categorical : .numeric, categories: categoryNames[k]))
        }

        let trees = try model.required("trees").elements()
        let treeInfo = try model.required("tree_info").ints()
        guard treeInfo.count == trees.count else {
            throw model.invalid("has \(trees.count) trees but \(treeInfo.count) tree_info entries")
        }
        if let declared = try model["gbtree_model_param"]?["num_trees"]?.intOrIntString(), declared != trees.count {
            throw model.invalid("declares num_trees = \(declared) but holds \(trees.count) trees")
        }
        if let weights = treeWeights, weights.count != trees.count {
            throw booster.invalid("has \(weights.count) weight_drop entries for \(trees.count) trees")
        }

        var builder = ForestBuilder<XGBoostSplit>(
            featureCount: featureCount, groupCount: groupCount, baseMargins: baseMargins, limits: limits.forest)
        for (t, tree) in trees.enumerated() {
            var raw = try rawTree(tree, featureCount: featureCount)
            raw.group = treeInfo[t]
            if let weights = treeWeights {
                let w = weights[t]
                for k in raw.value.indices where raw.left[k] == -1 { raw.value[k] *= w }
            }
            try builder.add(raw, name: "trees[\(t)]")
        }
        let objective = Objective(name: objectiveName, link: link)
        return Ensemble(
            library: .xgboost, libraryVersion: version, features: features, objective: objective,
            kernel: .xgboost(try builder.build()))
    }

    /// `base_score` as xgboost writes it (`"5E-1"`, `"[3.8365802E-1]"`, `"[-7.5E-2,1.4E-1,…]"`) turned into
    /// base margins in float32, as xgboost computes them.
    private static func baseMargins(_ text: String, groupCount: Int, transform: BaseScoreTransform) throws(ModelError) -> [Float] {
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("[") && body.hasSuffix("]") { body = String(body.dropFirst().dropLast()) }
        var values: [Float] = []
        for part in body.split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Float(part.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw ModelError(.invalid, "`learner.learner_model_param.base_score` is \"\(text)\", which is not a list of numbers.")
            }
            values.append(v)
        }
        if values.count == 1, groupCount > 1 { values = Array(repeating: values[0], count: groupCount) }
        guard values.count == groupCount else {
            throw ModelError(.invalid, "`learner.learner_model_param.base_score` has \(values.count) values for \(groupCount) outputs.")
        }
        switch transform {
        case .identity:
            return values
        case .logit:
            guard values.allSatisfy({ $0 > 0 && $0 < 1 }) else {
                throw ModelError(.invalid, "`base_score` \(text) must be a probability strictly between 0 and 1 for this objective.")
            }
            return values.map { -Foundation.log(1 / $0 - 1) }
        case .log:
            guard values.allSatisfy({ $0 > 0 }) else {
                throw ModelError(.invalid, "`base_score` \(text) must be positive for this objective.")
            }
            return values.map { Foundation.log($0) }
        }
    }

    /// The category names of each feature from `cats.enc` (xgboost ≥ 3.1); empty lists otherwise.
    private static func categoryNames(_ cats: JSONValue?, featureCount: Int) throws(ModelError) -> [[String]] {
        var result = [[String]](repeating: [], count: featureCount)
        guard let cats, cats.kind == .object, let enc = cats["enc"] else { return result }
        let encodings = try enc.elements()
        guard encodings.isEmpty || encodings.count == featureCount else {
            throw enc.invalid("has \(encodings.count) entries for \(featureCount) features")
        }
        for (k, entry) in encodings.enumerated() {
            guard entry.kind == .object else { continue }
            let offsets = try entry["offsets"]?.ints() ?? []
            if offsets.isEmpty {
                // Numeric categories: the values themselves name the categories.
                if let values = entry["values"], values.count > 0 {
                    result[k] = try values.doubles().map(Feature.categoryName)
                }
                continue
            }
            let bytes = try entry.required("values").ints()
            var names: [String] = []
            names.reserveCapacity(offsets.count)
            for j in 0..<(offsets.count - 1) {
                let start = offsets[j]
                let end = offsets[j + 1]
                guard start >= 0, start <= end, end <= bytes.count else {
                    throw entry.invalid("has category offsets out of order or beyond its \(bytes.count) bytes")
                }
                guard bytes[start..<end].allSatisfy({ $0 >= 0 && $0 <= 255 }) else {
                    throw entry.invalid("has category bytes outside 0…255")
                }
                names.append(String(decoding: bytes[start..<end].map { UInt8($0) }, as: UTF8.self))
            }
            result[k] = names
        }
        return result
    }

    private static func rawTree(_ tree: JSONValue, featureCount: Int) throws(ModelError) -> RawTree<Float> {
        let parameters = try tree.required("tree_param")
        if let leafSize = try parameters["size_leaf_vector"]?.intOrIntString(), leafSize > 1 {
            throw ModelError(
                .unsupported,
                "The model has vector leaves (size_leaf_vector = \(leafSize), multi_strategy=\"multi_output_tree\"); "
                    + "xgboost has no TreeSHAP for them and they are not supported: train with multi_strategy=\"one_output_per_tree\".")
        }
        var raw = RawTree<Float>()
        raw.left = try tree.required("left_children").ints()
        let n = raw.left.count
        if let declared = try parameters["num_nodes"]?.intOrIntString(), declared != n {
            throw tree.invalid("declares num_nodes = \(declared) but has \(n) left_children")
        }
        raw.right = try tree.required("right_children").ints()
        raw.feature = try tree.required("split_indices").ints()
        raw.value = try tree.required("split_conditions").floats()
        let defaultLeft = try tree.required("default_left").ints()
        let hessians = try tree.required("sum_hessian").floats()
        raw.cover = hessians.map(Double.init)
        let splitType = try tree["split_type"]?.ints() ?? [Int](repeating: 0, count: n)
        guard defaultLeft.count == n, splitType.count == n else {
            throw tree.invalid("has per-node arrays of different lengths (\(n) nodes)")
        }
        raw.flags = defaultLeft.map { $0 != 0 ? Node<Float>.defaultLeftBit : 0 }

        let categoryNodes = try tree["categories_nodes"]?.ints() ?? []
        if !categoryNodes.isEmpty {
            let segments = try tree.required("categories_segments").ints()
            let sizes = try tree.required("categories_sizes").ints()
            let categories = try tree.required("categories").ints()
            guard segments.count == categoryNodes.count, sizes.count == categoryNodes.count else {
                throw tree.invalid("has categories_nodes, categories_segments and categories_sizes of different lengths")
            }
            for (k, node) in categoryNodes.enumerated() {
                let start = segments[k]
                let size = sizes[k]
                guard node >= 0, node < n, start >= 0, size >= 0, start <= categories.count - size else {
                    throw tree.invalid("has a category set (entry \(k)) outside its arrays")
                }
                raw.categorySets[node] = Array(categories[start..<(start + size)])
            }
        }
        for k in 0..<n where splitType[k] == 1 && raw.left[k] != -1 {
            if raw.categorySets[k] == nil { raw.categorySets[k] = [] }  // an empty set: every code goes left
        }
        for k in raw.categorySets.keys where splitType[k] != 1 {
            throw tree.invalid("lists categories for node \(k), which is not a categorical split")
        }
        return raw
    }
}
