/// A CSV file read into memory: a header and rows of fields (RFC 4180: quoted fields may hold commas,
/// doubled quotes and line breaks; lines may end in LF or CRLF).
public struct CSVTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]
    /// The 1-based line on which each row starts, for error messages.
    public var lineNumbers: [Int]

    /// Parses CSV text. Every row must have as many fields as the header.
    ///
    /// - Throws: ``InputError`` naming the line and what is wrong.
    public init(bytes: [UInt8], maxFields: Int = 1 << 28) throws(InputError) {
        var records: [[String]] = []
        var starts: [Int] = []
        var field: [UInt8] = []
        var record: [String] = []
        var line = 1
        var recordLine = 1
        var i = 0
        var inQuotes = false
        var fieldWasQuoted = false
        var totalFields = 0
        let n = bytes.count
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }  // UTF-8 byte order mark

        func endField() throws(InputError) {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
            totalFields += 1
            if totalFields > maxFields { throw InputError(line: line, "The CSV has more than \(maxFields) fields.") }
        }
        func endRecord() {
            // A blank line (one empty, unquoted field) is skipped.
            if !(record.count == 1 && record[0].isEmpty) {
                records.append(record)
                starts.append(recordLine)
            }
            record.removeAll(keepingCapacity: true)
        }

        var atRecordStart = true
        while i < n {
            let c = bytes[i]
            if atRecordStart {
                recordLine = line
                atRecordStart = false
            }
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 2
                        continue
                    }
                    inQuotes = false
                    i += 1
                    guard i >= n || bytes[i] == UInt8(ascii: ",") || bytes[i] == 0x0A || bytes[i] == 0x0D else {
                        throw InputError(line: line, "A quoted field is followed by text before the next comma.")
                    }
                    continue
                }
                if c == 0x0A { line += 1 }
                field.append(c)
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: ","):
                try endField()
                i += 1
            case 0x0D, 0x0A:
                try endField()
                endRecord()
                if c == 0x0D, i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                i += 1
                line += 1
                atRecordStart = true
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else {
                    throw InputError(line: line, "A quote appears inside an unquoted field; quote the whole field and double inner quotes.")
                }
                inQuotes = true
                fieldWasQuoted = true
                i += 1
            default:
                field.append(c)
                i += 1
            }
        }
        if inQuotes { throw InputError(line: recordLine, "A quoted field is not closed before the end of the file.") }
        if !atRecordStart {
            try endField()
            endRecord()
        }
        guard let header = records.first else { throw InputError(line: 1, "The CSV is empty; it needs a header line.") }
        self.header = header
        self.rows = Array(records.dropFirst())
        self.lineNumbers = Array(starts.dropFirst())
        for (k, row) in rows.enumerated() where row.count != header.count {
            throw InputError(line: lineNumbers[k], "The row has \(row.count) fields, but the header has \(header.count).")
        }
    }
}

/// A problem with input data (CSV text or values for a model), located by line and column.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The 1-based line of the input file, when known.
    public var line: Int?
    /// The column's name, when the problem is in one column.
    public var column: String?
    public var message: String

    public init(line: Int? = nil, column: String? = nil, _ message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var location: [String] = []
        if let line { location.append("line \(line)") }
        if let column { location.append("column \"\(column)\"") }
        return location.isEmpty ? message : "\(location.joined(separator: ", ")): \(message)"
    }
}
