/// Why bytes are not the JSON a reader accepts: where (1-based line and column) and what.
public struct JSONError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kind of failure; a struct wrapping a private enum, so kinds can be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable { case malformed, tooLarge, duplicateKey }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not JSON: a syntax error, invalid UTF-8, an unpaired surrogate, a number out of range.
        public static let malformed = Kind(.malformed)
        /// Larger than the reader's byte limit.
        public static let tooLarge = Kind(.tooLarge)
        /// An object repeats a key (only when the reader refuses duplicates).
        public static let duplicateKey = Kind(.duplicateKey)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// What is wrong, as a phrase (`expected ',' or '}'`).
    public var message: String
    public var line: Int
    public var column: Int
    /// The repeated key, for ``Kind/duplicateKey``.
    public var key: String?

    public init(_ kind: Kind, _ message: String, line: Int, column: Int, key: String? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.key = key
    }

    /// `expected ',' or '}' at line 3, column 14`.
    public var description: String { "\(message) at line \(line), column \(column)" }
}
