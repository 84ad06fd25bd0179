import Foundation

/// Maps the model's raw probability to a calibrated one, so that `probability` reads as a conversion
/// rate. Fitted by `leadgate train` on held-out rows and stored in the manifest (`calibration:`).
/// Applied after the trees; TreeSHAP reasons stay in the model's margin (log-odds) space.
public enum Calibration: Sendable, Equatable {
    /// Platt scaling on the margin: `p = 1 / (1 + exp(-(a × margin + b)))`. Keeps the ranking (AUC) as it is.
    case platt(a: Double, b: Double)
    /// Isotonic regression on the raw probability: a non-decreasing curve through the points
    /// `(x[i], y[i])`, linear between them and flat beyond the ends.
    case isotonic(x: [Double], y: [Double])

    /// The calibrated probability of a lead with this margin and raw probability.
    public func apply(margin: Double, probability: Double) -> Double {
        switch self {
        case .platt(let a, let b):
            return 1 / (1 + Foundation.exp(-(a * margin + b)))
        case .isotonic(let x, let y):
            return Self.interpolate(probability, x: x, y: y)
        }
    }

    static func interpolate(_ value: Double, x: [Double], y: [Double]) -> Double {
        guard let first = x.first, let last = x.last, !value.isNaN else { return value }
        if value <= first { return y[0] }
        if value >= last { return y[y.count - 1] }
        var lo = 0
        var hi = x.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if x[mid] <= value { lo = mid } else { hi = mid }
        }
        let span = x[hi] - x[lo]
        guard span > 0 else { return y[hi] }
        return y[lo] + (y[hi] - y[lo]) * (value - x[lo]) / span
    }

    /// The name used in manifests and model cards.
    public var method: String {
        switch self {
        case .platt: "platt"
        case .isotonic: "isotonic"
        }
    }
}

extension Calibration {
    /// Reads `calibration: {method: platt, a: …, b: …}` or `{method: isotonic, x: […], y: […]}`.
    init(yaml node: YAMLNode) throws(ConfigurationError) {
        let method = try node.required("method").string()
        switch method {
        case "platt":
            try node.checkKeys(["method", "a", "b"])
            let a = try node.required("a").double()
            let b = try node.required("b").double()
            guard a.isFinite, b.isFinite, a > 0 else {
                throw ConfigurationError(key: "\(node.path).a", "must be a positive finite number (b finite); they are \(a) and \(b).")
            }
            self = .platt(a: a, b: b)
        case "isotonic":
            try node.checkKeys(["method", "x", "y"])
            var x: [Double] = []
            var y: [Double] = []
            for element in try node.required("x").elements() { x.append(try element.double()) }
            for element in try node.required("y").elements() { y.append(try element.double()) }
            guard !x.isEmpty, x.count == y.count else {
                throw ConfigurationError(key: "\(node.path).x", "and `y` must be non-empty lists of the same length (\(x.count) and \(y.count)).")
            }
            for i in 1..<max(1, x.count) where x[i] < x[i - 1] || y[i] < y[i - 1] {
                throw ConfigurationError(key: "\(node.path).x", "and `y` must both be non-decreasing; they are not at position \(i).")
            }
            guard y.allSatisfy({ $0 >= 0 && $0 <= 1 }), x.allSatisfy(\.isFinite) else {
                throw ConfigurationError(key: "\(node.path).y", "must hold probabilities in [0, 1] (and `x` finite numbers).")
            }
            self = .isotonic(x: x, y: y)
        default:
            throw ConfigurationError(key: "\(node.path).method", "is `\(method)`; use platt or isotonic.")
        }
    }
}
