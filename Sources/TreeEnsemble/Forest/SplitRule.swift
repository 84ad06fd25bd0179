import Foundation

/// The decision rule of one library: which child a feature value leads to at an internal node.
///
/// The two libraries differ in strictness (`<` against `<=`), in arithmetic (float32 against double),
/// in how missing values travel and in which side a category set names. Prediction and TreeSHAP
/// share the rule, so the path TreeSHAP calls "hot" is always the path prediction takes.
protocol SplitRule: Sendable {
    associatedtype Scalar: BinaryFloatingPoint & Sendable
    /// A feature value as the library compares it (float32 for xgboost).
    associatedtype Input: BinaryFloatingPoint & Sendable
    /// Input columns per row after conversion.
    static func inputWidth(featureCount: Int) -> Int
    /// Converts one row (`featureCount` values, NaN = missing) into `inputWidth` input columns, once,
    /// before any tree is walked.
    static func convert(_ row: UnsafePointer<Double>, featureCount: Int, into out: UnsafeMutablePointer<Input>)
    /// How a numeric split on `feature` is stored: the value to compare with, the input column to
    /// read, whether the children are stored in swapped order, and whether the node needs the
    /// general step (``child(_:_:_:)``) because the fast encoding cannot express it.
    static func encodeNumeric(threshold: Scalar, feature: Int, defaultLeft: Bool, featureCount: Int)
        -> (value: Scalar, column: Int, swapped: Bool, general: Bool)
    /// The model feature that input column `column` holds.
    static func feature(ofColumn column: Int, featureCount: Int) -> Int
    /// The index of the child that `x` (already converted) leads to from the node `node`.
    static func child(_ node: Node<Scalar>, _ x: Input, _ categories: CategorySets) -> Int
    /// ``child(_:_:_:)`` for a node known to be neither categorical nor general.
    static func numericChild(_ node: Node<Scalar>, _ x: Input) -> Int
    /// A leaf at `index` whose "split" leads back to itself for every input, so walks can take a
    /// fixed number of steps without testing for leaves.
    static func leaf(at index: Int) -> Node<Scalar>
}

/// xgboost: everything in float32; missing (NaN) takes the default child; numeric splits go left when
/// `x < threshold`; a category code in the node's set goes right, any other code (unseen, negative,
/// out of range) goes left.
enum XGBoostSplit: SplitRule {
    typealias Scalar = Float
    typealias Input = Float

    /// xgboost rounds every input to float32 before it compares anything. Each row keeps `x` and `-x`:
    /// a default-left split reads `-x` and is stored with its children swapped, so every numeric split
    /// is the same single comparison `!(x < t)` (true for NaN) choosing the second child.
    @inline(__always) static func inputWidth(featureCount: Int) -> Int { 2 * featureCount }

    @inline(__always)
    static func convert(_ row: UnsafePointer<Double>, featureCount: Int, into out: UnsafeMutablePointer<Float>) {
        for f in 0..<featureCount {
            let x = Float(row[f])
            out[f] = x
            out[featureCount + f] = -x
        }
    }

    /// Default right: read `x`, second child = right: `!(x < t)` is `x >= t` or NaN. Default left:
    /// read `-x` against `t' = nextUp(-t)` with the children swapped, so the second child (the
    /// original left) is taken when `-x >= nextUp(-t)`, that is `x < t`, or when `x` is NaN. Floats are
    /// discrete, so this is exact; only `t = -∞` has no such `t'` and keeps the general step.
    static func encodeNumeric(threshold: Float, feature: Int, defaultLeft: Bool, featureCount: Int)
        -> (value: Float, column: Int, swapped: Bool, general: Bool)
    {
        guard defaultLeft else { return (threshold, feature, false, false) }
        guard threshold != -.infinity else { return (threshold, feature, false, true) }
        return ((-threshold).nextUp, featureCount + feature, true, false)
    }

    @inline(__always)
    static func feature(ofColumn column: Int, featureCount: Int) -> Int {
        column >= featureCount ? column - featureCount : column
    }

