import Foundation

/// A read-only view of one value inside a ``JSONDocument``, with the path that led to it so that
/// every error can name the exact place in the file.
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
            if keyMatches(keyToken, wanted) {
                return JSONValue(document: document, index: valueIndex, path: path + "." + key)
            }
            i = Int(document.tokens[valueIndex].end)
        }
        return nil
    }

    private func keyMatches(_ keyToken: JSONDocument.Token, _ wanted: [UInt8]) -> Bool {
        if keyToken.kind == .escapedString {
            return decodeString(keyToken).utf8.elementsEqual(wanted)
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
        return decodeString(token)
    }

    /// The raw text of a number or the contents of a string (xgboost writes many numbers as strings).
    func numberText() throws(ModelError) -> String {
        switch kind {
        case .number: return rawText(token)
        case .string, .escapedString: return decodeString(token)
        default: throw invalid("must be a number or a numeric string, not \(typeName)")
        }
    }

    func double() throws(ModelError) -> Double {
        guard kind == .number else { throw invalid("must be a number, not \(typeName)") }
        return parseDouble(token)
    }

    func int() throws(ModelError) -> Int {
        guard kind == .number, let value = parseInt(token) else {
            throw invalid("must be an integer, not \(kind == .number ? rawText(token) : typeName)")
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
            guard let v = parseInt(token), v == 0 || v == 1 else { throw invalid("must be 0 or 1") }
            return v == 1
        default: throw invalid("must be a boolean, not \(typeName)")
        }
    }

    // MARK: Typed arrays

    /// Visits every element of an array of numbers, failing on the first element that is not one.
    private func forEachNumber(_ body: (JSONDocument.Token) throws(ModelError) -> Void) throws(ModelError) {
        guard kind == .array else { throw invalid("must be an array of numbers, not \(typeName)") }
        var i = index + 1
        var n = 0
        let tokens = document.tokens
        while i < Int(token.end) {
            let t = tokens[i]
            guard t.kind == .number else {
                throw ModelError(.invalid, "`\(path)[\(n)]` must be a number, not \(JSONValue(document: document, index: i, path: "").typeName).")
            }
            try body(t)
            i += 1
            n += 1
        }
    }

    func floats() throws(ModelError) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(count)
        try forEachNumber { t throws(ModelError) in out.append(parseFloat(t)) }
        return out
    }

    func doubles() throws(ModelError) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        try forEachNumber { t throws(ModelError) in out.append(parseDouble(t)) }
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
                guard let v = parseInt(t) else {
                    throw ModelError(.invalid, "`\(path)[\(n)]` must be an integer, not \(rawText(t)).")
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

    // MARK: Token decoding

    private func rawText(_ t: JSONDocument.Token) -> String {
        let start = Int(t.start)
        return String(decoding: document.bytes[start..<(start + Int(t.length))], as: UTF8.self)
    }

    /// Parses a validated number token with the C library, which rounds correctly. The document's
    /// bytes end with a NUL, and the tokenizer checked the token's grammar, so the parse stops at the
    /// token's end.
    private func parseDouble(_ t: JSONDocument.Token) -> Double {
        document.bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return .nan }
            return strtod(UnsafeRawPointer(base + Int(t.start)).assumingMemoryBound(to: CChar.self), nil)
        }
    }

    /// As ``parseDouble(_:)``, rounding straight to float32 (`strtof`), as xgboost reads its thresholds.
    private func parseFloat(_ t: JSONDocument.Token) -> Float {
        document.bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return .nan }
            return strtof(UnsafeRawPointer(base + Int(t.start)).assumingMemoryBound(to: CChar.self), nil)
        }
    }

    private func parseInt(_ t: JSONDocument.Token) -> Int? {
        let start = Int(t.start)
        let end = start + Int(t.length)
        var k = start
        var negative = false
        if k < end, document.bytes[k] == UInt8(ascii: "-") {
            negative = true
            k += 1
        }
        guard k < end else { return nil }
        var value = 0
        while k < end {
            let c = document.bytes[k]
            guard c >= 0x30, c <= 0x39 else {
                // "1.0" or "1e3": accept when the value is integral.
                let d = parseDouble(t)
                guard d.isFinite, d.rounded() == d, abs(d) < 9e15 else { return nil }
                return Int(d)
            }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(c - 0x30))
            guard !o1, !o2 else { return nil }
            value = s
            k += 1
        }
        return negative ? -value : value
    }

    private func decodeString(_ t: JSONDocument.Token) -> String {
        let start = Int(t.start)
        let end = start + Int(t.length)
        let bytes = document.bytes
        if t.kind == .string {
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var k = start
        var pendingHigh: UInt32?
        func appendScalar(_ v: UInt32) {
            let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        while k < end {
            let c = bytes[k]
            if c != UInt8(ascii: "\\") {
                out.append(c)
                k += 1
                continue
            }
            let e = bytes[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var v: UInt32 = 0
                for j in 0..<4 { v = v << 4 | (JSONDocument.hexValue(bytes[k + j]) ?? 0) }
                k += 4
                if (0xD800...0xDBFF).contains(v) {
                    pendingHigh = v
                    continue
                }
                if (0xDC00...0xDFFF).contains(v), let high = pendingHigh {
                    appendScalar(0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00))
                } else {
                    appendScalar(v)
                }
            default: out.append(e)
            }
            pendingHigh = nil
        }
        return String(decoding: out, as: UTF8.self)
    }
}
