import Foundation
import Synchronization

/// The store in Redis, shared by every gateway that names the same Redis and key prefix.
///
/// Keys (prefix `leadgate:` by default):
/// - `<prefix>adj:v1:<sha256>`: an accepted LLM answer (JSON), with the adjustment TTL;
/// - `<prefix>live:<lead_id>`: a hash with `response` (the JSON last answered for the lead),
///   `stored_at_ms` and `input` (the lead as scored, to score it again), with the live TTL;
/// - `<prefix>lead:<lead_id>:adj`: the set of answer hashes the lead produced (for erasure);
/// - `<prefix>lock:adj:<sha256>`: a short lock (SET NX PX) held by the gateway asking the LLM;
/// - channel `<prefix>live:changed`: the ids of leads whose live score was stored, for score streams;
/// - `<prefix>lead:<lead_id>:events`: a hash of the lead's events (event id → JSON), with the event TTL
///   from the last event; `HSETNX` makes a retried event a no-op.
///
/// Three in-process copies (bounded LRUs) sit in front of Redis:
/// - live scores this gateway read, while Redis reports every change of a live key to it
///   (`CLIENT TRACKING on REDIRECT <own id> BCAST PREFIX <prefix>live:` on the subscriber's
///   connection): a change, expiry or erasure on any gateway drops the copy within a message's time,
///   and a lost subscription drops them all; `nearLiveTTL` bounds them besides;
/// - cached answers this gateway read or wrote, for `localAdjustmentTTL` (60 s by default): a
///   repeated lead costs no round trip. Answers never change under a key (the key hashes every
///   input), so a copy is never stale; an erasure elsewhere purges it when Redis reports the deleted
///   key (tracking of `<prefix>adj:`; a read racing with the erasure keeps it until it expires);
/// - live scores this gateway wrote, for `localLiveTTL`, served only while Redis cannot answer.
public final class RedisScoreStore: ScoreStore {
    public let pool: RedisPool
    public let prefix: String
    public let limits: StoreLimits
    /// How long a write may wait in the pool's queue before it is dropped.
    public let writeTimeout: Duration
    private let local: Mutex<LRUCache<LiveRecord>>
    private let nearAnswers: Mutex<LRUCache<String>>
    private let token = UUID().uuidString
    private let subscriber = Mutex<RedisSubscriber?>(nil)
    /// Live scores read from Redis, served without a round trip while Redis reports every change of
    /// a live key to this gateway (client-side caching with `CLIENT TRACKING … BCAST`).
    private let near: Mutex<NearLive>
    private let nearEnabled = Atomic<Bool>(false)
    /// Whether the change subscription has been up once (a later subscription is a comeback).
    private let subscribedBefore = Atomic<Bool>(false)
    private let readsNear = Atomic<Int>(0)
    private let readsRedis = Atomic<Int>(0)
    private let readsLocal = Atomic<Int>(0)

    struct NearLive {
        static let stripes = 4096
        var cache: LRUCache<LiveRecord>
        /// Changes seen per stripe of lead ids: a read that saw a change of its stripe while it was
        /// in flight does not keep its (possibly older) answer.
        var generations = [UInt32](repeating: 0, count: stripes)

        static func stripe(_ leadID: String) -> Int {
            var hash: UInt32 = 2_166_136_261
            for byte in leadID.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
            return Int(hash % UInt32(stripes))
        }

        mutating func invalidate(_ leadID: String) {
            _ = cache.remove(leadID)
            generations[Self.stripe(leadID)] &+= 1
        }

        mutating func invalidateAll() {
            cache = LRUCache(capacity: cache.capacity)
            for i in generations.indices { generations[i] &+= 1 }
        }
    }

    public init(pool: RedisPool, prefix: String = "leadgate:", limits: StoreLimits = StoreLimits(), writeTimeout: Duration = .seconds(2)) {
        self.pool = pool
        self.prefix = prefix
        self.limits = limits
        self.writeTimeout = writeTimeout
        local = Mutex(LRUCache(capacity: limits.maxLiveScores))
        nearAnswers = Mutex(LRUCache(capacity: limits.maxAdjustments))
        near = Mutex(NearLive(cache: LRUCache(capacity: limits.maxLiveScores)))
    }

    public var kind: String { "redis" }

