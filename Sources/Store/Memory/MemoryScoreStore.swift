import Synchronization

/// The store without Redis: bounded LRU maps with TTLs in this process. Nothing is shared with other
/// gateways, and a restart forgets everything; locks always succeed (in-process single-flight
/// already joins identical calls).
public final class MemoryScoreStore: ScoreStore {
    private struct State {
        var adjustments: LRUCache<String>
        /// lead id → hashes of the answers it produced.
        var byLead: LRUCache<Set<String>>
        var live: LRUCache<LiveRecord>
        /// lead id → event id → event JSON.
        var events: LRUCache<[String: String]>
    }

    public let limits: StoreLimits
    private let state: Mutex<State>

    public init(limits: StoreLimits = StoreLimits()) {
        self.limits = limits
        state = Mutex(
            State(
                adjustments: LRUCache(capacity: limits.maxAdjustments), byLead: LRUCache(capacity: limits.maxAdjustments),
                live: LRUCache(capacity: limits.maxLiveScores), events: LRUCache(capacity: limits.maxLiveScores)))
    }

    public var kind: String { "memory" }

    public func adjustments(_ hashes: [String], timeout: Duration) async -> Result<[String?], StoreError> {
        .success(state.withLock { s in hashes.map { s.adjustments.get($0) } })
    }

    public func saveAdjustment(hash: String, payload: String?, leadID: String) {
        state.withLock { s in
            if let payload { s.adjustments.set(hash, payload, ttl: limits.adjustmentTTL) }
            var hashes = s.byLead.get(leadID) ?? []
            hashes.insert(hash)
            s.byLead.set(leadID, hashes, ttl: limits.adjustmentTTL)
        }
    }

    public func saveLiveScores(_ records: [LiveRecord]) {
        state.withLock { s in
            for record in records { s.live.set(record.leadID, record, ttl: limits.liveTTL) }
        }
    }

    public func liveScore(_ leadID: String, timeout: Duration) async -> Result<LiveRecord?, StoreError> {
        .success(state.withLock { $0.live.get(leadID) })
    }

    public func liveScores(_ leadIDs: [String], timeout: Duration) async -> Result<[LiveRecord?], StoreError> {
        .success(state.withLock { s in leadIDs.map { s.live.get($0) } })
    }

    public func appendEvents(leadID: String, events: [StoredEvent], timeout: Duration) async -> Result<EventLog, StoreError> {
        .success(
            state.withLock { s in
                var log = s.events.get(leadID) ?? [:]
                var inserted: [Bool] = []
                for event in events {
                    let new = log[event.id] == nil
                    if new { log[event.id] = event.json }
                    inserted.append(new)
                }
                if !events.isEmpty { s.events.set(leadID, log, ttl: limits.eventTTL) }
                return EventLog(inserted: inserted, events: log, input: s.live.get(leadID)?.input)
            })
    }

    public func dropEvents(leadID: String, ids: [String]) {
        state.withLock { s in
            guard var log = s.events.get(leadID) else { return }
            for id in ids { log[id] = nil }
            s.events.set(leadID, log, ttl: limits.eventTTL)
        }
    }

    public func watchLiveChanges(_ handler: @escaping @Sendable ([String]?) -> Void) {}

    public func lock(_ hash: String, ttl: Duration, timeout: Duration) async -> Bool { true }

    public func unlock(_ hash: String) {}

    public func erase(leadID: String, timeout: Duration) async -> Result<[String], StoreError> {
        .success(
            state.withLock { s in
                var removed: [String] = []
                if s.live.remove(leadID) != nil { removed.append("live:\(leadID)") }
                if s.events.remove(leadID) != nil { removed.append("lead:\(leadID):events") }
                for hash in (s.byLead.remove(leadID) ?? []).sorted() where s.adjustments.remove(hash) != nil {
                    removed.append("adj:v1:\(hash)")
                }
                return removed
            })
    }

    public var status: StoreStatus {
        StoreStatus(kind: kind, up: true, localEntries: state.withLock { $0.adjustments.count + $0.live.count })
    }

    public func shutdown() {}
}
