import Foundation

/// A CSV file read record by record, in chunks, so a file of any size streams through in bounded
/// memory. The separator (`,`, `;` or a tab) is sniffed from the header line unless given; fields
/// may be quoted (RFC 4180: doubled quotes, separators and line breaks inside quotes); lines end in
/// LF or CRLF; a UTF-8 byte order mark is skipped; blank lines are skipped.
public final class CSVStream {
    public let path: String
    public let separator: UInt8
    /// The first record.
    public private(set) var header: [String]
    /// The 1-based line on which the last record returned by ``next()`` started.
    public private(set) var line = 1
    /// Bytes consumed so far (for progress against the file's size).
    public private(set) var bytesRead = 0
    public let fileSize: Int

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var nextLine = 1
    private let chunkSize: Int

    public convenience init(path: String, separator: UInt8? = nil) throws(TrainingError) {
        try self.init(path: path, separator: separator, chunkSize: 1 << 20)
    }

    /// `chunkSize`: how many bytes each read takes (small values test record boundaries).
    init(path: String, separator: UInt8?, chunkSize: Int) throws(TrainingError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TrainingError("cannot open `\(path)`. Check the path and its permissions.")
        }
        self.path = path
        self.handle = handle
        self.chunkSize = max(1, chunkSize)
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        // The separator is sniffed from the whole first line (up to 1 MiB of it).
        var probe = Self.readChunk(handle, chunkSize)
        while !probe.contains(0x0A), probe.count < 1 << 20 {
            let more = Self.readChunk(handle, chunkSize)
            if more.isEmpty { break }
            probe += more
        }
        if probe.isEmpty { atEnd = true }
        if probe.starts(with: [0xEF, 0xBB, 0xBF]) { probe.removeFirst(3) }
        buffer = probe
        self.separator = separator ?? Self.sniff(probe)
        header = []
        guard let first = try nextRecord() else { throw TrainingError("`\(path)` is empty. It needs a header line and rows.") }
        header = first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    deinit { try? handle.close() }

    /// The most frequent of `,`, `;` and tab outside quotes on the first line.
    static func sniff(_ bytes: [UInt8]) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, 0x09: 0]
        var quoted = false
        for c in bytes {
            if c == UInt8(ascii: "\"") { quoted.toggle() }
            if !quoted, c == 0x0A || c == 0x0D { break }
            if !quoted, counts[c] != nil { counts[c, default: 0] += 1 }
        }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? UInt8(ascii: ",")
    }

    private static func readChunk(_ handle: FileHandle, _ size: Int) -> [UInt8] {
        guard let data = try? handle.read(upToCount: size) else { return [] }
        return [UInt8](data)
    }

    /// The next record's fields, or nil at the end of the file. A record with a different number
    /// of fields from the header throws, naming its line.
    public func next() throws(TrainingError) -> [String]? {
        guard let record = try nextRecord() else { return nil }
        guard record.count == header.count else {
            throw TrainingError(
                "`\(path)` line \(line) has \(record.count) fields; the header has \(header.count). Quote fields that hold the separator.")
        }
        return record
    }

    private func nextRecord() throws(TrainingError) -> [String]? {
        while true {
            if let (record, end, lines) = try parse(from: position) {
                bytesRead += end - position
                position = end
                line = nextLine
                nextLine += lines
                if record.count == 1 && record[0].isEmpty { continue }  // a blank line
                return record
            }
            if atEnd { return nil }
            // The record runs past the buffer: keep its start, read more.
            buffer.removeFirst(position)
            position = 0
            let more = Self.readChunk(handle, chunkSize)
            if more.isEmpty { atEnd = true } else { buffer.append(contentsOf: more) }
        }
    }

    /// One record starting at `start`: its fields, where the next record starts and how many lines
    /// it spanned; nil when the buffer ends inside it and more of the file remains.
    private func parse(from start: Int) throws(TrainingError) -> ([String], Int, Int)? {
        let n = buffer.count
        guard start < n else { return nil }
        var fields: [String] = []
        var field: [UInt8] = []
        var i = start
        var lines = 1
        var quoted = false
        var wasQuoted = false
        while i < n {
            let c = buffer[i]
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < n {
                        if buffer[i + 1] == UInt8(ascii: "\"") {
                            field.append(c)
                            i += 2
                            continue
                        }
                    } else if !atEnd {
                        return nil
                    }
                    quoted = false
                    i += 1
                    continue
                }
                if c == 0x0A { lines += 1 }
                field.append(c)
                i += 1
                continue
            }
            if c == separator {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
                i += 1
            } else if c == 0x0A || c == 0x0D {
                if c == 0x0D {
                    if i + 1 < n {
                        if buffer[i + 1] == 0x0A { i += 1 }
                    } else if !atEnd {
                        return nil
                    }
                }
                fields.append(String(decoding: field, as: UTF8.self))
                return (fields, i + 1, lines)
            } else if c == UInt8(ascii: "\"") && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
                i += 1
            } else {
                field.append(c)
                i += 1
            }
        }
        guard atEnd else { return nil }
        if quoted { throw TrainingError("`\(path)` ends inside a quoted field that starts on line \(nextLine). Close the quote.") }
        fields.append(String(decoding: field, as: UTF8.self))
        return (fields, n, lines)
    }
}

/// Cell text without surrounding spaces and tabs. Checks the ends' bytes first: nearly every cell
/// has none, and Foundation's general trimming cost a third of reading a training file.
enum CellText {
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        guard blank(first) || blank(last) else { return text }
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, blank(bytes[start]) { start += 1 }
        while end > start, blank(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// A problem that stops training or offline scoring, as a whole sentence with the fix.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
