import JSON

/// Reads LightGBM's `dump_model()` JSON.
///
/// Trees are nested objects. `dump_model()` clamps infinite thresholds to ±1e300, so a threshold of
/// that size is read back as ±∞ (LightGBM writes such thresholds for "missing against the rest" splits).
enum LightGBMJSONLoader {
    static func load(_ document: JSONDocument, limits: LoadLimits) throws(ModelError) -> Ensemble {
        let root = JSONValue(root: document)
        guard root.kind == .object else { throw ModelError(.invalid, "A LightGBM model dump must be a JSON object.") }
        let maxFeature = try root.required("max_feature_idx").int()
        guard maxFeature >= 0, maxFeature < Node<Double>.maxFeatures else {
            throw root.invalid("has max_feature_idx \(maxFeature)")
        }
        let featureCount = maxFeature + 1
        try limits.checkFeatureCount(featureCount)
        let classCount = try root["num_class"]?.int() ?? 1
        let perIteration = try root["num_tree_per_iteration"]?.int() ?? classCount
        guard perIteration >= 1, perIteration <= 10_000 else { throw root.invalid("has num_tree_per_iteration \(perIteration)") }
        if let average = root["average_output"], try average.bool() {
            throw ModelError(.unsupported, "The model averages its trees (boosting=rf, `average_output`); only boosted models are supported.")
        }
        let objective = try LightGBMObjective.parse(try root["objective"]?.string() ?? "regression")
        var names = try root["feature_names"]?.strings() ?? []
        if names.isEmpty { names = (0..<featureCount).map { "Column_\($0)" } }
        guard names.count == featureCount else {
            throw root.invalid("lists \(names.count) feature_names, but max_feature_idx is \(maxFeature)")
        }
        var features = names.map { Feature(name: $0) }
        var categoricalColumns: [Int] = []
        if let infos = root["feature_infos"], infos.kind == .object {
            for (k, name) in names.enumerated() {
                if let info = infos[name], info.kind == .object, let values = info["values"], values.count > 0 {
                    features[k].kind = .categorical
                    categoricalColumns.append(k)
                }
            }
        }
        if let pandas = root["pandas_categorical"] {
            try LightGBMCategories.apply(pandas, to: &features, columns: categoricalColumns)
        }

        var builder = ForestBuilder<LightGBMSplit>(
            featureCount: featureCount, groupCount: perIteration, baseMargins: Array(repeating: 0, count: perIteration),
            limits: limits.forest)
        for (position, info) in try root.required("tree_info").elements().enumerated() {
            var raw = RawTree<Double>()
            try flatten(try info.required("tree_structure"), into: &raw, limits: limits)
            raw.group = position % perIteration
            try builder.add(raw, name: "tree_info[\(position)]")
        }
        return Ensemble(
            library: .lightgbm, libraryVersion: try root["version"]?.string(), features: features, objective: objective,
            kernel: .lightgbm(try builder.build()))
    }

    /// Numbers the nested nodes in visiting order into `raw` (the builder checks the shape).
    private static func flatten(_ rootNode: JSONValue, into raw: inout RawTree<Double>, limits: LoadLimits) throws(ModelError) {
        var stack: [(node: JSONValue, index: Int)] = [(rootNode, 0)]
        func appendSlot() -> Int {
            raw.left.append(-1)
            raw.right.append(-1)
            raw.feature.append(0)
            raw.value.append(0)
            raw.flags.append(0)
            raw.cover.append(0)
            return raw.left.count - 1
        }
        _ = appendSlot()
        while let (node, index) = stack.popLast() {
            guard node.kind == .object else { throw node.invalid("must be an object") }
            if let leafValue = node["leaf_value"] {
                raw.value[index] = try leafValue.double()
                raw.cover[index] = try node["leaf_count"]?.double() ?? 0
                continue
            }
            guard raw.left.count < limits.forest.maxNodesPerTree else {
                throw ModelError(.tooLarge, "A tree has more than \(limits.forest.maxNodesPerTree) nodes.")
            }
            raw.feature[index] = try node.required("split_feature").int()
            raw.cover[index] = try node.required("internal_count").double()
            var flags: UInt32 = try node.required("default_left").bool() ? Node<Double>.defaultLeftBit : 0
            switch try node["missing_type"]?.string() ?? "None" {
            case "Zero": flags |= Node<Double>.zeroMissingBit
            case "NaN": flags |= Node<Double>.nanMissingBit
            case "None": break
            case let other: throw node.invalid("has an unknown missing_type \"\(other)\"")
            }
            raw.flags[index] = flags
            let threshold = try node.required("threshold")
            switch try node.required("decision_type").string() {
            case "<=":
                var t = try threshold.double()
                if t >= 1e300 { t = .infinity } else if t <= -1e300 { t = -.infinity }
                raw.value[index] = t
            case "==":
                let text = try threshold.numberText()
                var codes: [Int] = []
                for part in text.split(separator: "|", omittingEmptySubsequences: true) {
                    guard let code = Int(part), code >= 0 else { throw threshold.invalid("lists a bad category \"\(part)\"") }
                    codes.append(code)
                }
                raw.categorySets[index] = codes
            case let other:
                throw node.invalid("has an unknown decision_type \"\(other)\"")
            }
            let left = appendSlot()
            let right = appendSlot()
            raw.left[index] = left
            raw.right[index] = right
            stack.append((try node.required("right_child"), right))
            stack.append((try node.required("left_child"), left))
        }
    }
}
