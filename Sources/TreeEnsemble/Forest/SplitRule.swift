import Foundation

/// The decision rule of one library: which child a feature value leads to at an internal node.
///
/// The two libraries differ in strictness (`<` against `<=`), in arithmetic (float32 against double),
/// in how missing values travel and in which side a category set names. Prediction and TreeSHAP
/// share the rule, so the path TreeSHAP calls "hot" is always the path prediction takes.
protocol SplitRule: Sendable {
    associatedtype Scalar: BinaryFloatingPoint & Sendable
    /// The index of the child that `x` leads to from the internal node `node`.
    static func child(_ node: Node<Scalar>, _ x: Double, _ categories: CategorySets) -> Int
}

/// xgboost: everything in float32; missing (NaN) takes the default child; numeric splits go left when
/// `x < threshold`; a category code in the node's set goes right, any other code (unseen, negative,
/// out of range) goes left.
enum XGBoostSplit: SplitRule {
    typealias Scalar = Float

    @inline(__always)
    static func child(_ node: Node<Float>, _ x: Double, _ categories: CategorySets) -> Int {
        let left = Int(node.left)
        let f = Float(x)
        if node.isCategorical {
            if f.isNaN { return node.defaultLeft ? left : left + 1 }
            // xgboost treats negative and too large codes as "not in the set".
            guard f >= 0, f < 16_777_216 else { return left }
            return categories.contains(set: Int(node.value), code: Int(f)) ? left + 1 : left
        }
        // For NaN: `f >= t` is false (left) and `!(f < t)` is true (right), which is the default direction.
        let goRight = node.defaultLeft ? (f >= node.value) : !(f < node.value)
        return goRight ? left + 1 : left
    }
}

/// LightGBM: everything in double; inputs within ±1e-35 snap to zero; numeric splits go left when
/// `x <= threshold`, with NaN and zero handled by the node's `missing_type`; a category code in the
/// node's set goes left, anything else (NaN, negative, unseen) goes right.
enum LightGBMSplit: SplitRule {
    typealias Scalar = Double

    /// `kZeroThreshold` in LightGBM: the float `1e-35f` widened to double.
    static let zeroThreshold = Double(Float(1e-35))

    @inline(__always)
    static func child(_ node: Node<Double>, _ input: Double, _ categories: CategorySets) -> Int {
        let left = Int(node.left)
        var x = input
        if abs(x) <= zeroThreshold { x = 0 }
        if node.isCategorical {
            // static_cast<int> truncates toward zero; values outside int32 behave as negative codes.
            guard !x.isNaN, x > -1, x < 2_147_483_648 else { return left + 1 }
            return categories.contains(set: Int(node.value), code: Int(x)) ? left : left + 1
        }
        if x.isNaN {
            if node.info & Node<Double>.nanMissingBit != 0 { return node.defaultLeft ? left : left + 1 }
            x = 0
        }
        if x == 0, node.info & Node<Double>.zeroMissingBit != 0 {
            return node.defaultLeft ? left : left + 1
        }
        return x <= node.value ? left : left + 1
    }
}
