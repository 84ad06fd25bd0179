import Foundation
import Hashing
import JSON
public import Store
import Telemetry

/// A lead's live score as a reader sees it: how old it is, whether it is stale, and whether a
/// refresh is running.
public struct LiveView: Sendable {
    public var record: LiveRecord
    /// Seconds since the score was stored.
    public var age: Double
    /// Older than `live_scores.stale_after_s`, or its LLM step still pending, or being refreshed.
    public var stale: Bool
    public var refreshing: Bool

    /// The stored response with `as_of`, `age_s`, `stale` and `refreshing` in front.
    public var json: String {
        var w = JSONWriter(capacity: record.json.utf8.count + 128)
        w.beginObject()
        w.field("as_of", asOf)
        w.field("age_s", age, digits: 1)
        w.field("stale", stale)
        w.field("refreshing", refreshing)
        var text = w.text
        if record.json.utf8.first == UInt8(ascii: "{"), record.json.utf8.count > 2 {
            text += "," + record.json.dropFirst()
        } else {
            text += "}"
        }
        return text
    }

    /// When the score was stored (RFC 3339).
    public var asOf: String { Timestamp.iso8601(Date(timeIntervalSince1970: Double(record.storedAtMS) / 1000)) }

    /// A strong validator of this score (its store time and content).
    public var etag: String { Self.etag(of: record) }

    /// A strong validator of a live score: a digest of its store time and content.
    public static func etag(of record: LiveRecord) -> String {
        "\"" + String(SHA256.hex(Array("\(record.storedAtMS):\(record.json)".utf8)).prefix(24)) + "\""
    }
}

extension ScoringPipeline {
    /// Seconds since the live score was stored.
    public func age(of record: LiveRecord) -> Double { max(0, Double(Timestamp.nowMS() - record.storedAtMS) / 1000) }

    /// Whether the live score is older than `live_scores.stale_after_s`.
    public func isOld(_ record: LiveRecord) -> Bool { age(of: record) > settings.staleAfter.seconds }

    /// How a reader sees `record`; with `refresh`, a stale score starts its refresh in the background
    /// (stale while revalidate: answer now, score again behind it).
    public func view(_ record: LiveRecord, refresh: Bool) -> LiveView {
        let age = age(of: record)
        let old = age > settings.staleAfter.seconds
        let pending = record.summary?.status == RerankStatus.pending.rawValue
        let refreshing = old && refresh && refreshInBackground(record) || isRefreshing(record.leadID)
        return LiveView(record: record, age: age, stale: old || pending || refreshing, refreshing: refreshing)
    }

    /// The lead's live score, if it has one.
    public func liveScore(_ leadID: String) async -> Result<LiveRecord?, StoreError> {
        await store.liveScore(leadID, timeout: settings.readTimeout)
    }
}
