/// Why a model file could not be loaded or used.
///
/// Every message is a whole sentence that names the part of the file at fault and, where it helps,
/// what to do about it. ``code`` lets callers branch without parsing text; it is a struct wrapping a
/// private enum so new codes can be added without breaking anyone.
public struct ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case io, malformed, invalid, unsupported, tooLarge, mismatch
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file could not be read.
        public static let io = Code(.io)
        /// The bytes are not valid JSON or not a valid LightGBM text model (truncated, wrong syntax).
        public static let malformed = Code(.malformed)
        /// The syntax is fine but the content is not a consistent model (wrong types, bad indices, cycles).
        public static let invalid = Code(.invalid)
        /// A valid model that cannot be evaluated exactly (gblinear, vector leaves, unknown objective…).
        public static let unsupported = Code(.unsupported)
        /// The file or one of its arrays exceeds the loader's limits.
        public static let tooLarge = Code(.tooLarge)
        /// The input given to the model does not fit it (wrong number of features…).
        public static let mismatch = Code(.mismatch)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence that says what is wrong and where.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
