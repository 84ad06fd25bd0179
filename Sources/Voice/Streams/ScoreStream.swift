public import Pipeline
import Store

/// A lead's score as Server-Sent Events: the current live score first (unless `Last-Event-ID`
/// already names it), then an `event: score` for every change of score, badge or LLM status, each
/// with `id:` = the score's store time; a comment every `heartbeat` seconds keeps proxies from
/// closing it, and a shutdown ends it with `event: close`. Changes made on other gateways arrive
/// through the pipeline's feed (Redis pub/sub).
public struct ScoreStream: Sendable {
    public struct Settings: Sendable {
        /// Open streams this gateway serves at once (`live_scores.max_streams`).
        public var maxStreams: Int
        /// Seconds between keep-alive comments (`live_scores.heartbeat_s`).
        public var heartbeatSeconds: Int

        public init(maxStreams: Int = 10_000, heartbeatSeconds: Int = 15) {
            self.maxStreams = maxStreams
            self.heartbeatSeconds = heartbeatSeconds
        }
    }

    public let pipeline: ScoringPipeline
    public let settings: Settings
    let metrics: VoiceMetrics

    public init(pipeline: ScoringPipeline, settings: Settings, metrics: VoiceMetrics) {
        self.pipeline = pipeline
        self.settings = settings
        self.metrics = metrics
    }

    /// Whether another stream can be opened now.
    public var hasRoom: Bool { pipeline.feed.count < settings.maxStreams }

    /// Streams lead `leadID` until the client leaves (`write` throws) or `isDraining` turns true.
    /// Everything the stream holds is taken here and released however it ends.
    public func run(
        leadID: String, lastEventID: String?, isDraining: @escaping @Sendable () -> Bool, write: (String) async throws -> Void
    ) async throws {
        let feed = pipeline.feed
        guard let subscription = feed.subscribe(leadID, limit: settings.maxStreams) else {
            try await write("event: close\ndata: {\"reason\":\"too many streams; retry\"}\n\n")
            return
        }
        metrics.streamOpened()
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                subscription.continuation.yield(.tick)
            }
        }
        defer {
            ticker.cancel()
            feed.unsubscribe(leadID, id: subscription.id)
            metrics.streamClosed()
        }
        try await write("retry: 2000\n\n")
        var last: String?
        var lastStored: Int64 = 0
        func send(_ record: LiveRecord) async throws {
            // Changes read from Redis may arrive late: never step back to an older score.
            guard record.storedAtMS >= lastStored else { return }
            let key = Self.changeKey(record)
            guard key != last else { return }
            last = key
            lastStored = record.storedAtMS
            let data = pipeline.view(record, refresh: false).json
            try await write("event: score\nid: \(record.storedAtMS)\ndata: \(data)\n\n")
            metrics.streamSent()
        }
        // Subscribed first, then read: a change in between is not missed.
        if let initial = try? await pipeline.liveScore(leadID).get() {
            if lastEventID == String(initial.storedAtMS) {
                last = Self.changeKey(initial)
                lastStored = initial.storedAtMS
            } else {
                try await send(initial)
            }
        } else {
            try await write(": no score yet; the first one will follow\n\n")
        }
        var ticks = 0
        let heartbeat = max(1, settings.heartbeatSeconds)
        for await item in subscription.stream {
            if isDraining() {
                try await write("event: close\ndata: {\"reason\":\"shutting down; reconnect\"}\n\n")
                break
            }
            switch item {
            case .record(let record):
                try await send(record)
            case .tick:
                ticks += 1
                if ticks % heartbeat == 0 { try await write(": keep-alive\n\n") }
            }
        }
    }

    /// What a stream compares to decide a score changed: score, badge and LLM status.
    static func changeKey(_ record: LiveRecord) -> String {
        guard let s = record.summary else { return record.json }
        return "\(s.score)|\(s.badge)|\(s.status)"
    }
}
