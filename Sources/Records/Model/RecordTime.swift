public import Foundation

/// Times in records are whole microseconds since 1970, the precision both backends keep.
public enum RecordTime {
    /// `date` rounded to the nearest microsecond.
    public static func normalized(_ date: Date) -> Date { Self.date(microseconds: microseconds(date)) }

    /// Microseconds since 1970-01-01T00:00:00Z.
    public static func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The date `microseconds` after 1970-01-01T00:00:00Z.
    public static func date(microseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }
}
