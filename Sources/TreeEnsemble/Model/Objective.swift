import Foundation

/// What a model predicts and how a margin becomes a prediction.
public struct Objective: Sendable, Equatable, CustomStringConvertible {
    /// How margins turn into predictions.
    public enum Link: Sendable, Equatable {
        /// The prediction is the margin (regression, raw scores).
        case identity
        /// `1 / (1 + exp(-scale × margin))` (binary classification).
        case sigmoid(scale: Double)
        /// `exp(margin)` (Poisson, gamma, Tweedie).
        case exp
        /// Softmax across the output groups (multiclass probabilities).
        case softmax
        /// A sigmoid for each group on its own (LightGBM `multiclassova`).
        case sigmoidPerGroup(scale: Double)
    }

    /// The objective's name as the file writes it (`binary:logistic`, `multiclass`…).
    public var name: String
    public var link: Link

    public var description: String { name }

    /// Whether predictions are probabilities.
    public var isProbabilistic: Bool {
        switch link {
        case .sigmoid, .softmax, .sigmoidPerGroup: true
        case .identity, .exp: false
        }
    }
}

extension Objective.Link {
    /// Applies the link in double arithmetic (LightGBM's).
    func apply(_ margins: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, count: Int) {
        switch self {
        case .identity:
            for k in 0..<count { out[k] = margins[k] }
        case .sigmoid(let scale), .sigmoidPerGroup(let scale):
            for k in 0..<count { out[k] = 1 / (1 + Foundation.exp(-scale * margins[k])) }
        case .exp:
            for k in 0..<count { out[k] = Foundation.exp(margins[k]) }
        case .softmax:
            var top = -Double.infinity
            for k in 0..<count { top = Swift.max(top, margins[k]) }
            var sum = 0.0
            for k in 0..<count {
                out[k] = Foundation.exp(margins[k] - top)
                sum += out[k]
            }
            for k in 0..<count { out[k] /= sum }
        }
    }

    /// Applies the link in float32 arithmetic, as xgboost does.
    func applyFloat(_ margins: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, count: Int) {
        switch self {
        case .identity:
            for k in 0..<count { out[k] = margins[k] }
        case .sigmoid(let scale), .sigmoidPerGroup(let scale):
            let s = Float(scale)
            for k in 0..<count {
                let m = Float(margins[k])
                out[k] = Double(1 / (1 + Foundation.exp(-(s == 1 ? m : s * m))))
            }
        case .exp:
            for k in 0..<count { out[k] = Double(Foundation.exp(Float(margins[k]))) }
        case .softmax:
            var top = -Float.infinity
            for k in 0..<count { top = Swift.max(top, Float(margins[k])) }
            var sum: Float = 0
            for k in 0..<count {
                let e = Foundation.exp(Float(margins[k]) - top)
                out[k] = Double(e)
                sum += e
            }
            for k in 0..<count { out[k] = Double(Float(out[k]) / sum) }
        }
    }
}
