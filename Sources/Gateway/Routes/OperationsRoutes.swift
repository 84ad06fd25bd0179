import Hummingbird
import JSON
import NIOCore
import Pipeline
import Records
import Scoring
import Store

/// Health, readiness, metrics and model reloads.
extension Routes {
    func readiness() -> Response {
        let snapshot = pipeline.registry.snapshot
        let store = pipeline.store.status
        var w = JSONWriter()
        w.beginObject()
        // A store that does not answer degrades the gateway (no cache, live scores from this process
        // only) but does not make it unready: every request still gets its score.
        let recordsDown = components.records.map { $0.recorder.stats.backend == .down || $0.recorder.stats.dropped > 0 } ?? false
        w.field("status", lifecycle.isDraining ? "draining" : (snapshot.isDegraded || !store.up || recordsDown) ? "degraded" : "ready")
        w.field("models", snapshot.models.count)
        w.field("default_model", "\(snapshot.primary.id)@\(snapshot.primary.version)")
        w.field("degraded", snapshot.isDegraded)
        w.key("store")
        w.beginObject()
        w.field("kind", store.kind)
        w.field("up", store.up)
        if let detail = store.detail { w.field("detail", detail) }
        w.field("seconds_in_state", store.secondsInState, digits: 1)
        w.endObject()
        writeRecordsState(&w)
        w.key("llm_guard")
        w.beginArray()
        for state in pipeline.guardRail.snapshot { GuardEncoder.state(&w, state) }
        w.endArray()
        w.key("drift")
        if let drift {
            w.beginArray()
            for report in drift.reports { DriftEncoder.report(&w, report, settings: drift.settings) }
            w.endArray()
        } else {
            w.null()
        }
        w.endObject()
        return JSONBody.response(w.text, status: lifecycle.isDraining ? .serviceUnavailable : .ok)
    }

    /// `"records": {"backend", "location", "up", "schema", "queue_depth", "journal_bytes", ...}`, or
    /// null with `records: off`. Records that cannot reach the database degrade the gateway (they
    /// wait in the journal); dropped records keep it degraded until restart, so they are seen.
    func writeRecordsState(_ w: inout JSONWriter) {
        w.key("records")
        guard let records = components.records else {
            w.null()
            return
        }
        let stats = records.recorder.stats
        w.beginObject()
        w.field("backend", records.backend)
        w.field("location", records.location)
        w.field("state", stats.backend.rawValue)
        switch records.migrationState {
        case .pending: w.field("schema", "pending")
        case .done: w.field("schema", "ready")
        case .failed(let error):
            w.field("schema", "pending")
            w.field("schema_error", error)
        }
        w.field("queue_depth", stats.queueDepth)
        w.field("queue_capacity", stats.queueCapacity)
        w.field("recorded", stats.recorded)
        w.field("written", stats.written)
        w.field("journal_bytes", stats.journalBytes)
        w.field("journal_records", stats.journalRecords)
        w.field("replayed", stats.replayed)
        w.field("dropped", stats.dropped)
        w.field("rejected", stats.droppedRejected)
        if let error = stats.lastError, stats.backend == .down { w.field("last_error", error) }
        w.endObject()
    }

    /// `GET /metrics`: the components' state sampled, then every metric in the Prometheus text format.
    func metricsText() -> Response {
        metrics.sample(pipeline)
        if let records = components.records { components.recordsMetrics.sample(records.recorder.stats) }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: exporter.render())))
    }

    func reloadModels() throws -> Response {
        switch reload() {
        case .success(let snapshot):
            var w = JSONWriter()
            w.beginObject()
            w.field("status", snapshot.problems.isEmpty ? "reloaded" : "reloaded_with_problems")
            w.field("generation", snapshot.generation)
            w.key("models")
            w.beginArray()
            for model in snapshot.models { w.string("\(model.id)@\(model.version)") }
            w.endArray()
            w.key("problems")
            w.beginArray()
            for problem in snapshot.problems { w.string(problem.description) }
            w.endArray()
            w.endObject()
            return JSONBody.response(w.text)
        case .failure(let error):
            throw Problem(
                .conflict, slug: "reload-failed", title: "Models not reloaded", detail: "The previous models keep serving. \(error.description)")
        }
    }
}