    func adjustmentKey(_ hash: String) -> String { "\(prefix)adj:v1:\(hash)" }
    func liveKey(_ leadID: String) -> String { "\(prefix)live:\(leadID)" }
    func leadIndexKey(_ leadID: String) -> String { "\(prefix)lead:\(leadID):adj" }
    func lockKey(_ hash: String) -> String { "\(prefix)lock:adj:\(hash)" }
    func eventsKey(_ leadID: String) -> String { "\(prefix)lead:\(leadID):events" }
    /// The pub/sub channel of live-score changes: each message is lead ids, one per line.
    public var changesChannel: String { "\(prefix)live:changed" }

    public func watchLiveChanges(_ handler: @escaping @Sendable ([String]?) -> Void) {
        let changes = changesChannel
        let livePrefix = liveKey("")
        let useNear = limits.nearLiveTTL > .zero
        let keepAnswers = limits.localAdjustmentTTL > .zero
        let answerPrefix = adjustmentKey("")
        let made = RedisSubscriber(
            endpoint: pool.endpoint, channels: [changes],
            // Live keys for the near copy of live scores; answer keys so that an erasure anywhere
            // purges this gateway's near copy of the lead's answers at once.
            trackingPrefixes: (useNear ? [livePrefix] : []) + (keepAnswers ? [answerPrefix] : []),
            onState: { [weak self] subscribed, tracking in
                guard let self else { return }
                // Changes may have been missed while disconnected: start the near copy afresh, and
                // have the watchers read again what they watch.
                self.near.withLock { $0.invalidateAll() }
                self.nearEnabled.store(subscribed && tracking, ordering: .relaxed)
                if subscribed, self.subscribedBefore.exchange(true, ordering: .relaxed) { handler(nil) }
            },
            handler: { [weak self] channel, payload in
                if channel == changes {
                    if let text = payload.text { handler(text.split(separator: "\n").map(String.init)) }
                    return
                }
                guard let self else { return }
                // `__redis__:invalidate`: the live keys that changed (null: everything was flushed).
                guard case .array(let keys) = payload else {
                    self.near.withLock { $0.invalidateAll() }
                    return
                }
                var answers: [String] = []
                self.near.withLock { near in
                    for key in keys {
                        guard let text = key.text else { continue }
                        if text.hasPrefix(livePrefix) {
                            near.invalidate(String(text.dropFirst(livePrefix.count)))
                        } else if text.hasPrefix(answerPrefix) {
                            answers.append(String(text.dropFirst(answerPrefix.count)))
                        }
                    }
                }
                // Answers never change under a key: a message for one means it expired or was erased.
                if !answers.isEmpty { self.nearAnswers.withLock { near in for hash in answers { _ = near.remove(hash) } } }
            })
        let previous = subscriber.withLock { s -> RedisSubscriber? in
            defer { s = made }
            return s
        }
        previous?.stop()
        made.start()
    }

    /// Whether this store's change subscription is active.
    public var watching: Bool { subscriber.withLock { $0?.isSubscribed ?? false } }

    private static func seconds(_ d: Duration) -> String { String(max(1, d.components.seconds)) }

    private static func milliseconds(_ d: Duration) -> String {
        String(max(1, d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000))
    }

    public func adjustments(_ hashes: [String], timeout: Duration) async -> Result<[String?], StoreError> {
        guard !hashes.isEmpty else { return .success([]) }
        let keepLocal = limits.localAdjustmentTTL > .zero
        var values = [String?](repeating: nil, count: hashes.count)
        var missing: [Int] = []
        if keepLocal {
            nearAnswers.withLock { near in
                for (i, hash) in hashes.enumerated() {
                    if let value = near.get(hash) { values[i] = value } else { missing.append(i) }
                }
            }
        } else {
            missing = Array(hashes.indices)
        }
        guard !missing.isEmpty else { return .success(values) }
        let keys = missing.map { adjustmentKey(hashes[$0]) }
        do {
            let reply = try await pool.run(timeout: timeout) { connection throws(StoreError) in
                try connection.command(["MGET"] + keys)
            }
            guard case .array(let found) = reply, found.count == keys.count else {
                return .failure(StoreError(.reply, "MGET answered \(reply)"))
            }
            for (n, i) in missing.enumerated() { values[i] = found[n].text }
            if keepLocal {
                nearAnswers.withLock { near in
                    for i in missing { if let value = values[i] { near.set(hashes[i], value, ttl: limits.localAdjustmentTTL) } }
                }
            }
            return .success(values)
        } catch {
            return .failure(error)
        }
    }

