/// One part (`[system]` or `[user]`) of a prompt file: the Mustache subset prompts use, parsed once
/// into a tree and rendered from typed values (no reflection, no dynamic casts).
///
/// Supported: `{{name}}`, `{{{name}}}` and `{{& name}}` (all insert the text as is: prompts are
/// not HTML), sections `{{#name}}…{{/name}}` over a list (once per item, the item's names in scope),
/// a flag or a text (once when true or non-empty), inverted sections `{{^name}}…{{/name}}`, and
/// comments `{{! … }}`. A section, inverted-section, closing or comment tag alone on its line takes
/// the whole line with it, as in the Mustache spec. Partials and delimiter changes are refused.
struct PromptBody: Sendable {
    /// A value a template can name.
    enum Value: Sendable {
        case text(String)
        case flag(Bool)
        case list([Scope])
    }

    typealias Scope = [String: Value]

    indirect enum Node: Sendable {
        case text(String)
        case variable(String, line: Int)
        case section(String, inverted: Bool, children: [Node], line: Int)
    }

    struct ParseError: Error, Sendable {
        var line: Int
        var message: String
    }

    /// A name used in the template, where it was used, and the sections it sits in.
    struct Use: Sendable, Equatable {
        var name: String
        var line: Int
        /// Enclosing section names, outermost first.
        var within: [String]
        var isSection: Bool
    }

    let nodes: [Node]

    /// `firstLine`: the line of the file the text starts on, so that errors and ``uses`` name file lines.
    init(parsing source: String, firstLine: Int = 1) throws(ParseError) {
        nodes = try Parser(Array(source.utf8), firstLine: firstLine).parse()
    }

    /// Every name the template uses, in order.
    var uses: [Use] {
        var found: [Use] = []
        func walk(_ nodes: [Node], _ within: [String]) {
            for node in nodes {
                switch node {
                case .text: break
                case .variable(let name, let line):
                    found.append(Use(name: name, line: line, within: within, isSection: false))
                case .section(let name, _, let children, let line):
                    found.append(Use(name: name, line: line, within: within, isSection: true))
                    walk(children, within + [name])
                }
            }
        }
        walk(nodes, [])
        return found
    }

    func render(_ scope: Scope) -> String {
        var out = ""
        out.reserveCapacity(1024)
        var scopes = [scope]
        Self.render(nodes, &scopes, into: &out)
        return out
    }

    private static func lookup(_ name: String, _ scopes: [Scope]) -> Value? {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return nil
    }

    private static func render(_ nodes: [Node], _ scopes: inout [Scope], into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .variable(let name, _):
                switch lookup(name, scopes) {
                case .text(let text): out += text
                case .flag(let flag): out += flag ? "true" : "false"
                case .list, nil: break
                }
            case .section(let name, let inverted, let children, _):
                let value = lookup(name, scopes)
                let truthy: Bool
                switch value {
                case .text(let text): truthy = !text.isEmpty
                case .flag(let flag): truthy = flag
                case .list(let items): truthy = !items.isEmpty
                case nil: truthy = false
                }
                if inverted {
                    if !truthy { render(children, &scopes, into: &out) }
                } else if case .list(let items) = value {
                    for item in items {
                        scopes.append(item)
                        render(children, &scopes, into: &out)
                        scopes.removeLast()
                    }
                } else if truthy {
                    render(children, &scopes, into: &out)
                }
            }
        }
    }
}

/// Turns template bytes into ``PromptBody/Node``s.
private struct Parser {
    private enum Kind {
        case variable, section, inverted, close, comment
    }

    private struct Open {
        var name: String
        var inverted: Bool
        var line: Int
        var outer: [PromptBody.Node]
    }

    let bytes: [UInt8]
    let firstLine: Int

    init(_ bytes: [UInt8], firstLine: Int) {
        self.bytes = bytes
        self.firstLine = firstLine
    }

