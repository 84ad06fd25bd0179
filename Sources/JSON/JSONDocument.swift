import Foundation

/// A validated JSON document held as one flat array of tokens over the original bytes: the one JSON
/// tokenizer of LeadGate, under the model loaders (``JSONDocument``, read through typed accessors)
/// and the request reader (``JSONReader``, which builds ``JSONNode`` trees from the tokens).
///
/// Parsing is iterative (no recursion, so hostile nesting cannot overflow the stack), validates the
/// whole grammar up front (RFC 8259; strings must be valid UTF-8 and `\u` surrogates paired) and
/// allocates one token per value. Numbers are kept as byte ranges and converted only when read,
/// straight to `Float` or `Double` with correctly rounded `strtof`/`strtod`, so a float32 threshold
/// written as its shortest decimal is read back bit for bit.
public struct JSONDocument: Sendable {
    public enum Kind: UInt8, Sendable {
        case null, isTrue, isFalse, number, string, escapedString, array, object
    }

    public struct Token: Sendable {
        public var kind: Kind
        /// Byte offset of the token's text (for strings: the first byte after the opening quote).
        public var start: Int32
        /// Scalars: byte length of the text. Containers: number of elements (members for objects).
        public var length: Int32
        /// Index of the first token after this value's subtree.
        public var end: Int32
    }

    /// Limits that keep hostile input from costing unbounded memory or time, and what the grammar
    /// admits beyond RFC 8259.
    public struct Limits: Sendable {
        public var maxBytes: Int
        public var maxDepth: Int
        /// Accepts the literals `NaN`, `Infinity` and `-Infinity` as numbers (model files written by
        /// some libraries contain them); request bodies refuse them.
        public var allowsNonFiniteLiterals: Bool
        /// Refuses, within objects, a key that is already there (`{"a":1,"a":2}`): readers that keep
        /// the first or the last would disagree about what the body says.
        public var rejectsDuplicateKeys: Bool

