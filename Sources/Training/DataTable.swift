import Evaluation
import Foundation
import JSON

/// A training CSV in memory: the header, the cells (trimmed) and which of them mean "missing".
struct DataTable: Sendable {
    var header: [String]
    var rows: [[String]]
    var missing: Set<String>

    /// Reads the whole file, reporting progress in bytes.
    static func load(path: String, separator: UInt8?, missing extra: [String], progress: (Int, Int) -> Void) throws(TrainingError) -> DataTable {
        let stream = try CSVStream(path: path, separator: separator)
        var rows: [[String]] = []
        while let record = try stream.next() {
            rows.append(record.map(CellText.trimmed))
            if rows.count % 4096 == 0 { progress(stream.bytesRead, stream.fileSize) }
        }
        progress(stream.fileSize, stream.fileSize)
        guard !rows.isEmpty else { throw TrainingError("`\(path)` has a header but no rows.") }
        return DataTable(header: stream.header, rows: rows, missing: MissingValues.standard.union(extra))
    }

    func columnIndex(_ name: String) -> Int? {
        header.firstIndex(of: name) ?? header.firstIndex { FieldNames.snakeCase($0) == name }
    }

    /// The cell, or nil when it is a missing value.
    func value(_ row: Int, _ column: Int) -> String? {
        let cell = rows[row][column]
        return missing.contains(cell) ? nil : cell
    }
}

/// The label column read as converted / not converted.
struct Labels {
    var values: [Bool?]
    var positive: String

    init(table: DataTable, column: Int, positive: String?) throws(TrainingError) {
        var distinct: [String: Int] = [:]
        for r in table.rows.indices { if let v = table.value(r, column) { distinct[v, default: 0] += 1 } }
        let name = table.header[column]
        let chosen: String
        if let positive {
            guard distinct[positive] != nil else {
                throw TrainingError(
                    "--positive `\(positive)` never occurs in `\(name)`. Its values are: \(distinct.keys.sorted().prefix(20).joined(separator: ", "))."
                )
            }
            chosen = positive
        } else {
            let keys = Set(distinct.keys)
            let guesses = ["1", "yes", "Yes", "YES", "true", "True", "TRUE", "converted", "won", "Won"]
            guard keys.count == 2, let guess = guesses.first(where: keys.contains) else {
                throw TrainingError(
                    "cannot tell which value of `\(name)` means converted (values: \(distinct.keys.sorted().prefix(20).joined(separator: ", "))). Pass --positive VALUE."
                )
            }
            chosen = guess
        }
        guard distinct.count >= 2 else { throw TrainingError("`\(name)` has only one value; a model needs both outcomes.") }
        self.positive = chosen
        values = table.rows.indices.map { r in table.value(r, column).map { $0 == chosen } }
    }
}

/// Which rows train the trees, which stop them early and fit the calibration, and which are held out.
struct Split: Sendable {
    enum Method: Sendable, Equatable {
        case stratified(seed: UInt64)
        case time(column: String, from: String, holdoutFrom: String, to: String)
    }

    var train: [Int]
    var validation: [Int]
    var holdout: [Int]
    var method: Method

    /// Stratified by outcome: the same share of converted leads in every part.
    static func stratified(rows: [Int], labels: [Bool?], holdout: Double, validation: Double, seed: UInt64) -> Split {
        var generator = SplitMix64(seed: seed)
        var parts: ([Int], [Int], [Int]) = ([], [], [])
        for cls in [true, false] {
            var members = rows.filter { labels[$0] == cls }
            members.shuffle(using: &generator)
            let nHold = Int((Double(members.count) * holdout).rounded())
            let rest = members.count - nHold
            let nValid = Int((Double(rest) * validation).rounded())
            parts.2 += members[0..<nHold]
            parts.1 += members[nHold..<(nHold + nValid)]
            parts.0 += members[(nHold + nValid)...]
        }
        return Split(train: parts.0.sorted(), validation: parts.1.sorted(), holdout: parts.2.sorted(), method: .stratified(seed: seed))
    }

    /// By time: the latest rows are held out, the latest of the rest validate.
    static func byTime(
        rows: [Int], table: DataTable, column: Int, holdout: Double, validation: Double
    ) throws(TrainingError) -> Split {
        var keyed: [(Double, Int)] = []
        let times = TimeValues()
        for r in rows {
            guard let text = table.value(r, column), let t = times.parse(text) else {
                throw TrainingError(
                    "row \(r + 2): `\(table.header[column])` is `\(table.rows[r][column])`, not a date (ISO 8601, e.g. 2026-03-01 or 2026-03-01T10:00:00Z) or a number. Fix it or drop the row."
                )
            }
            keyed.append((t, r))
        }
        keyed.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        let nHold = Int((Double(keyed.count) * holdout).rounded())
        let rest = keyed.count - nHold
        let nValid = Int((Double(rest) * validation).rounded())
        let order = keyed.map(\.1)
        let name = table.header[column]
        func cell(_ i: Int) -> String { table.rows[order[max(0, min(order.count - 1, i))]][column] }
        return Split(
            train: Array(order[0..<(rest - nValid)]).sorted(), validation: Array(order[(rest - nValid)..<rest]).sorted(),
            holdout: Array(order[rest...]).sorted(),
            method: .time(column: name, from: cell(0), holdoutFrom: cell(rest), to: cell(order.count - 1)))
    }
}

/// Reads time cells: ISO 8601 dates or date-times, or plain numbers (taken as they are).
final class TimeValues {
    private let iso = ISO8601DateFormatter()
    private let formatters: [DateFormatter]

    init() {
        formatters = ["yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy/MM/dd"].map { format in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(secondsFromGMT: 0)
            formatter.dateFormat = format
            return formatter
        }
    }

    /// Seconds since 1970, or nil when the text is neither a date nor a number.
    func parse(_ text: String) -> Double? {
        if let x = Double(text) { return x }
        if let ms = RFC3339.milliseconds(text) { return Double(ms) / 1000 }
        if let d = iso.date(from: text) { return d.timeIntervalSince1970 }
        for formatter in formatters { if let d = formatter.date(from: text) { return d.timeIntervalSince1970 } }
        return nil
    }
}
