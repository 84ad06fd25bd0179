public import JSON
public import Scoring

extension JSONWriter {
    /// Writes a lead's field value: a number (with `digits` significant digits), a boolean, a string
    /// or null.
    public mutating func value(_ value: LeadValue, digits: Int = 12) {
        switch value {
        case .number(let v): number(v, digits: digits)
        case .bool(let b): bool(b)
        case .string(let s): string(s)
        case .null: null()
        }
    }
}
