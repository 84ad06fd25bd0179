/// Where LeadGate keeps what outlives a request: accepted LLM answers (a cache keyed by the SHA-256
/// of everything that can change the answer), each lead's live score, and short locks that let
/// several gateways share one LLM call. ``RedisScoreStore`` shares it between gateways;
/// ``MemoryScoreStore`` keeps it in the process when there is no Redis.
///
/// Reads take a timeout and report failures; writes never make the caller wait.
public protocol ScoreStore: Sendable {
    /// `redis` or `memory`.
    var kind: String { get }

    /// The cached answers for `hashes` (nil where there is none), in one round trip.
    func adjustments(_ hashes: [String], timeout: Duration) async -> Result<[String?], StoreError>

    /// Caches an accepted answer under `hash` for the configured TTL (nil: only the next part), and
    /// remembers that `leadID` produced or used it, so erasing the lead removes it.
    func saveAdjustment(hash: String, payload: String?, leadID: String)

    /// Stores the latest response of each lead (one round trip for a batch).
    func saveLiveScores(_ records: [LiveRecord])

    /// The lead's latest response; nil when there is none.
    func liveScore(_ leadID: String, timeout: Duration) async -> Result<LiveRecord?, StoreError>

    /// The latest responses of several leads (nil where there is none), in one round trip.
    func liveScores(_ leadIDs: [String], timeout: Duration) async -> Result<[LiveRecord?], StoreError>

    /// Adds `events` to the lead's event log unless their ids are already there, and returns every
    /// stored event with the input of the lead's live score, in one round trip. With no events it
    /// only reads.
    func appendEvents(leadID: String, events: [StoredEvent], timeout: Duration) async -> Result<EventLog, StoreError>

    /// Removes events from the lead's log (expired, or beyond the per-lead cap).
    func dropEvents(leadID: String, ids: [String])

    /// Calls `handler` with the ids of leads whose live score another gateway (or this one) stored,
    /// so that score streams open here see changes made anywhere; with nil when changes may have been
    /// missed (the subscription came back after a break), so the caller reads again what it watches.
    /// The memory store has no other gateways and never calls it.
    func watchLiveChanges(_ handler: @escaping @Sendable ([String]?) -> Void)

    /// Takes the cross-gateway lock of an LLM call for `ttl`; true when this caller holds it (or
    /// when no other gateway can hold it: the memory store, or Redis unreachable).
    func lock(_ hash: String, ttl: Duration, timeout: Duration) async -> Bool

    func unlock(_ hash: String)

    /// Removes every key of the lead and returns their names.
    func erase(leadID: String, timeout: Duration) async -> Result<[String], StoreError>

    var status: StoreStatus { get }

    func shutdown()
}

/// A lead's latest response, as the JSON the gateway answered, when it was stored, and the few
/// values readers act on without reading the JSON (streams compare them, webhooks name the badge
/// that changed, voice platforms say the sentence).
public struct LiveRecord: Sendable, Equatable {
    public var leadID: String
    public var json: String
    /// Milliseconds since 1970.
    public var storedAtMS: Int64
    /// The lead as it was scored (`{"lead_id", "features", "notes"}`), to score it again.
    public var input: String?
    public var summary: LiveSummary?

    public init(leadID: String, json: String, storedAtMS: Int64, input: String? = nil, summary: LiveSummary? = nil) {
        self.leadID = leadID
        self.json = json
        self.storedAtMS = storedAtMS
        self.input = input
        self.summary = summary
    }
}

/// The values of a live score that readers act on: the final score, the badge, the LLM step's
/// status (`pending` until its answer lands) and the sentence for a voice agent.
public struct LiveSummary: Sendable, Equatable {
    public var score: Int
    public var badge: String
    public var status: String
    public var speakable: String

    public init(score: Int, badge: String, status: String, speakable: String) {
        self.score = score
        self.badge = badge
        self.status = status
        self.speakable = speakable
    }
}

/// One event as the store keeps it: the sender's id and the event as JSON.
public struct StoredEvent: Sendable, Equatable {
    public var id: String
    public var json: String

    public init(id: String, json: String) {
        self.id = id
        self.json = json
    }
}

/// A lead's event log after an append.
public struct EventLog: Sendable, Equatable {
    /// For each appended event, whether it was new (false: an event with its id was already stored).
    public var inserted: [Bool]
    /// Every stored event of the lead, new ones included: id → JSON.
    public var events: [String: String]
    /// The `input` of the lead's live score, when it has one.
    public var input: String?

    public init(inserted: [Bool], events: [String: String], input: String?) {
        self.inserted = inserted
        self.events = events
        self.input = input
    }
}

/// What `/readyz` and `/metrics` say about the store.
public struct StoreStatus: Sendable {
    public var kind: String
    public var up: Bool
    /// Why it is down (the last error), when it is.
    public var detail: String?
    /// Seconds since `up` last changed.
    public var secondsInState: Double
    public var failures: Int
    public var timeouts: Int
    public var dropped: Int
    public var connections: Int
    /// Entries held in the process (memory store, or the Redis store's local copy of live scores).
    public var localEntries: Int
    /// Live-score reads served by the near copy (no round trip), by Redis, and by the copy of the
    /// scores this gateway wrote while Redis was down (Redis store only).
    public var liveReadsNear = 0
    public var liveReadsRedis = 0
    public var liveReadsLocal = 0
    /// Whether Redis reports changes of live keys to this gateway (the near copy is in use).
    public var tracking = false

    public init(
        kind: String, up: Bool, detail: String? = nil, secondsInState: Double = 0, failures: Int = 0, timeouts: Int = 0, dropped: Int = 0,
        connections: Int = 0, localEntries: Int = 0
    ) {
        self.kind = kind
        self.up = up
        self.detail = detail
        self.secondsInState = secondsInState
        self.failures = failures
        self.timeouts = timeouts
        self.dropped = dropped
        self.connections = connections
        self.localEntries = localEntries
    }
}

/// How long store entries live and how many the process keeps.
public struct StoreLimits: Sendable {
    public var adjustmentTTL: Duration
    public var liveTTL: Duration
    /// In-process entries: cached answers (memory store) and live scores (both stores).
    public var maxAdjustments: Int
    public var maxLiveScores: Int
    /// With Redis: how long a gateway keeps its own copy of a cached answer it read or wrote (0 = no
    /// copy), so a repeated lead costs no round trip; an erasure on another gateway reaches it
    /// within this time.
    public var localAdjustmentTTL: Duration
    /// With Redis: how long a gateway keeps its own copy of the live scores it wrote, served only
    /// while Redis does not answer.
    public var localLiveTTL: Duration
    /// How long a lead's event log lives after its last event.
    public var eventTTL: Duration = .seconds(90 * 86_400)
    /// With Redis: how long a gateway keeps a live score it read, served without a round trip while
    /// Redis reports every change of live keys to it (0 = always ask Redis).
    public var nearLiveTTL: Duration = .seconds(30)

    public init(
        adjustmentTTL: Duration = .seconds(86_400), liveTTL: Duration = .seconds(7 * 86_400), maxAdjustments: Int = 100_000,
        maxLiveScores: Int = 100_000, localAdjustmentTTL: Duration = .seconds(60), localLiveTTL: Duration = .seconds(600)
    ) {
        self.adjustmentTTL = adjustmentTTL
        self.liveTTL = liveTTL
        self.maxAdjustments = max(1, maxAdjustments)
        self.maxLiveScores = max(1, maxLiveScores)
        self.localAdjustmentTTL = localAdjustmentTTL
        self.localLiveTTL = localLiveTTL
    }
}
