import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import Reranker
import Store

/// Routes for voice agents in a call: events that re-score a lead at once, and a stream of its
/// score changes.
extension Routes {
    /// `POST /v1/leads/{lead_id}/events`: stores the events (once per `event_id`), folds the lead's
    /// events into its fields, and answers the new model score; the LLM step runs in the background
    /// and lands in the live score.
    func events(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = context.parameters.get("lead_id") ?? ""
        let data = try await readJSON(request, limit: config.maxBatchBodyBytes)
        let now = ScoringService.nowMS()
        let batch = EventBatchInput(try Self.parse(data), nowMS: now, maxEvents: config.maxEventsPerRequest)
        switch await service.ingest(leadID: id, batch: batch, nowMS: now) {
        case .success(let json): return Self.json(json)
        case .failure(let problem): throw problem
        }
    }

    /// `POST /v1/leads/events`: `{"events": [{"lead_id", "event_id", "type", …}, …]}`, events of many
    /// leads at once (a tracking pipeline's batch); each lead is handled as its own events request.
    func bulkEvents(_ request: Request, context: GatewayContext) async throws -> Response {
        let data = try await readJSON(request, limit: config.maxBatchBodyBytes)
        let now = ScoringService.nowMS()
        let batch = EventBatchInput(try Self.parse(data), nowMS: now, maxEvents: config.maxBulkEvents, bulk: true)
        switch await service.ingestBulk(batch, nowMS: now) {
        case .success(let json): return streamed(json)
        case .failure(let problem): throw problem
        }
    }

    /// `GET /v1/leads/{lead_id}/score/stream`: Server-Sent Events. The current live score first (unless
    /// `Last-Event-ID` already names it), then an `event: score` for every change of score, badge or
    /// LLM status, each with `id:` = the score's store time; a comment every `live_scores.heartbeat_s`
    /// keeps proxies from closing it, and a shutdown ends it with `event: close`.
    func scoreStream(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = context.parameters.get("lead_id") ?? ""
        let issues = service.validate(leadID: id, notes: nil)
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        let limit = config.maxStreams
        let feed = service.feed
        guard feed.count < limit else { throw Self.tooManyStreams(limit) }
        let store = service.store
        let readTimeout = Duration.milliseconds(config.redisReadTimeoutMS)
        let lastEventID = request.headers[.lastEventID]
        let heartbeat = config.streamHeartbeatSeconds
        let metrics = self.metrics
        let lifecycle = self.lifecycle
        // Everything the stream holds is taken inside the body, so that it is released by the same
        // code however the stream ends (the client leaves, a shutdown, an error).
        let body = ResponseBody { writer in
            guard let subscription = feed.subscribe(id, limit: limit) else {
                try await writer.write(ByteBuffer(string: "event: close\ndata: {\"reason\":\"too many streams; retry\"}\n\n"))
                try await writer.finish(nil)
                return
            }
            lifecycle.bodyStarted()
            metrics.streamOpened(1)
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    subscription.continuation.yield(.tick)
                }
            }
            defer {
                ticker.cancel()
                feed.unsubscribe(id, id: subscription.id)
                metrics.streamOpened(-1)
                lifecycle.bodyFinished()
            }
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            var last: String?
            var lastStored: Int64 = 0
            func send(_ record: LiveRecord) async throws {
                // Changes read from Redis may arrive late: never step back to an older score.
                guard record.storedAtMS >= lastStored else { return }
                let key = Self.changeKey(record.json)
                guard key != last else { return }
                last = key
                lastStored = record.storedAtMS
                let data = liveJSON(record, refresh: false)
                try await writer.write(ByteBuffer(string: "event: score\nid: \(record.storedAtMS)\ndata: \(data)\n\n"))
                metrics.streamSent()
            }
            // Subscribed first, then read: a change in between is not missed.
            if let initial = try? await store.liveScore(id, timeout: readTimeout).get() {
                if lastEventID == String(initial.storedAtMS) {
                    last = Self.changeKey(initial.json)
                    lastStored = initial.storedAtMS
                } else {
                    try await send(initial)
                }
            } else {
                try await writer.write(ByteBuffer(string: ": no score yet; the first one will follow\n\n"))
            }
            var ticks = 0
            for await item in subscription.stream {
                if lifecycle.isDraining {
                    try await writer.write(ByteBuffer(string: "event: close\ndata: {\"reason\":\"shutting down; reconnect\"}\n\n"))
                    break
                }
                switch item {
                case .record(let record):
                    try await send(record)
                case .tick:
                    ticks += 1
                    if ticks % heartbeat == 0 { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .accelBuffering: "no"],
            body: body)
    }

    static func tooManyStreams(_ limit: Int) -> Problem {
        Problem(
            .serviceUnavailable, slug: "too-many-streams", title: "Too many score streams",
            detail: "This gateway already serves \(limit) streams (live_scores.max_streams). Retry, or poll GET /v1/leads/{id}/score.",
            headers: [.retryAfter: "5"])
    }

    /// What a stream compares to decide a score changed: score, badge and LLM status.
    static func changeKey(_ json: String) -> String {
        guard let node = try? JSONReader.parse(Data(json.utf8)) else { return json }
        let score = node["score"]?.number ?? -1
        return "\(Int(score))|\(node["badge"]?.string ?? "")|\(node["rerank"]?["status"]?.string ?? "")"
    }
}
