public import Foundation

/// The strict reader of request bodies and other JSON from outside: RFC 8259 exactly (no `NaN`,
/// no trailing commas, finite numbers, valid UTF-8, paired surrogates), nesting at most
/// ``maxDepth`` levels, and no key twice in one object. It tokenizes with ``JSONDocument`` and
/// builds a ``JSONNode`` tree from the tokens.
public enum JSONReader {
    public static let maxDepth = 64

    /// The limits request bodies are read with.
    public static let strict = JSONDocument.Limits(maxDepth: maxDepth, allowsNonFiniteLiterals: false, rejectsDuplicateKeys: true)

    /// Parses `data` as one JSON value.
    ///
    /// - Throws: ``JSONError`` naming the line and column of the first fault.
    public static func parse(_ data: Data) throws(JSONError) -> JSONNode {
        try parse(bytes: [UInt8](data))
    }

    /// Parses `bytes` as one JSON value (see ``parse(_:)``).
    public static func parse(bytes: [UInt8], limits: JSONDocument.Limits = strict) throws(JSONError) -> JSONNode {
        let document = try JSONDocument(bytes: bytes, limits: limits)
        var index = 0
        return try node(document, &index)
    }

    /// The value at token `index`, leaving `index` after its subtree.
    private static func node(_ document: JSONDocument, _ index: inout Int) throws(JSONError) -> JSONNode {
        let token = document.tokens[index]
        switch token.kind {
        case .null:
            index += 1
            return .null
        case .isTrue:
            index += 1
            return .bool(true)
        case .isFalse:
            index += 1
            return .bool(false)
        case .number:
            let value = document.double(at: index)
            guard value.isFinite else {
                let (line, column) = document.lineAndColumn(of: Int(token.start))
                throw JSONError(.malformed, "the number `\(document.rawText(at: index))` is out of range", line: line, column: column)
            }
            index += 1
            return .number(value)
        case .string, .escapedString:
            let text = document.string(at: index)
            index += 1
            return .string(text)
        case .array:
            var elements: [JSONNode] = []
            elements.reserveCapacity(Int(token.length))
            index += 1
            for _ in 0..<Int(token.length) { elements.append(try node(document, &index)) }
            return .array(elements)
        case .object:
            var members: [(key: String, value: JSONNode)] = []
            members.reserveCapacity(Int(token.length))
            index += 1
            for _ in 0..<Int(token.length) {
                let key = document.string(at: index)
                index += 1
                members.append((key, try node(document, &index)))
            }
            return .object(members)
        }
    }
}