    private static let brace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}"), newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")

    private func line(at index: Int) -> Int { firstLine + bytes[..<index].reduce(0) { $0 + ($1 == Self.newline ? 1 : 0) } }

    private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// The index where the close marker starting at or after `from` begins.
    private func find(_ marker: [UInt8], from: Int) -> Int? {
        var i = from
        while i + marker.count <= bytes.count {
            if bytes[i] == marker[0], Array(bytes[i..<(i + marker.count)]) == marker { return i }
            i += 1
        }
        return nil
    }

    func parse() throws(PromptBody.ParseError) -> [PromptBody.Node] {
        var current: [PromptBody.Node] = []
        var open: [Open] = []
        var textStart = 0
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == Self.brace, bytes[i + 1] == Self.brace else {
                i += 1
                continue
            }
            let tagStart = i
            let tagLine = line(at: tagStart)
            let triple = i + 2 < bytes.count && bytes[i + 2] == Self.brace
            let contentStart = i + (triple ? 3 : 2)
            let marker: [UInt8] = triple ? [Self.closeBrace, Self.closeBrace, Self.closeBrace] : [Self.closeBrace, Self.closeBrace]
            guard let contentEnd = find(marker, from: contentStart) else {
                throw .init(line: tagLine, message: "a `{{` tag is never closed with `\(triple ? "}}}" : "}}")`.")
            }
            let tagEnd = contentEnd + marker.count
            var inner = Substring(text(contentStart..<contentEnd))
            let kind: Kind
            switch triple ? nil : inner.first {
            case "#": kind = .section
            case "^": kind = .inverted
            case "/": kind = .close
            case "!": kind = .comment
            case "&": kind = .variable
            case ">": throw .init(line: tagLine, message: "partials (`{{>…}}`) are not supported; put the text in the prompt file.")
            case "=": throw .init(line: tagLine, message: "changing delimiters (`{{=…=}}`) is not supported.")
            default: kind = .variable
            }
            if !triple, let first = inner.first, "#^/!&".contains(first) { inner = inner.dropFirst() }
            let name = inner.trimmingWhitespace()
            // A standalone section, closing or comment tag removes its whole line.
            var textEnd = tagStart
            var next = tagEnd
            if kind != .variable, let lineStart = standaloneLineStart(before: tagStart, notBefore: textStart),
                let lineEnd = standaloneLineEnd(after: tagEnd)
            {
                textEnd = lineStart
                next = lineEnd
            }
            if textEnd > textStart { current.append(.text(text(textStart..<textEnd))) }
            if kind != .comment {
                guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" })
                else {
                    throw .init(line: tagLine, message: "`\(text(tagStart..<tagEnd))` does not name a variable (letters, digits and `_`).")
                }
            }
            switch kind {
            case .variable:
                current.append(.variable(name, line: tagLine))
            case .section, .inverted:
                open.append(Open(name: name, inverted: kind == .inverted, line: tagLine, outer: current))
                current = []
            case .close:
                guard let section = open.popLast() else {
                    throw .init(line: tagLine, message: "`{{/\(name)}}` closes a section that was never opened.")
                }
                guard section.name == name else {
                    throw .init(
                        line: tagLine,
                        message: "`{{/\(name)}}` closes `{{\(section.inverted ? "^" : "#")\(section.name)}}` from line \(section.line).")
                }
                let children = current
                current = section.outer
                current.append(.section(name, inverted: section.inverted, children: children, line: section.line))
            case .comment:
                break
            }
            i = next
            textStart = next
        }
        if let section = open.last {
            throw .init(
                line: section.line, message: "`{{\(section.inverted ? "^" : "#")\(section.name)}}` is never closed with `{{/\(section.name)}}`.")
        }
        if textStart < bytes.count { current.append(.text(text(textStart..<bytes.count))) }
        return current
    }

    /// Where the line holding a tag at `index` starts, when only blanks precede the tag on it (and
    /// no earlier tag, which would sit before `notBefore`).
    private func standaloneLineStart(before index: Int, notBefore: Int) -> Int? {
        var j = index
        while j > notBefore, bytes[j - 1] == Self.space || bytes[j - 1] == Self.tab { j -= 1 }
        return j == 0 || bytes[j - 1] == Self.newline ? j : nil
    }

    /// Just past the newline ending the line of a tag that ends at `index`, when only blanks follow it.
    private func standaloneLineEnd(after index: Int) -> Int? {
        var j = index
        while j < bytes.count, bytes[j] == Self.space || bytes[j] == Self.tab { j += 1 }
        if j == bytes.count { return j }
        if bytes[j] == Self.newline { return j + 1 }
        if bytes[j] == Self.cr, j + 1 < bytes.count, bytes[j + 1] == Self.newline { return j + 2 }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
