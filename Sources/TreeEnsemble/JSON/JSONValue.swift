import Foundation
import JSON

/// A read-only view of one value inside a ``JSONDocument`` (the JSON module's tokenizer), with the
/// path that led to it so that every error can name the exact place in the model file as a
/// ``ModelError``.
struct JSONValue {
    let document: JSONDocument
    let index: Int
    let path: String

    init(root document: JSONDocument) {
        self.document = document
        self.index = 0
        self.path = "$"
    }

    private init(document: JSONDocument, index: Int, path: String) {
        self.document = document
        self.index = index
        self.path = path
    }

    var kind: JSONDocument.Kind { document.tokens[index].kind }
    private var token: JSONDocument.Token { document.tokens[index] }

    var typeName: String {
        switch kind {
        case .null: "null"
        case .isTrue, .isFalse: "a boolean"
        case .number: "a number"
        case .string, .escapedString: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    func invalid(_ what: String) -> ModelError {
        ModelError(.invalid, "`\(path)` \(what).")
    }

    // MARK: Containers

    /// The member `key` of this object, or `nil` when this is not an object or has no such member.
    subscript(key: String) -> JSONValue? {
        guard kind == .object else { return nil }
        let wanted = Array(key.utf8)
        var i = index + 1
        let end = Int(token.end)
        while i < end {
            let keyToken = document.tokens[i]
            let valueIndex = i + 1
            if keyMatches(keyToken, at: i, wanted) {
                return JSONValue(document: document, index: valueIndex, path: path + "." + key)
            }
            i = Int(document.tokens[valueIndex].end)
        }
        return nil
    }

    private func keyMatches(_ keyToken: JSONDocument.Token, at i: Int, _ wanted: [UInt8]) -> Bool {
        if keyToken.kind == .escapedString {
            return document.string(at: i).utf8.elementsEqual(wanted)
        }
        guard Int(keyToken.length) == wanted.count else { return false }
        let start = Int(keyToken.start)
        for k in 0..<wanted.count where document.bytes[start + k] != wanted[k] {
            return false
        }
        return true
    }

    /// The member `key`, or an error that names it as missing.
    func required(_ key: String) throws(ModelError) -> JSONValue {
        guard kind == .object else { throw invalid("must be an object, not \(typeName)") }
        guard let value = self[key] else { throw ModelError(.invalid, "`\(path)` has no member \"\(key)\".") }
        return value
    }

    /// The number of elements of an array or members of an object.
    var count: Int { kind == .array || kind == .object ? Int(token.length) : 0 }

    /// The elements of an array.
    func elements() throws(ModelError) -> [JSONValue] {
        guard kind == .array else { throw invalid("must be an array, not \(typeName)") }
        var result: [JSONValue] = []
        result.reserveCapacity(count)
        var i = index + 1
        var n = 0
        while i < Int(token.end) {
            result.append(JSONValue(document: document, index: i, path: "\(path)[\(n)]"))
            i = Int(document.tokens[i].end)
            n += 1
        }
        return result
    }

    // MARK: Scalars

    func string() throws(ModelError) -> String {
        guard kind == .string || kind == .escapedString else { throw invalid("must be a string, not \(typeName)") }
        return document.string(at: index)
    }

    /// The raw text of a number or the contents of a string (xgboost writes many numbers as strings).
    func numberText() throws(ModelError) -> String {
        switch kind {
        case .number: return document.rawText(at: index)
        case .string, .escapedString: return document.string(at: index)
        default: throw invalid("must be a number or a numeric string, not \(typeName)")
        }
    }

    func double() throws(ModelError) -> Double {
        guard kind == .number else { throw invalid("must be a number, not \(typeName)") }
        return document.double(at: index)
    }

    func int() throws(ModelError) -> Int {
        guard kind == .number, let value = document.int(at: index) else {
            throw invalid("must be an integer, not \(kind == .number ? document.rawText(at: index) : typeName)")
        }
        return value
    }

    /// An integer given either as a JSON number or as a decimal string (`"200"`), as xgboost writes parameters.
    func intOrIntString() throws(ModelError) -> Int {
        if kind == .number { return try int() }
        let text = try string()
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw invalid("must be an integer, not \"\(text)\"")
        }
        return value
    }

    func bool() throws(ModelError) -> Bool {
        switch kind {
        case .isTrue: return true
        case .isFalse: return false
        case .number:
            guard let v = document.int(at: index), v == 0 || v == 1 else { throw invalid("must be 0 or 1") }
            return v == 1
        default: throw invalid("must be a boolean, not \(typeName)")
        }
    }

    // MARK: Typed arrays

    /// Visits every element of an array of numbers, failing on the first element that is not one.
    private func forEachNumber(_ body: (Int) throws(ModelError) -> Void) throws(ModelError) {
        guard kind == .array else { throw invalid("must be an array of numbers, not \(typeName)") }
        var i = index + 1
        var n = 0
        let tokens = document.tokens
        while i < Int(token.end) {
            let t = tokens[i]
            guard t.kind == .number else {
                throw ModelError(.invalid, "`\(path)[\(n)]` must be a number, not \(JSONValue(document: document, index: i, path: "").typeName).")
            }
            try body(i)
            i += 1
            n += 1
        }
    }

    func floats() throws(ModelError) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(count)
        try forEachNumber { t throws(ModelError) in out.append(document.float(at: t)) }
        return out
    }

    func doubles() throws(ModelError) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        try forEachNumber { t throws(ModelError) in out.append(document.double(at: t)) }
        return out
    }

    /// An array of integers. Booleans are accepted as 0/1 (some writers use them for flags).
    func ints() throws(ModelError) -> [Int] {
        guard kind == .array else { throw invalid("must be an array of integers, not \(typeName)") }
        var out: [Int] = []
        out.reserveCapacity(count)
        var i = index + 1
        var n = 0
        while i < Int(token.end) {
            let t = document.tokens[i]
            switch t.kind {
            case .isTrue: out.append(1)
            case .isFalse: out.append(0)
            case .number:
                guard let v = document.int(at: i) else {
                    throw ModelError(.invalid, "`\(path)[\(n)]` must be an integer, not \(document.rawText(at: i)).")
                }
                out.append(v)
            default:
                throw ModelError(.invalid, "`\(path)[\(n)]` must be an integer.")
            }
            i += 1
            n += 1
        }
        return out
    }

    func strings() throws(ModelError) -> [String] {
        try elements().map { v throws(ModelError) in try v.string() }
    }
}

extension ModelError {
    /// A JSON model file that does not tokenize.
    init(_ error: JSONError) {
        if error.kind == .tooLarge {
            self.init(.tooLarge, "The JSON file is too large: \(error.message).")
        } else {
            self.init(.malformed, "The JSON is malformed at line \(error.line), column \(error.column): \(error.message).")
        }
    }
}

extension JSONDocument {
    /// Tokenizes a model file, as a ``ModelError`` when it is not JSON.
    static func model(_ bytes: [UInt8], maxBytes: Int = 1 << 30) throws(ModelError) -> JSONDocument {
        do {
            return try JSONDocument(bytes: bytes, limits: .init(maxBytes: maxBytes))
        } catch {
            throw ModelError(error)
        }
    }
}
