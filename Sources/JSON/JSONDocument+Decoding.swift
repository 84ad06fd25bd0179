import Foundation

/// Reading the scalar tokens of a validated document.
extension JSONDocument {
    /// The raw text of token `index` (a number's digits, a string's contents before unescaping).
    public func rawText(at index: Int) -> String {
        let t = tokens[index]
        let start = Int(t.start)
        return String(decoding: bytes[start..<(start + Int(t.length))], as: UTF8.self)
    }

    /// A number token parsed with the C library, which rounds correctly. The bytes end with a NUL and
    /// the tokenizer checked the token's grammar, so the parse stops at the token's end.
    public func double(at index: Int) -> Double {
        let start = Int(tokens[index].start)
        return bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return .nan }
            return strtod(UnsafeRawPointer(base + start).assumingMemoryBound(to: CChar.self), nil)
        }
    }

    /// As ``double(at:)``, rounding straight to float32 (`strtof`), as xgboost reads its thresholds.
    public func float(at index: Int) -> Float {
        let start = Int(tokens[index].start)
        return bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return .nan }
            return strtof(UnsafeRawPointer(base + start).assumingMemoryBound(to: CChar.self), nil)
        }
    }

    /// A number token as an integer: digits exactly, or an integral value written as `1.0` or `1e3`;
    /// nil when it is not integral or out of range.
    public func int(at index: Int) -> Int? {
        let t = tokens[index]
        let start = Int(t.start)
        let end = start + Int(t.length)
        var k = start
        var negative = false
        if k < end, bytes[k] == UInt8(ascii: "-") {
            negative = true
            k += 1
        }
        guard k < end else { return nil }
        var value = 0
        while k < end {
            let c = bytes[k]
            guard c >= 0x30, c <= 0x39 else {
                let d = double(at: index)
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

    /// A string token, unescaped. The tokenizer validated its UTF-8 and its surrogate pairs.
    public func string(at index: Int) -> String {
        let t = tokens[index]
        let start = Int(t.start)
        let end = start + Int(t.length)
        if t.kind != .escapedString {
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var k = start
        var pendingHigh: UInt32?
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
                for j in 0..<4 { v = v << 4 | (Self.hexValue(bytes[k + j]) ?? 0) }
                k += 4
                if (0xD800...0xDBFF).contains(v) {
                    pendingHigh = v
                    continue
                }
                if (0xDC00...0xDFFF).contains(v), let high = pendingHigh { v = 0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00) }
                Self.appendUTF8(v, to: &out)
            default: out.append(e)
            }
            pendingHigh = nil
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
