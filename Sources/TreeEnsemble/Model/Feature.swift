/// One input column of a model.
public struct Feature: Sendable, Equatable {
    /// How the model reads the column.
    public enum Kind: Sendable, Equatable {
        /// A number compared with split thresholds.
        case numeric
        /// An integer category code tested for membership in split category sets.
        case categorical
    }

    public var name: String
    public var kind: Kind
    /// Training category names by code, when the file stores them (xgboost `cats`, LightGBM
    /// `pandas_categorical`); empty otherwise.
    public var categories: [String]

    public init(name: String, kind: Kind = .numeric, categories: [String] = []) {
        self.name = name
        self.kind = kind
        self.categories = categories
    }

    /// The name of a numeric category: `3` for 3.0 (as a client would send it), the shortest
    /// round-trip text otherwise.
    static func categoryName(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
