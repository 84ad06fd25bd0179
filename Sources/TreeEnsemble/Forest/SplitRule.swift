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
    /// Converts an input value once per row, before any tree is walked.
    static func input(_ x: Double) -> Input
    /// The index of the child that `x` (already converted) leads to from the node `node`.
    static func child(_ node: Node<Scalar>, _ x: Input, _ categories: CategorySets) -> Int
    /// ``child(_:_:_:)`` for a node known not to be a categorical split.
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

    /// xgboost rounds every input to float32 before it compares anything.
    @inline(__always) static func input(_ x: Double) -> Float { Float(x) }

    @inline(__always)
    static func child(_ node: Node<Float>, _ f: Float, _ categories: CategorySets) -> Int {
        let left = Int(node.left)
        if node.isCategorical {
            if f.isNaN { return node.defaultLeft ? left : left + 1 }
            // xgboost treats negative and too large codes as "not in the set".
            guard f >= 0, f < 16_777_216 else { return left }
            return categories.contains(set: Int(node.value), code: Int(f)) ? left + 1 : left
        }
        return numericChild(node, f)
    }

    @inline(__always)
    static func numericChild(_ node: Node<Float>, _ f: Float) -> Int {
        // For NaN: `f >= t` is false (left) and `!(f < t)` is true (right), which is the default direction.
        let goRight = node.defaultLeft ? (f >= node.value) : !(f < node.value)
        return Int(node.left) + (goRight ? 1 : 0)
    }

    /// Default left with a NaN threshold: `f >= NaN` is false for every `f`, so the walk stays.
    static func leaf(at index: Int) -> Node<Float> {
        Node(value: .nan, info: Node<Float>.leafBit | Node<Float>.defaultLeftBit, left: Int32(index))
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

    /// LightGBM's row reader drops values within ±1e-35 as zeros.
    @inline(__always) static func input(_ x: Double) -> Double { abs(x) <= zeroThreshold ? 0 : x }

    @inline(__always)
    static func child(_ node: Node<Double>, _ input: Double, _ categories: CategorySets) -> Int {
        let left = Int(node.left)
        var x = input
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

    @inline(__always)
    static func numericChild(_ node: Node<Double>, _ x: Double) -> Int {
        child(node, x, CategorySets())
    }

    /// `x <= NaN` is false for every `x`, so the walk takes the "right" child, which is the leaf itself.
    static func leaf(at index: Int) -> Node<Double> {
        Node(value: .nan, info: Node<Double>.leafBit, left: Int32(index - 1))
    }
}
