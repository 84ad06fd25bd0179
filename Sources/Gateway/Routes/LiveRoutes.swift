import Foundation
import Hummingbird
import JSON
import Logging
import Pipeline
import Records
import Store

/// Live scores: what voice agents read mid-call (never waiting on the LLM), and erasure.
extension Routes {
    /// The lead's live score: the stored response with `as_of` (when it was scored), `age_s` and
    /// `stale` (older than `live_scores.stale_after_s`) in front, an `ETag`, and 304 for a matching
    /// `If-None-Match`, so an agent polling mid-call gets an empty answer until the score changes.
    func liveScore(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try leadID(context)
        switch await pipeline.liveScore(id) {
        case .success(let record?):
            if let match = request.headers[.ifNoneMatch] {
                let etag = LiveView.etag(of: record)
                let matches = match.split(separator: ",").contains {
                    let t = $0.trimmingCharacters(in: .whitespaces)
                    return t == etag || t == "W/" + etag || t == "*"
                }
                if matches {
                    // Unchanged for this caller, but a stale score still starts its refresh.
                    if pipeline.isOld(record) { pipeline.refreshInBackground(record) }
                    return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: "no-cache"])
                }
            }
            let view = pipeline.view(record, refresh: true)
            var response = JSONBody.response(view.json)
            response.headers[.eTag] = view.etag
            response.headers[.cacheControl] = "no-cache"
            return response
        case .success(nil):
            throw Problem(
                .notFound, slug: "no-live-score", title: "No score for this lead",
                detail:
                    "Lead `\(id)` has no live score (never scored, expired after live_scores.ttl_s, or erased). Score it with POST /v1/leads/score.")
        case .failure(let error):
            throw Problem.storeUnavailable(error, doing: "read the live score")
        }
    }

    /// `DELETE /v1/leads/{lead_id}`: erases the lead's decisions, scores and outcomes from the
    /// records (or pseudonymises them, `privacy.erase`; an audit entry says what and by whom), and
    /// every key the store holds for it (GDPR/CCPA).
    func erase(context: GatewayContext) async throws -> Response {
        let id = try leadID(context)
        let erased = try await eraseRecords(id, actor: context.principal?.subject ?? "anonymous")
        let store = pipeline.store
        switch await store.erase(leadID: id, timeout: max(pipeline.settings.readTimeout, .seconds(1))) {
        case .success(let removed):
            var w = JSONWriter()
            w.beginObject()
            w.field("lead_id", id)
            w.field("store", store.kind)
            w.key("removed")
            w.beginArray()
            for key in removed { w.string(key) }
            w.endArray()
            w.field("count", removed.count)
            w.key("records")
            if let (mode, counts) = erased {
                w.beginObject()
                w.field("mode", mode.rawValue)
                w.field("decisions", counts.decisions)
                w.field("lead_scores", counts.leadScores)
                w.field("outcomes", counts.outcomes)
                w.endObject()
            } else {
                w.null()
            }
            w.endObject()
            context.logger.notice("lead erased", metadata: ["lead_id": .string(id), "keys": .stringConvertible(removed.count)])
            return JSONBody.response(w.text)
        case .failure(let error):
            throw Problem.storeUnavailable(
                error, doing: erased == nil ? "erase the lead (nothing is known to be erased)" : "erase the lead's keys (its records were erased)")
        }
    }

    /// The path's lead id, checked as a request body's is (422 `invalid-lead` naming `lead_id`).
    func leadID(_ context: GatewayContext) throws -> String {
        let id = pathLeadID(context)
        let issues = pipeline.evaluator.validate(leadID: id, notes: nil)
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        return id
    }

    /// The path's lead id, percent-decoded (a CRM id may hold any character but `/`, `?` and `#`).
    func pathLeadID(_ context: GatewayContext) -> String {
        let raw = context.parameters.get("lead_id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
