/// One node of a tree in the flat layout: 12 bytes for xgboost (`Float`), 16 for LightGBM (`Double`).
///
/// Children are stored next to each other, so a node keeps only its left child; the right child is
/// `left + 1`. Leaves keep their value in ``value``; numeric splits keep the threshold; categorical
/// splits keep the index of their category set (exact in `Float` up to 2^24 sets).
struct Node<Scalar: BinaryFloatingPoint & Sendable>: Sendable {
    var value: Scalar
    var info: UInt32
    var left: Int32

    static var leafBit: UInt32 { 1 << 31 }
    static var defaultLeftBit: UInt32 { 1 << 30 }
    static var categoricalBit: UInt32 { 1 << 29 }
    /// LightGBM `missing_type = Zero`: zero (and NaN, which becomes zero) takes the default direction.
    static var zeroMissingBit: UInt32 { 1 << 28 }
    /// LightGBM `missing_type = NaN`: NaN takes the default direction.
    static var nanMissingBit: UInt32 { 1 << 27 }
    /// A numeric split the rule's fast encoding cannot express; it takes the general step.
    static var generalBit: UInt32 { 1 << 26 }
    /// The input column the node reads (a feature index, or a rule-specific derived column).
    static var featureMask: UInt32 { (1 << 26) - 1 }
    /// At most this many features, so that a rule may read two input columns per feature.
    static var maxFeatures: Int { Int(featureMask) / 2 }

    @inline(__always) var isLeaf: Bool { info & Self.leafBit != 0 }
    @inline(__always) var isCategorical: Bool { info & Self.categoricalBit != 0 }
    @inline(__always) var defaultLeft: Bool { info & Self.defaultLeftBit != 0 }
    @inline(__always) var feature: Int { Int(info & Self.featureMask) }
}

/// Category sets of all categorical splits of a forest, as bitsets in one array.
struct CategorySets: Sendable {
    /// Start of set `k` in ``words``; set `k` spans `offsets[k] ..< offsets[k + 1]`.
    var offsets: [Int32] = [0]
    var words: [UInt64] = []

    /// Adds a set and returns its index.
    mutating func add(_ codes: [Int]) -> Int {
        let maxCode = codes.max() ?? -1
        let wordCount = maxCode < 0 ? 0 : maxCode / 64 + 1
        let base = words.count
        words.append(contentsOf: repeatElement(0, count: wordCount))
        for code in codes where code >= 0 {
            words[base + code / 64] |= 1 << UInt64(code % 64)
        }
        offsets.append(Int32(words.count))
        return offsets.count - 2
    }

    /// Whether `code` (non-negative) is in set `set`.
    @inline(__always) func contains(set: Int, code: Int) -> Bool {
        let start = Int(offsets[set])
        let wordIndex = code >> 6
        guard wordIndex < Int(offsets[set + 1]) - start else { return false }
        return words[start + wordIndex] & (1 << UInt64(code & 63)) != 0
    }
}