    public func saveAdjustment(hash: String, payload: String?, leadID: String) {
        let key = adjustmentKey(hash)
        let index = leadIndexKey(leadID)
        let ttl = Self.seconds(limits.adjustmentTTL)
        var commands = [["SADD", index, hash], ["EXPIRE", index, ttl]]
        if let payload {
            commands.insert(["SET", key, payload, "EX", ttl], at: 0)
            if limits.localAdjustmentTTL > .zero { nearAnswers.withLock { $0.set(hash, payload, ttl: limits.localAdjustmentTTL) } }
        }
        let pipeline = commands
        pool.submit(timeout: writeTimeout) { connection throws(StoreError) in _ = try connection.pipeline(pipeline) }
    }

    public func saveLiveScores(_ records: [LiveRecord]) {
        guard !records.isEmpty else { return }
        local.withLock { cache in
            guard limits.localLiveTTL > .zero else { return }
            for record in records { cache.set(record.leadID, record, ttl: min(limits.liveTTL, limits.localLiveTTL)) }
        }
        let ttl = Self.seconds(limits.liveTTL)
        var commands: [[String]] = []
        commands.reserveCapacity(records.count * 2)
        for record in records {
            let key = liveKey(record.leadID)
            var hset = ["HSET", key, "response", record.json, "stored_at_ms", String(record.storedAtMS)]
            if let input = record.input { hset += ["input", input] }
            if let summary = record.summary {
                hset += ["score", String(summary.score), "badge", summary.badge, "status", summary.status, "speakable", summary.speakable]
            }
            commands.append(hset)
            commands.append(["EXPIRE", key, ttl])
        }
        // Score streams on every gateway learn which leads changed (ids only, one message).
        commands.append(["PUBLISH", changesChannel, records.map(\.leadID).joined(separator: "\n")])
        let pipeline = commands
        pool.submit(timeout: writeTimeout) { connection throws(StoreError) in _ = try connection.pipeline(pipeline) }
    }

    public func liveScore(_ leadID: String, timeout: Duration) async -> Result<LiveRecord?, StoreError> {
        let key = liveKey(leadID)
        let useNear = nearEnabled.load(ordering: .relaxed)
        var generation: UInt32 = 0
        if useNear {
            let stripe = NearLive.stripe(leadID)
            let hit = near.withLock { near -> LiveRecord? in
                generation = near.generations[stripe]
                return near.cache.get(leadID)
            }
            if let hit {
                readsNear.add(1, ordering: .relaxed)
                return .success(hit)
            }
        }
        do {
            let reply = try await pool.run(timeout: timeout) { connection throws(StoreError) in
                try connection.command(["HMGET", key] + Self.liveFields)
            }
            guard case .array(let fields) = reply, fields.count == Self.liveFields.count else {
                return .failure(StoreError(.reply, "HMGET answered \(reply)"))
            }
            guard let record = Self.liveRecord(leadID, fields) else { return .success(nil) }
            readsRedis.add(1, ordering: .relaxed)
            if useNear {
                let ttl = limits.nearLiveTTL
                near.withLock { near in
                    if near.generations[NearLive.stripe(leadID)] == generation { near.cache.set(leadID, record, ttl: ttl) }
                }
            }
            return .success(record)
        } catch {
            // Redis cannot answer: serve what this gateway scored itself, if anything.
            if let record = local.withLock({ $0.get(leadID) }) {
                readsLocal.add(1, ordering: .relaxed)
                return .success(record)
            }
            return .failure(error)
        }
    }

    public func liveScores(_ leadIDs: [String], timeout: Duration) async -> Result<[LiveRecord?], StoreError> {
        guard !leadIDs.isEmpty else { return .success([]) }
        let commands = leadIDs.map { ["HMGET", liveKey($0)] + Self.liveFields }
        do {
            let replies = try await pool.run(timeout: timeout) { connection throws(StoreError) in try connection.pipeline(commands) }
            guard replies.count == leadIDs.count else { return .failure(StoreError(.reply, "HMGET pipeline answered \(replies.count) replies")) }
            return .success(
                zip(leadIDs, replies).map { leadID, reply in
                    guard case .array(let fields) = reply, fields.count == Self.liveFields.count else { return nil }
                    return Self.liveRecord(leadID, fields)
                })
        } catch {
            return .failure(error)
        }
    }

    /// The fields of a live-score hash, in the order `liveRecord` reads them.
    static let liveFields = ["response", "stored_at_ms", "input", "score", "badge", "status", "speakable"]

    /// A live record from the values of ``liveFields``; nil when there is no response.
    static func liveRecord(_ leadID: String, _ fields: [RedisValue]) -> LiveRecord? {
        guard let json = fields[0].text else { return nil }
        var summary: LiveSummary?
        if let score = fields[3].text.flatMap({ Int($0) }), let badge = fields[4].text, let status = fields[5].text {
            summary = LiveSummary(score: score, badge: badge, status: status, speakable: fields[6].text ?? "")
        }
        return LiveRecord(leadID: leadID, json: json, storedAtMS: fields[1].text.flatMap { Int64($0) } ?? 0, input: fields[2].text, summary: summary)
    }

