import Foundation
public import JSON

/// The training distribution of a model's inputs and of its predicted probability (the
/// `reference` section of the `model-card.json` that `leadgate train` writes), and the population
/// stability index of live traffic against it.
public struct DriftReference: Sendable {
    public struct Field: Sendable {
        public enum Bins: Sendable {
            /// Bin `i` holds values in `(edges[i-1], edges[i]]`; the last bin everything above.
            case numeric(edges: [Double])
            /// One bin per value, then one for any other value.
            case categories([String])
        }

        public var name: String
        public var bins: Bins
        /// The training share of every bin, then of missing values (sums to 1).
        public var expected: [Double]

        /// The bin of one live value (the last bin is "missing").
        public func bin(_ value: JSONNode?) -> Int {
            let missing = expected.count - 1
            switch (bins, value) {
            case (.numeric(let edges), .number(let x)?):
                var lo = 0
                var hi = edges.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if x <= edges[mid] { hi = mid } else { lo = mid + 1 }
                }
                return lo
            case (.categories(let values), .string(let s)?):
                return values.firstIndex(of: s) ?? values.count
            case (.categories(let values), .bool(let b)?):
                return values.firstIndex(of: b ? "true" : "false") ?? values.count
            default:
                return missing
            }
        }
    }

    public var fields: [Field]
    /// The predicted probability's reference (from the holdout), when the card has it.
    public var probability: Field?

    /// Reads the `reference` section of a model card.
    public init(card: JSONNode) throws(DriftReferenceError) {
        guard case .object(let members)? = card["reference"] else { throw DriftReferenceError("the model card has no `reference` section") }
        var fields: [Field] = []
        var probability: Field?
        for (name, node) in members {
            guard case .array(let sharesNode)? = node["shares"] else { throw DriftReferenceError("reference `\(name)` has no `shares`") }
            var expected = sharesNode.compactMap(\.number)
            expected.append(node["missing_share"]?.number ?? 0)
            let bins: Field.Bins
            switch node["kind"]?.string {
            case "numeric":
                guard case .array(let edges)? = node["edges"] else { throw DriftReferenceError("reference `\(name)` has no `edges`") }
                bins = .numeric(edges: edges.compactMap(\.number))
                guard expected.count == edges.count + 2 else { throw DriftReferenceError("reference `\(name)`: shares do not match its edges") }
            case "categories":
                guard case .array(let values)? = node["values"] else { throw DriftReferenceError("reference `\(name)` has no `values`") }
                bins = .categories(values.compactMap(\.string))
                guard expected.count == values.count + 2 else { throw DriftReferenceError("reference `\(name)`: shares do not match its values") }
            default:
                throw DriftReferenceError("reference `\(name)` has an unknown kind")
            }
            let field = Field(name: name, bins: bins, expected: expected)
            if name == "probability" { probability = field } else { fields.append(field) }
        }
        self.fields = fields
        self.probability = probability
    }
}

public struct DriftReferenceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum PSI {
    /// `Σ (a − e) · ln(a / e)` over the bins, with shares floored at 1e-4 so an empty bin on
    /// either side counts as rare rather than infinite. 0.1 is the usual "watch", 0.25 "act".
    public static func of(expected: [Double], actual: [Double]) -> Double {
        var total = 0.0
        for (e, a) in zip(expected, actual) {
            let ee = max(e, 1e-4)
            let aa = max(a, 1e-4)
            total += (aa - ee) * log(aa / ee)
        }
        return total
    }

    /// Shares from counts.
    public static func shares(_ counts: [Int]) -> [Double] {
        let n = Double(max(1, counts.reduce(0, +)))
        return counts.map { Double($0) / n }
    }
}