        public init(maxBytes: Int = 1 << 30, maxDepth: Int = 256, allowsNonFiniteLiterals: Bool = true, rejectsDuplicateKeys: Bool = false) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
            self.allowsNonFiniteLiterals = allowsNonFiniteLiterals
            self.rejectsDuplicateKeys = rejectsDuplicateKeys
        }
    }

    /// The document's bytes followed by one NUL byte, so C number parsers always stop in bounds.
    public let bytes: [UInt8]
    public private(set) var tokens: [Token] = []

    /// Tokenizes and validates `input`.
    ///
    /// - Throws: ``JSONError`` (`tooLarge`, or `malformed` with the line and column of the fault).
    public init(bytes input: [UInt8], limits: Limits = Limits()) throws(JSONError) {
        guard input.count <= limits.maxBytes, input.count < Int(Int32.max) else {
            throw JSONError(.tooLarge, "the JSON is \(input.count) bytes; the limit is \(limits.maxBytes)", line: 1, column: 1)
        }
        var padded = input
        padded.append(0)
        bytes = padded
        tokens.reserveCapacity(min(input.count / 6, 1 << 20) + 16)
        try parse(count: input.count, limits: limits)
    }

    // MARK: Parsing

    private enum Expect { case value, firstValueOrClose, keyOrClose, key, colon, commaOrClose }

    private mutating func parse(count: Int, limits: Limits) throws(JSONError) {
        var stack: [Int] = []  // indices of open containers
        var expect = Expect.value
        var finished = false
        var i = 0
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONError) in
            // Takes the position explicitly: the scanners below hold `i` as an inout argument while they fail.
            func fail(_ what: String, _ at: Int) -> JSONError {
                let (line, column) = Self.lineAndColumn(buf, at)
                return JSONError(.malformed, what, line: line, column: column)
            }
            func skipWhitespace() {
                while i < count {
                    let c = buf[i]
                    if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
                }
            }
            func closeValue() {
                // A scalar or a closed container was just completed inside the current container.
                if let top = stack.last {
                    tokens[top].length += 1
                    expect = .commaOrClose
                } else {
                    finished = true
                }
            }
            while true {
                skipWhitespace()
                if i >= count {
                    if finished { return }
                    throw fail(stack.isEmpty ? "the JSON is empty" : "the JSON ends before its last container is closed (truncated?)", i)
                }
                if finished { throw fail("unexpected text after the end of the JSON value", i) }
                let c = buf[i]
                switch expect {
                case .colon:
                    guard c == UInt8(ascii: ":") else { throw fail("expected ':' after an object key", i) }
                    i += 1
                    expect = .value
                    continue
                case .commaOrClose:
                    guard let top = stack.last else { throw fail("internal parser state", i) }
                    let isObject = tokens[top].kind == .object
                    if c == UInt8(ascii: ",") {
                        i += 1
                        expect = isObject ? .key : .value
                        continue
                    }
                    if (isObject && c == UInt8(ascii: "}")) || (!isObject && c == UInt8(ascii: "]")) {
                        i += 1
                        stack.removeLast()
                        tokens[top].end = Int32(tokens.count)
                        closeValue()
                        continue
                    }
                    throw fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'", i)
                case .keyOrClose, .key:
                    if expect == .keyOrClose, c == UInt8(ascii: "}") {
                        i += 1
                        let top = stack.removeLast()
                        tokens[top].end = Int32(tokens.count)
                        closeValue()
                        continue
                    }
                    guard c == UInt8(ascii: "\"") else { throw fail("expected a quoted object key", i) }
                    let at = i
                    try scanString(buf, &i, count, fail)
                    if limits.rejectsDuplicateKeys, let top = stack.last, let key = duplicateKey(in: top, buf) {
                        throw JSONError(
                            .duplicateKey, "the key `\(key)` appears twice in one object", line: Self.lineAndColumn(buf, at).0,
                            column: Self.lineAndColumn(buf, at).1, key: key)
                    }
                    expect = .colon
                    continue
                case .firstValueOrClose, .value:
                    if expect == .firstValueOrClose, c == UInt8(ascii: "]") {
                        i += 1
                        let top = stack.removeLast()
                        tokens[top].end = Int32(tokens.count)
                        closeValue()
                        continue
                    }
                }
                // A value starts here.
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard stack.count < limits.maxDepth else {
                        throw fail("nesting deeper than \(limits.maxDepth) levels", i)
                    }
                    let isObject = c == UInt8(ascii: "{")
                    tokens.append(Token(kind: isObject ? .object : .array, start: Int32(i), length: 0, end: 0))
                    stack.append(tokens.count - 1)
                    i += 1
                    expect = isObject ? .keyOrClose : .firstValueOrClose
                    continue
                case UInt8(ascii: "\""):
                    try scanString(buf, &i, count, fail)
                case UInt8(ascii: "t"):
                    try scanLiteral(buf, &i, count, "true", .isTrue, fail)
                case UInt8(ascii: "f"):
                    try scanLiteral(buf, &i, count, "false", .isFalse, fail)
                case UInt8(ascii: "n"):
                    try scanLiteral(buf, &i, count, "null", .null, fail)
                case UInt8(ascii: "N") where limits.allowsNonFiniteLiterals:
                    try scanLiteral(buf, &i, count, "NaN", .number, fail)
                case UInt8(ascii: "I") where limits.allowsNonFiniteLiterals:
                    try scanLiteral(buf, &i, count, "Infinity", .number, fail)
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    try scanNumber(buf, &i, count, allowsInfinity: limits.allowsNonFiniteLiterals, fail)
                default:
                    throw fail("unexpected character '\(Self.printable(c))'", i)
                }
                closeValue()
            }
        }
    }

    private mutating func scanLiteral(
        _ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ count: Int, _ word: StaticString, _ kind: Kind,
        _ fail: (String, Int) -> JSONError
    ) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= count else { throw fail("truncated literal", i) }
        let p = word.utf8Start
        for k in 0..<n where buf[i + k] != p[k] {
            throw fail("unknown literal", i)
        }
        tokens.append(Token(kind: kind, start: Int32(i), length: Int32(n), end: Int32(tokens.count + 1)))
        i += n
    }

    private mutating func scanNumber(
        _ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ count: Int, allowsInfinity: Bool, _ fail: (String, Int) -> JSONError
    ) throws(JSONError) {
        let start = i
        func isDigit(_ k: Int) -> Bool { k < count && buf[k] >= 0x30 && buf[k] <= 0x39 }
        if buf[i] == UInt8(ascii: "-") {
            i += 1
            if allowsInfinity, i < count, buf[i] == UInt8(ascii: "I") {  // -Infinity
                let word: [UInt8] = Array("Infinity".utf8)
                guard i + word.count <= count, Array(buf[i..<(i + word.count)]) == word else {
                    throw fail("unknown literal", i)
                }
                i += word.count
                tokens.append(Token(kind: .number, start: Int32(start), length: Int32(i - start), end: Int32(tokens.count + 1)))
                return
            }
        }
        guard isDigit(i) else { throw fail("a number needs digits", i) }
        if buf[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < count, buf[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw fail("a decimal point must be followed by digits", i) }
            while isDigit(i) { i += 1 }
        }
        if i < count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            i += 1
            if i < count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw fail("an exponent needs digits", i) }
            while isDigit(i) { i += 1 }
        }
        tokens.append(Token(kind: .number, start: Int32(start), length: Int32(i - start), end: Int32(tokens.count + 1)))
    }

    private mutating func scanString(
        _ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ count: Int, _ fail: (String, Int) -> JSONError
    ) throws(JSONError) {
        i += 1  // opening quote
        let start = i
        var escaped = false
        var pendingHigh = false  // the last escape was a high surrogate, which must be followed by a low one
        while true {
            guard i < count else { throw fail("a string is not closed (truncated?)", i) }
            let c = buf[i]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw fail("a control character inside a string (escape it)", i) }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 1
                guard i < count else { throw fail("a string is not closed (truncated?)", i) }
                switch buf[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    guard !pendingHigh else { throw fail("an unpaired surrogate in a \\u escape", i) }
                    i += 1
                case UInt8(ascii: "u"):
                    guard i + 4 < count else { throw fail("a truncated \\u escape", i) }
                    var code: UInt32 = 0
                    for k in 1...4 {
                        guard let digit = Self.hexValue(buf[i + k]) else { throw fail("a bad \\u escape", i) }
                        code = code << 4 | digit
                    }
                    let isHigh = (0xD800...0xDBFF).contains(code)
                    let isLow = (0xDC00...0xDFFF).contains(code)
                    guard isLow == pendingHigh, !(pendingHigh && isHigh) else { throw fail("an unpaired surrogate in a \\u escape", i) }
                    pendingHigh = isHigh
                    i += 5
                default:
                    throw fail("an unknown escape sequence", i)
                }
                continue
            }
            guard !pendingHigh else { throw fail("an unpaired surrogate in a \\u escape", i) }
            if c < 0x80 {
                i += 1
            } else {
                guard let width = Self.utf8Width(buf, i, count) else { throw fail("a string that is not valid UTF-8", i) }
                i += width
            }
        }
        guard !pendingHigh else { throw fail("an unpaired surrogate in a \\u escape", i) }
        tokens.append(
            Token(
                kind: escaped ? .escapedString : .string, start: Int32(start), length: Int32(i - start),
                end: Int32(tokens.count + 1)))
        i += 1  // closing quote
    }

    /// The length of the well-formed UTF-8 sequence that starts at `i` (a non-ASCII lead byte), or
    /// nil (overlong forms, surrogates, code points above U+10FFFF and truncated sequences included).
    private static func utf8Width(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int, _ count: Int) -> Int? {
        let b0 = buf[i]
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool { k < count && range.contains(buf[k]) }
        switch b0 {
        case 0xC2...0xDF: return continuation(i + 1) ? 2 : nil
        case 0xE0: return continuation(i + 1, 0xA0...0xBF) && continuation(i + 2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(i + 1) && continuation(i + 2) ? 3 : nil
        case 0xED: return continuation(i + 1, 0x80...0x9F) && continuation(i + 2) ? 3 : nil
        case 0xF0: return continuation(i + 1, 0x90...0xBF) && continuation(i + 2) && continuation(i + 3) ? 4 : nil
        case 0xF1...0xF3: return continuation(i + 1) && continuation(i + 2) && continuation(i + 3) ? 4 : nil
        case 0xF4: return continuation(i + 1, 0x80...0x8F) && continuation(i + 2) && continuation(i + 3) ? 4 : nil
        default: return nil
        }
    }

    /// Whether the key token just appended (the last token) repeats a key of the object at `object`.
    /// Compares raw bytes, decoding only keys with escapes; objects are small in practice, and this
    /// runs only when ``Limits/rejectsDuplicateKeys`` is set.
    private func duplicateKey(in object: Int, _ buf: UnsafeBufferPointer<UInt8>) -> String? {
        let last = tokens.count - 1
        let key = tokens[last]
        var i = object + 1
        while i < last {
            let other = tokens[i]
            if other.kind == .string, key.kind == .string {
                if other.length == key.length {
                    let a = Int(other.start)
                    let b = Int(key.start)
                    var k = 0
                    while k < Int(key.length), buf[a + k] == buf[b + k] { k += 1 }
                    if k == Int(key.length) { return string(at: last) }
                }
            } else if string(at: i) == string(at: last) {
                return string(at: last)
            }
            // Skip the key and its value's subtree.
            i = Int(tokens[i + 1].end)
        }
        return nil
    }

    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    private static func printable(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : String(format: "\\x%02X", c)
    }

    /// The 1-based line and column of byte `offset`.
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        bytes.withUnsafeBufferPointer { Self.lineAndColumn($0, offset) }
    }

    private static func lineAndColumn(_ buf: UnsafeBufferPointer<UInt8>, _ offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for k in 0..<min(offset, buf.count) {
            if buf[k] == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
