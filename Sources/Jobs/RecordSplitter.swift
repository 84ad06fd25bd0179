import Foundation

/// Cuts a byte stream into records: lines for NDJSON and id lists, RFC 4180 records for CSV (a
/// newline inside quotes does not end one). Blank lines are skipped; a trailing `\r` is dropped.
/// Bytes arrive in pieces of any size and are never held beyond the record being read.
public struct RecordSplitter: Sendable {
    public struct TooLong: Error, Sendable {
        public let record: Int
        public let limit: Int
    }

    public let csv: Bool
    /// The longest record accepted, in bytes.
    public let maxRecordBytes: Int
    private var partial: [UInt8] = []
    private var inQuotes = false
    /// Records emitted so far.
    public private(set) var records = 0

    public init(csv: Bool, maxRecordBytes: Int = 1 << 20) {
        self.csv = csv
        self.maxRecordBytes = maxRecordBytes
    }

    /// Feeds `bytes`, calling `emit` with every record they complete.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: ([UInt8]) throws -> Void) throws {
        var start = 0
        let count = bytes.count
        var i = 0
        while i < count {
            let byte = bytes[i]
            if csv, byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == UInt8(ascii: "\n"), !inQuotes {
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
                try flush(emit)
                start = i + 1
            }
            i += 1
        }
        if start < count { partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<count])) }
        if partial.count > maxRecordBytes { throw TooLong(record: records + 1, limit: maxRecordBytes) }
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: ([UInt8]) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, emit) }
    }

    /// Emits the last record when the input did not end with a newline.
    public mutating func finish(_ emit: ([UInt8]) throws -> Void) throws {
        try flush(emit)
        inQuotes = false
    }

    private mutating func flush(_ emit: ([UInt8]) throws -> Void) throws {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        if partial.count > maxRecordBytes { throw TooLong(record: records + 1, limit: maxRecordBytes) }
        if partial.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) {
            records += 1
            try emit(partial)
        }
        partial.removeAll(keepingCapacity: true)
    }

    /// Every record in `bytes` (a chunk's data, as the splitter joined them).
    public static func records(_ bytes: [UInt8], csv: Bool) -> [[UInt8]] {
        var splitter = RecordSplitter(csv: csv, maxRecordBytes: Int.max)
        var out: [[UInt8]] = []
        try? splitter.feed(bytes) { out.append($0) }
        try? splitter.finish { out.append($0) }
        return out
    }
}

/// The cells of one CSV record (RFC 4180: quoted cells, doubled quotes inside them).
public enum CSVCells {
    public static func parse(_ record: [UInt8]) -> [String] {
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        var i = 0
        while i < record.count {
            let byte = record[i]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if i + 1 < record.count, record[i + 1] == UInt8(ascii: "\"") {
                        cell.append(byte)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                cells.append(String(decoding: cell, as: UTF8.self))
                cell.removeAll(keepingCapacity: true)
            } else {
                cell.append(byte)
            }
            i += 1
        }
        cells.append(String(decoding: cell, as: UTF8.self))
        return cells
    }

    /// A cell quoted when it needs to be.
    public static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
