import Foundation

/// A validated JSON document held as one flat array of tokens over the original bytes.
///
/// Parsing is iterative (no recursion, so hostile nesting cannot overflow the stack), validates the
/// whole grammar up front and allocates one token per value. Numbers are kept as byte ranges and
/// converted only when read, straight to `Float` or `Double` with correctly rounded `strtof`/`strtod`,
/// so a float32 threshold written as its shortest decimal is read back bit for bit.
struct JSONDocument {
    enum Kind: UInt8 {
        case null, isTrue, isFalse, number, string, escapedString, array, object
    }

    struct Token {
        var kind: Kind
        /// Byte offset of the token's text (for strings: the first byte after the opening quote).
        var start: Int32
        /// Scalars: byte length of the text. Containers: number of elements (members for objects).
        var length: Int32
        /// Index of the first token after this value's subtree.
        var end: Int32
    }

    /// Limits that keep hostile input from costing unbounded memory or time.
    struct Limits {
        var maxBytes = 1 << 30
        var maxDepth = 256
    }

    /// The document's bytes followed by one NUL byte, so C number parsers always stop in bounds.
    let bytes: [UInt8]
    private(set) var tokens: [Token] = []

    init(bytes input: [UInt8], limits: Limits = Limits()) throws(ModelError) {
        guard input.count <= limits.maxBytes, input.count < Int(Int32.max) else {
            throw ModelError(.tooLarge, "The JSON file is \(input.count) bytes; the limit is \(limits.maxBytes).")
        }
        var padded = input
        padded.append(0)
        bytes = padded
        tokens.reserveCapacity(min(input.count / 6, 1 << 20) + 16)
        try parse(count: input.count, limits: limits)
    }

    // MARK: Parsing

    private enum Expect { case value, firstValueOrClose, keyOrClose, key, colon, commaOrClose }

    private mutating func parse(count: Int, limits: Limits) throws(ModelError) {
        var stack: [Int] = []  // indices of open containers
        var expect = Expect.value
        var finished = false
        var i = 0
        try bytes.withUnsafeBufferPointer { (buf) throws(ModelError) in
            // Takes the position explicitly: the scanners below hold `i` as an inout argument while they fail.
            func fail(_ what: String, _ at: Int) -> ModelError {
                let (line, column) = Self.lineAndColumn(buf, at)
                return ModelError(.malformed, "The JSON is malformed at line \(line), column \(column): \(what).")
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
                    throw fail(stack.isEmpty ? "the document is empty" : "the document ends before its last container is closed (truncated file?)", i)
                }
                if finished { throw fail("unexpected data after the end of the document", i) }
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
                    try scanString(buf, &i, count, fail)
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
                case UInt8(ascii: "N"):
                    try scanLiteral(buf, &i, count, "NaN", .number, fail)
                case UInt8(ascii: "I"):
                    try scanLiteral(buf, &i, count, "Infinity", .number, fail)
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    try scanNumber(buf, &i, count, fail)
                default:
                    throw fail("unexpected character '\(Self.printable(c))'", i)
                }
                closeValue()
            }
        }
    }

    private mutating func scanLiteral(
        _ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ count: Int, _ word: StaticString, _ kind: Kind,
        _ fail: (String, Int) -> ModelError
    ) throws(ModelError) {
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
        _ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ count: Int, _ fail: (String, Int) -> ModelError
    ) throws(ModelError) {
        let start = i
        func isDigit(_ k: Int) -> Bool { k < count && buf[k] >= 0x30 && buf[k] <= 0x39 }
        if buf[i] == UInt8(ascii: "-") {
            i += 1
            if i < count, buf[i] == UInt8(ascii: "I") {  // -Infinity
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
        _ buf: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ count: Int, _ fail: (String, Int) -> ModelError
    ) throws(ModelError) {
        i += 1  // opening quote
        let start = i
        var escaped = false
        while true {
            guard i < count else { throw fail("a string is not closed (truncated file?)", i) }
            let c = buf[i]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw fail("a control character inside a string", i) }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 1
                guard i < count else { throw fail("a string is not closed (truncated file?)", i) }
                switch buf[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    guard i + 4 < count else { throw fail("a truncated \\u escape", i) }
                    for k in 1...4 where Self.hexValue(buf[i + k]) == nil {
                        throw fail("a bad \\u escape", i)
                    }
                    i += 5
                default:
                    throw fail("an unknown escape sequence", i)
                }
                continue
            }
            i += 1
        }
        tokens.append(
            Token(
                kind: escaped ? .escapedString : .string, start: Int32(start), length: Int32(i - start),
                end: Int32(tokens.count + 1)))
        i += 1  // closing quote
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