    @inline(__always)
    static func child(_ node: Node<Float>, _ f: Float, _ categories: CategorySets) -> Int {
        let left = Int(node.left)
        if node.isCategorical {
            if f.isNaN { return node.defaultLeft ? left : left + 1 }
            // xgboost treats negative and too large codes as "not in the set".
            guard f >= 0, f < 16_777_216 else { return left }
            return categories.contains(set: Int(node.value), code: Int(f)) ? left + 1 : left
        }
        if node.info & Node<Float>.generalBit != 0 {
            // For NaN: `f >= t` is false (left) and `!(f < t)` is true (right): the default direction.
            let goRight = node.defaultLeft ? (f >= node.value) : !(f < node.value)
            return goRight ? left + 1 : left
        }
        return numericChild(node, f)
    }

    @inline(__always)
    static func numericChild(_ node: Node<Float>, _ f: Float) -> Int {
        Int(node.left) + (f < node.value ? 0 : 1)
    }

    /// `!(x < NaN)` holds for every `x`, so the walk takes the second child, which is the leaf itself.
    static func leaf(at index: Int) -> Node<Float> {
        Node(value: .nan, info: Node<Float>.leafBit, left: Int32(index - 1))
    }
}

/// LightGBM: everything in double; inputs within ±1e-35 snap to zero; numeric splits go left when
/// `x <= threshold`, with NaN and zero handled by the node's `missing_type`; a category code in the
/// node's set goes left, anything else (NaN, negative, unseen) goes right.
enum LightGBMSplit: SplitRule {
    typealias Scalar = Double
    typealias Input = Double

    /// `kZeroThreshold` in LightGBM: the float `1e-35f` widened to double.
    static let zeroThreshold = Double(Float(1e-35))

    @inline(__always) static func inputWidth(featureCount: Int) -> Int { featureCount }

    /// LightGBM's row reader drops values within ±1e-35 as zeros.
    @inline(__always)
    static func convert(_ row: UnsafePointer<Double>, featureCount: Int, into out: UnsafeMutablePointer<Double>) {
        for f in 0..<featureCount {
            let x = row[f]
            out[f] = abs(x) <= zeroThreshold ? 0 : x
        }
    }

    static func encodeNumeric(threshold: Double, feature: Int, defaultLeft: Bool, featureCount: Int)
        -> (value: Double, column: Int, swapped: Bool, general: Bool)
    {
        (threshold, feature, false, false)
    }

    @inline(__always)
    static func feature(ofColumn column: Int, featureCount: Int) -> Int { column }

    @inline(__always)
    static func child(_ node: Node<Double>, _ x: Double, _ categories: CategorySets) -> Int {
        if node.isCategorical {
            let left = Int(node.left)
            // static_cast<int> truncates toward zero; values outside int32 behave as negative codes.
            guard !x.isNaN, x > -1, x < 2_147_483_648 else { return left + 1 }
            return categories.contains(set: Int(node.value), code: Int(x)) ? left : left + 1
        }
        return numericChild(node, x)
    }

    /// NaN becomes 0 unless the node's missing type is NaN; NaN (type NaN) and zero (type Zero) take
    /// the default direction; everything else goes left when `x <= threshold`. Written without
    /// branches on the value so lock-step walks stay branch free.
    @inline(__always)
    static func numericChild(_ node: Node<Double>, _ x: Double) -> Int {
        let isNaN = x.isNaN
        let value = isNaN ? 0 : x
        let info = node.info
        let takesDefault =
            (isNaN && info & Node<Double>.nanMissingBit != 0)
            || (value == 0 && info & Node<Double>.zeroMissingBit != 0)
        let goLeft = takesDefault ? node.defaultLeft : value <= node.value
        return Int(node.left) + (goLeft ? 0 : 1)
    }

    /// `x <= NaN` is false for every `x`, so the walk takes the "right" child, which is the leaf itself.
    static func leaf(at index: Int) -> Node<Double> {
        Node(value: .nan, info: Node<Double>.leafBit, left: Int32(index - 1))
    }
}
