import Hummingbird
import JSON
import NIOCore
import Pipeline
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
        w.field("status", lifecycle.isDraining ? "draining" : (snapshot.isDegraded || !store.up) ? "degraded" : "ready")
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
        w.endObject()
        return JSONBody.response(w.text, status: lifecycle.isDraining ? .serviceUnavailable : .ok)
    }

    /// `GET /metrics`: the components' state sampled, then every metric in the Prometheus text format.
    func metricsText() -> Response {
        metrics.sample(pipeline)
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