    public func appendEvents(leadID: String, events: [StoredEvent], timeout: Duration) async -> Result<EventLog, StoreError> {
        let key = eventsKey(leadID)
        var commands = events.map { ["HSETNX", key, $0.id, $0.json] }
        commands.append(["HGETALL", key])
        commands.append(["HGET", liveKey(leadID), "input"])
        if !events.isEmpty { commands.append(["EXPIRE", key, Self.seconds(limits.eventTTL)]) }
        let pipeline = commands
        do {
            let replies = try await pool.run(timeout: timeout) { connection throws(StoreError) in try connection.pipeline(pipeline) }
            guard replies.count == pipeline.count, case .array(let flat) = replies[events.count] else {
                return .failure(StoreError(.reply, "the event pipeline answered \(replies)"))
            }
            var stored: [String: String] = [:]
            stored.reserveCapacity(flat.count / 2)
            var i = 0
            while i + 1 < flat.count {
                if let id = flat[i].text, let json = flat[i + 1].text { stored[id] = json }
                i += 2
            }
            let inserted = replies.prefix(events.count).map { $0 == .integer(1) }
            return .success(EventLog(inserted: inserted, events: stored, input: replies[events.count + 1].text))
        } catch {
            return .failure(error)
        }
    }

    public func dropEvents(leadID: String, ids: [String]) {
        guard !ids.isEmpty else { return }
        let command = ["HDEL", eventsKey(leadID)] + ids
        pool.submit(timeout: writeTimeout) { connection throws(StoreError) in _ = try connection.command(command) }
    }

    public func lock(_ hash: String, ttl: Duration, timeout: Duration) async -> Bool {
        let key = lockKey(hash)
        let token = self.token
        let ms = Self.milliseconds(ttl)
        do {
            let reply = try await pool.run(timeout: timeout) { connection throws(StoreError) in
                try connection.command(["SET", key, token, "NX", "PX", ms])
            }
            return reply != .null
        } catch {
            return true  // no Redis, no other gateway to wait for
        }
    }

    public func unlock(_ hash: String) {
        let key = lockKey(hash)
        let token = self.token
        // Only the holder's token releases it (a lock that expired and was retaken stays).
        pool.submit(timeout: writeTimeout) { connection throws(StoreError) in
            _ = try connection.command([
                "EVAL", "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end", "1", key, token,
            ])
        }
    }

    public func erase(leadID: String, timeout: Duration) async -> Result<[String], StoreError> {
        local.withLock { _ = $0.remove(leadID) }
        near.withLock { $0.invalidate(leadID) }
        let live = liveKey(leadID)
        let index = leadIndexKey(leadID)
        let events = eventsKey(leadID)
        let prefix = self.prefix
        do {
            let (removed, hashes) = try await pool.run(timeout: timeout) { connection throws(StoreError) -> ([String], [String]) in
                let members = try connection.command(["SMEMBERS", index])
                var hashes: [String] = []
                if case .array(let values) = members { hashes = values.compactMap { $0.text }.sorted() }
                let candidates = [live, events] + hashes.map { "\(prefix)adj:v1:\($0)" } + [index]
                let replies = try connection.pipeline(candidates.map { ["DEL", $0] })
                return (zip(candidates, replies).compactMap { key, reply in reply == .integer(1) ? key : nil }, hashes)
            }
            nearAnswers.withLock { near in for hash in hashes { _ = near.remove(hash) } }
            return .success(removed)
        } catch {
            return .failure(error)
        }
    }

    public var status: StoreStatus {
        let health = pool.health
        var status = StoreStatus(
            kind: kind, up: health.up, detail: health.up ? nil : health.lastError, secondsInState: (ContinuousClock.now - health.since).secondsDouble,
            failures: health.failures, timeouts: health.timeouts, dropped: health.dropped, connections: health.connected,
            localEntries: local.withLock { $0.count })
        status.liveReadsNear = readsNear.load(ordering: .relaxed)
        status.liveReadsRedis = readsRedis.load(ordering: .relaxed)
        status.liveReadsLocal = readsLocal.load(ordering: .relaxed)
        status.tracking = nearEnabled.load(ordering: .relaxed)
        return status
    }

    public func shutdown() {
        subscriber.withLock { $0?.stop() }
        pool.shutdown()
    }
}

extension Duration {
    var secondsDouble: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
