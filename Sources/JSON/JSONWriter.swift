/// A small, fast JSON writer for responses: no reflection, numbers rounded to what a client needs.
public struct JSONWriter {
    public private(set) var text = ""
    private var needsComma = [false]

    public init(capacity: Int = 1024) { text.reserveCapacity(capacity) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text.append(",") }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginObject() {
        separate()
        text.append("{")
        needsComma.append(false)
    }

    public mutating func endObject() {
        needsComma.removeLast()
        text.append("}")
    }

    public mutating func beginArray() {
        separate()
        text.append("[")
        needsComma.append(false)
    }

    public mutating func endArray() {
        needsComma.removeLast()
        text.append("]")
    }

    /// Writes `"name":`; the value that follows must not add a comma of its own.
    public mutating func key(_ name: String) {
        separate()
        Self.appendQuoted(name, to: &text)
        text.append(":")
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ value: String) {
        separate()
        Self.appendQuoted(value, to: &text)
    }

    public mutating func int(_ value: Int) {
        separate()
        text.append(String(value))
    }

    public mutating func bool(_ value: Bool) {
        separate()
        text.append(value ? "true" : "false")
    }

    public mutating func null() {
        separate()
        text.append("null")
    }

    /// A number rounded to `digits` decimals (shortest text); non-finite values become null.
    public mutating func number(_ value: Double, digits: Int = 6) {
        separate()
        guard value.isFinite else {
            text.append("null")
            return
        }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        // Near the top of the double range, scaling overflows; such values need no rounding.
        guard rounded.isFinite else {
            text.append(String(value))
            return
        }
        if rounded == rounded.rounded(), abs(rounded) < 1e15 {
            text.append(String(Int(rounded)))
        } else {
            text.append(String(rounded))
        }
    }

    /// Inserts already-serialized members (`"a":1,"b":[2]`) into the object being written, so a
    /// fragment encoded once can go into two documents.
    public mutating func members(_ fragment: String) {
        guard !fragment.isEmpty else { return }
        separate()
        text.append(fragment)
    }

    /// Inserts already-serialized JSON as a value.
    public mutating func raw(_ json: String) {
        separate()
        text.append(json)
    }

    public mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: String, _ value: Int) {
        key(name)
        int(value)
    }

    public mutating func field(_ name: String, _ value: Double, digits: Int = 6) {
        key(name)
        number(value, digits: digits)
    }

    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    public static func appendQuoted(_ value: String, to text: inout String) {
        text.append("\"")
        let utf8 = value.utf8
        var runStart = utf8.startIndex
        var i = runStart
        // Escapes are ASCII, so every cut falls on a scalar boundary; plain runs are copied whole.
        while i != utf8.endIndex {
            let unit = utf8[i]
            guard unit < 0x20 || unit == 0x22 || unit == 0x5C else {
                i = utf8.index(after: i)
                continue
            }
            if runStart != i { text.append(contentsOf: Substring(utf8[runStart..<i])) }
            switch unit {
            case 0x22: text.append("\\\"")
            case 0x5C: text.append("\\\\")
            case 0x0A: text.append("\\n")
            case 0x0D: text.append("\\r")
            case 0x09: text.append("\\t")
            default:
                let hex = String(unit, radix: 16)
                text.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            }
            i = utf8.index(after: i)
            runStart = i
        }
        if runStart != utf8.endIndex { text.append(contentsOf: Substring(utf8[runStart..<utf8.endIndex])) }
        text.append("\"")
    }
}

extension JSONWriter {
    /// Writes a parsed value back (numbers with up to 12 decimals).
    public mutating func node(_ node: JSONNode) {
        switch node {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let x): number(x, digits: 12)
        case .string(let s): string(s)
        case .array(let elements):
            beginArray()
            for element in elements { self.node(element) }
            endArray()
        case .object(let members):
            beginObject()
            for (name, value) in members {
                key(name)
                self.node(value)
            }
            endObject()
        }
    }
}
