import Foundation
import JSON

/// Reads LightGBM's native text model (`Booster.save_model("model.txt")`).
///
/// The header holds `key=value` lines up to the first `Tree=` line; each tree is a block of
/// `key=value` lines whose arrays are space separated. Internal nodes are numbered `0 ..< num_leaves-1`
/// and a negative child `~k` names leaf `k`. `decision_type` packs the categorical bit (1), the
/// default-left bit (2) and the missing type (bits 2–3: None, Zero, NaN).
enum LightGBMTextLoader {
    static func load(_ bytes: [UInt8], limits: LoadLimits) throws(ModelError) -> Ensemble {
        let text = String(decoding: bytes, as: UTF8.self)
        var header: [String: String] = [:]
        var trees: [(index: Int, fields: [String: Substring])] = []
        var current: [String: Substring]?
        var currentIndex = 0
        var pandasCategorical: String?
        var sawEnd = false

        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            if line == "end of trees" {
                if let fields = current { trees.append((currentIndex, fields)) }
                current = nil
                sawEnd = true
                continue
            }
            if line.hasPrefix("pandas_categorical:") {
                pandasCategorical = String(line.dropFirst("pandas_categorical:".count))
                continue
            }
            if sawEnd { continue }  // feature importances and parameters follow the trees
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq])
            let value = line[line.index(after: eq)...]
            if key == "Tree" {
                if let fields = current { trees.append((currentIndex, fields)) }
                guard let index = Int(value) else { throw ModelError(.malformed, "A tree header `Tree=\(value)` has no number.") }
                currentIndex = index
                current = [:]
                guard trees.count < limits.maxTrees else {
                    throw ModelError(.tooLarge, "The model has more than \(limits.maxTrees) trees.")
                }
            } else if current != nil {
                current?[key] = value
            } else {
                header[key] = String(value)
            }
        }
        guard header["version"] != nil || header["max_feature_idx"] != nil else {
            throw ModelError(.malformed, "This is not a LightGBM text model: the header has no `version` or `max_feature_idx`.")
        }
        guard sawEnd else {
            throw ModelError(.malformed, "The LightGBM model has no `end of trees` line; the file is truncated.")
        }
        if let fields = current { trees.append((currentIndex, fields)) }

        guard let maxFeature = header["max_feature_idx"].flatMap({ Int($0) }), maxFeature >= 0,
            maxFeature < Node<Double>.maxFeatures
        else {
            throw ModelError(.invalid, "The header's `max_feature_idx` is missing or not a valid index.")
        }
        let featureCount = maxFeature + 1
        try limits.checkFeatureCount(featureCount)
        let classCount = header["num_class"].flatMap { Int($0) } ?? 1
        let perIteration = header["num_tree_per_iteration"].flatMap { Int($0) } ?? classCount
        guard perIteration >= 1, perIteration <= 10_000 else {
            throw ModelError(.invalid, "The header's `num_tree_per_iteration` is \(perIteration).")
        }
        if header["average_output"] != nil {
            throw ModelError(.unsupported, "The model averages its trees (boosting=rf, `average_output`); only boosted models are supported.")
        }
        let objective = try LightGBMObjective.parse(header["objective"] ?? "regression")

        var names = header["feature_names"].map { $0.split(separator: " ").map(String.init) } ?? []
        if names.isEmpty { names = (0..<featureCount).map { "Column_\($0)" } }
        guard names.count == featureCount else {
            throw ModelError(.invalid, "The header lists \(names.count) feature_names, but max_feature_idx is \(maxFeature).")
        }
        let infos = header["feature_infos"].map { $0.split(separator: " ").map(String.init) } ?? []
        var features = names.map { Feature(name: $0) }
        var categoricalColumns: [Int] = []
        if infos.count == featureCount {
            for (k, info) in infos.enumerated() where info != "none" && !info.hasPrefix("[") {
                features[k].kind = .categorical
                categoricalColumns.append(k)
            }
        }
        if let json = pandasCategorical {
            try LightGBMCategories.apply(json, to: &features, columns: categoricalColumns)
        }

        var builder = ForestBuilder<LightGBMSplit>(
            featureCount: featureCount, groupCount: perIteration, baseMargins: Array(repeating: 0, count: perIteration),
            limits: limits.forest)
        for (position, tree) in trees.enumerated() {
            var raw = try rawTree(tree.fields, name: "Tree=\(tree.index)")
            raw.group = position % perIteration
            try builder.add(raw, name: "Tree=\(tree.index)")
        }
        return Ensemble(
            library: .lightgbm, libraryVersion: header["version"], features: features, objective: objective,
            kernel: .lightgbm(try builder.build()))
    }

    private static func rawTree(_ fields: [String: Substring], name: String) throws(ModelError) -> RawTree<Double> {
        func bad(_ what: String) -> ModelError { ModelError(.invalid, "Tree `\(name)` \(what).") }
        func doubles(_ key: String, count: Int) throws(ModelError) -> [Double] {
            guard let text = fields[key] else { throw bad("has no `\(key)` line") }
            var out: [Double] = []
            out.reserveCapacity(count)
            for part in text.split(separator: " ") {
                guard let v = Double(part) else { throw bad("has `\(key)` entry \"\(part)\", which is not a number") }
                out.append(v)
            }
            guard out.count == count else { throw bad("has \(out.count) `\(key)` entries; \(count) expected") }
            return out
        }
        func ints(_ key: String, count: Int?) throws(ModelError) -> [Int] {
            guard let text = fields[key] else { throw bad("has no `\(key)` line") }
            var out: [Int] = []
            for part in text.split(separator: " ") {
                guard let v = Int(part) else { throw bad("has `\(key)` entry \"\(part)\", which is not an integer") }
                out.append(v)
            }
            if let count, out.count != count { throw bad("has \(out.count) `\(key)` entries; \(count) expected") }
            return out
        }

        if fields["is_linear"].map({ $0 != "0" }) ?? false {
            throw ModelError(.unsupported, "Tree `\(name)` is a linear tree (linear_tree=true); only constant leaves are supported.")
        }
        guard let leafCount = fields["num_leaves"].flatMap({ Int($0) }), leafCount >= 1, leafCount <= (1 << 21) else {
            throw bad("has no valid `num_leaves`")
        }
        let leafValues = try doubles("leaf_value", count: leafCount)
        var raw = RawTree<Double>()
        if leafCount == 1 {
            raw.left = [-1]
            raw.right = [-1]
            raw.feature = [0]
            raw.value = leafValues
            raw.flags = [0]
            raw.cover = [fields["leaf_count"].flatMap { Double($0) } ?? 1]
            return raw
        }
        let internalCount = leafCount - 1
        let splitFeature = try ints("split_feature", count: internalCount)
        let thresholds = try doubles("threshold", count: internalCount)
        let decisionTypes = try ints("decision_type", count: internalCount)
        let leftChild = try ints("left_child", count: internalCount)
        let rightChild = try ints("right_child", count: internalCount)
        let leafCounts = try doubles("leaf_count", count: leafCount)
        let internalCounts = try doubles("internal_count", count: internalCount)
        let categoryCount = fields["num_cat"].flatMap { Int($0) } ?? 0
        var boundaries: [Int] = []
        var words: [Int] = []
        if categoryCount > 0 {
            boundaries = try ints("cat_boundaries", count: categoryCount + 1)
            words = try ints("cat_threshold", count: nil)
        }

        let n = internalCount + leafCount
        func nodeIndex(_ child: Int) -> Int { child >= 0 ? child : internalCount + ~child }
        raw.left = [Int](repeating: -1, count: n)
        raw.right = [Int](repeating: -1, count: n)
        raw.feature = [Int](repeating: 0, count: n)
        raw.value = [Double](repeating: 0, count: n)
        raw.flags = [UInt32](repeating: 0, count: n)
        raw.cover = [Double](repeating: 0, count: n)
        for k in 0..<internalCount {
            let l = leftChild[k]
            let r = rightChild[k]
            guard l < internalCount, r < internalCount, ~l < leafCount || l >= 0, ~r < leafCount || r >= 0 else {
                throw bad("has node \(k) with children \(l) and \(r), outside the tree")
            }
            raw.left[k] = nodeIndex(l)
            raw.right[k] = nodeIndex(r)
            raw.feature[k] = splitFeature[k]
            raw.cover[k] = internalCounts[k]
            let decision = decisionTypes[k]
            var flags: UInt32 = decision & 2 != 0 ? Node<Double>.defaultLeftBit : 0
            switch (decision >> 2) & 3 {
            case 1: flags |= Node<Double>.zeroMissingBit
            case 2: flags |= Node<Double>.nanMissingBit
            default: break
            }
            raw.flags[k] = flags
            if decision & 1 != 0 {
                let set = Int(thresholds[k])
                guard set >= 0, set < categoryCount, Double(set) == thresholds[k] else {
                    throw bad("has categorical node \(k) pointing at category set \(thresholds[k]) of \(categoryCount)")
                }
                let start = boundaries[set]
                let end = boundaries[set + 1]
                guard start >= 0, start <= end, end <= words.count else {
                    throw bad("has `cat_boundaries` outside `cat_threshold`")
                }
                var codes: [Int] = []
                for (w, word) in words[start..<end].enumerated() {
                    guard word >= 0, word <= Int(UInt32.max) else { throw bad("has a `cat_threshold` word out of range") }
                    for bit in 0..<32 where word & (1 << bit) != 0 { codes.append(w * 32 + bit) }
                }
                raw.categorySets[k] = codes
            } else {
                raw.value[k] = thresholds[k]
            }
        }
        for k in 0..<leafCount {
            raw.value[internalCount + k] = leafValues[k]
            raw.cover[internalCount + k] = leafCounts[k]
        }
        return raw
    }
}

/// `pandas_categorical`: the category lists of the categorical columns, in column order. Both LightGBM
/// formats store it; both loaders read it here, so a model names its categories the same either way.
enum LightGBMCategories {
    /// From the text format's `pandas_categorical:<json>` line.
    static func apply(_ json: String, to features: inout [Feature], columns: [Int]) throws(ModelError) {
        let trimmed = json.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed != "null" else { return }
        try apply(JSONValue(root: JSONDocument.model(Array(trimmed.utf8))), to: &features, columns: columns)
    }

    /// From a JSON array of category lists (`null` and other non-arrays are ignored).
    static func apply(_ lists: JSONValue, to features: inout [Feature], columns: [Int]) throws(ModelError) {
        guard lists.kind == .array else { return }
        let elements = try lists.elements()
        guard elements.count == columns.count else { return }  // cannot be matched to columns safely
        for (list, column) in zip(elements, columns) {
            features[column].categories = try list.elements().map { v throws(ModelError) in
                v.kind == .number ? Feature.categoryName(try v.double()) : try v.string()
            }
        }
    }
}
