import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import Pipeline
import Voice

/// Routes for voice agents in a call: events that re-score a lead at once, and a stream of its
/// score changes.
extension Routes {
    /// `POST /v1/leads/{lead_id}/events`: stores the events (once per `event_id`), folds the lead's
    /// events into its fields, and answers the new model score; the LLM step runs in the background
    /// and lands in the live score.
    func events(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = pathLeadID(context)
        let node = try await JSONBody.node(request, limit: config.maxBatchBodyBytes)
        let now = Timestamp.nowMS()
        let batch = EventBatchInput(node, nowMS: now, maxEvents: config.maxEventsPerRequest)
        let result = try await components.events.ingest(leadID: id, batch: batch, nowMS: now, context: decision(.event, context)).get()
        return JSONBody.response(EventsEncoder.encode(result))
    }

    /// `POST /v1/leads/events`: `{"events": [{"lead_id", "event_id", "type", …}, …]}`, events of many
    /// leads at once (a tracking pipeline's batch); each lead is handled as its own events request.
    func bulkEvents(_ request: Request, context: GatewayContext) async throws -> Response {
        let node = try await JSONBody.node(request, limit: config.maxBatchBodyBytes)
        let now = Timestamp.nowMS()
        let batch = EventBatchInput(node, nowMS: now, maxEvents: config.maxBulkEvents, bulk: true)
        let result = try await components.events.ingestBulk(batch, nowMS: now, context: decision(.event, context)).get()
        return JSONBody.streamed(EventsEncoder.encode(result), lifecycle: lifecycle)
    }

    /// `GET /v1/leads/{lead_id}/score/stream`: Server-Sent Events of the lead's score (``ScoreStream``).
    func scoreStream(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try leadID(context)
        let streams = components.streams
        guard streams.hasRoom else { throw Self.tooManyStreams(streams.settings.maxStreams) }
        let lastEventID = request.headers[.lastEventID]
        let lifecycle = self.lifecycle
        let body = ResponseBody { writer in
            lifecycle.bodyStarted()
            defer { lifecycle.bodyFinished() }
            try await streams.run(leadID: id, lastEventID: lastEventID, isDraining: { lifecycle.isDraining }) { text in
                try await writer.write(ByteBuffer(string: text))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .accelBuffering: "no"], body: body)
    }

    static func tooManyStreams(_ limit: Int) -> Problem {
        Problem(
            .serviceUnavailable, slug: "too-many-streams", title: "Too many score streams",
            detail: "This gateway already serves \(limit) streams (live_scores.max_streams). Retry, or poll GET /v1/leads/{id}/score.",
            headers: [.retryAfter: "5"])
    }
}
