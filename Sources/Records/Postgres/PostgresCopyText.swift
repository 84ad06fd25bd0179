import Foundation
import NIOCore

/// Rows in the text format of PostgreSQL's `COPY … FROM STDIN`: one line per row, columns separated
/// by a tab, `\N` for NULL, and backslash, tab, newline and carriage return escaped. Decisions are
/// written this way (into a staging table, see ``PostgresRecordStore/insert(decisions:)``) because
/// COPY costs the server far less than a multi-row INSERT with tens of thousands of parameters
/// (measured in Benchmarks/README.md).
enum PostgresCopyText {
    /// Appends one row.
    static func appendRow(_ values: [SQLValue], to buffer: inout ByteBuffer) {
        for (i, value) in values.enumerated() {
            if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            append(value, to: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    static func append(_ value: SQLValue, to buffer: inout ByteBuffer) {
        switch value {
        case .null: buffer.writeStaticString("\\N")
        case .int(let int): buffer.writeString(String(int))
        // Swift prints the shortest text that reads back to the same double.
        case .real(let real): buffer.writeString(real.isFinite ? "\(real)" : real.isNaN ? "NaN" : real < 0 ? "-Infinity" : "Infinity")
        case .time(let date): appendTime(RecordTime.microseconds(date), to: &buffer)
        case .text(let text): appendEscaped(text, to: &buffer)
        }
    }

    /// `text` with COPY's escapes; U+0000, which PostgreSQL text cannot hold, becomes U+FFFD.
    static func appendEscaped(_ text: String, to buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (i, byte) in bytes.enumerated() {
                let escape: StaticString
                switch byte {
                case UInt8(ascii: "\\"): escape = "\\\\"
                case UInt8(ascii: "\t"): escape = "\\t"
                case UInt8(ascii: "\n"): escape = "\\n"
                case UInt8(ascii: "\r"): escape = "\\r"
                case 0: escape = "\u{FFFD}"
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<i]))
                buffer.writeStaticString(escape)
                start = i + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00` for microseconds since 1970 (UTC), exactly.
    static func appendTime(_ microseconds: Int64, to buffer: inout ByteBuffer) {
        let perDay: Int64 = 86_400_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let seconds = rest / 1_000_000
        func digits(_ value: Int64, _ count: Int) {
            var text = String(value)
            if text.count < count { text = String(repeating: "0", count: count - text.count) + text }
            buffer.writeString(text)
        }
        digits(year, 4)
        buffer.writeInteger(UInt8(ascii: "-"))
        digits(month, 2)
        buffer.writeInteger(UInt8(ascii: "-"))
        digits(day, 2)
        buffer.writeInteger(UInt8(ascii: " "))
        digits(seconds / 3600, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(seconds / 60 % 60, 2)
        buffer.writeInteger(UInt8(ascii: ":"))
        digits(seconds % 60, 2)
        buffer.writeInteger(UInt8(ascii: "."))
        digits(rest % 1_000_000, 6)
        buffer.writeStaticString("+00")
    }
}
