import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging
import Reranker
import Scoring
import Store
import Synchronization
import TreeEnsemble

/// The HTTP routes. Handlers stay thin: read and limit the body, decode, call ``ScoringService``.
struct Routes: Sendable {
    let config: GatewayConfig
    let service: ScoringService
    let metrics: GatewayMetrics
    let authenticator: Authenticator
    let lifecycle: Lifecycle
    let reload: @Sendable () -> Result<ModelRegistry.Snapshot, ConfigurationError>

    func register(on router: Router<GatewayContext>) {
        router.get("/healthz") { _, _ in Self.json(#"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in readiness() }
        router.get("/metrics") { _, _ in
            let text = metrics.render(
                snapshot: service.registry.snapshot, store: service.store, reranker: service.reranker, prompts: service.prompts,
                webhooks: service.webhooks)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/openapi.json") { _, _ in Self.json(OpenAPIDocument.json) }

        let write = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .writeLeads))
        write.post("/v1/leads/score") { request, context in try await scoreOne(request, context: context) }
        write.post("/v1/leads/batch-score") { request, context in try await scoreBatch(request, context: context) }

        let read = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .readLeads))
        read.get("/v1/leads/{lead_id}/score") { request, context in try await liveScore(request, context: context) }
        write.delete("/v1/leads/{lead_id}") { _, context in try await erase(context: context) }
        write.post("/v1/leads/{lead_id}/prewarm") { request, context in try await prewarm(request, context: context) }
        write.post("/v1/leads/prewarm") { request, context in try await prewarmBatch(request, context: context) }
        write.post("/v1/leads/{lead_id}/events") { request, context in try await events(request, context: context) }
        write.post("/v1/leads/events") { request, context in try await bulkEvents(request, context: context) }
        read.get("/v1/leads/{lead_id}/score/stream") { request, context in try await scoreStream(request, context: context) }
        read.get("/v1/models") { _, _ in Self.json(modelsJSON()) }

        let admin = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .promptsAdmin))
        admin.post("/v1/admin/models/reload") { _, context in try reloadModels(context: context) }
        registerPrompts(on: router)
        registerIntegrations(on: router)
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Bodies

    /// Reads a JSON body of at most `limit` bytes: 415 for another content type, 413 when larger.
    func readJSON(_ request: Request, limit: Int) async throws -> Data {
        if let type = request.headers[.contentType]?.lowercased(), !type.hasPrefix("application/json"), !type.contains("+json") {
            throw Problem(
                .unsupportedMediaType, slug: "unsupported-media-type", title: "The body must be JSON",
                detail: "Content-Type is `\(type)`. Send the body as JSON with `Content-Type: application/json`.")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Self.tooLarge(limit)
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Self.tooLarge(limit)
        }
    }

    static func milliseconds(_ duration: Duration) -> String { String(format: "%.1f", duration.seconds * 1000) }

    static func tooLarge(_ limit: Int) -> Problem {
        Problem(
            .contentTooLarge, slug: "body-too-large", title: "The body is too large",
            detail: "The body exceeds \(limit) bytes. Send less (batches: split them), or raise the limit in limits.* of the configuration.")
    }

    /// Parses a JSON body: 400 `malformed-json` naming the line and column when it is not JSON.
    static func parse(_ data: Data) throws -> JSONNode {
        guard !data.isEmpty else { throw Problem.malformed("The body is empty. Send a JSON object.") }
        do {
            return try JSONReader.parse(data)
        } catch  where error.kind == .duplicateKey {
            throw Problem(
                .badRequest, slug: "duplicate-key", title: "A key appears twice",
                detail:
                    "The body repeats the key `\(error.key ?? "")` in one object (line \(error.line), column \(error.column)). Send each key once: readers disagree about which copy counts.",
                errors: [FieldIssue(field: error.key ?? "(body)", message: "appears more than once in the same object. Keep one.")])
        } catch {
            throw Problem.malformed("The body is not valid JSON: \(error.description). Check quotes, commas and brackets.")
        }
    }

    // MARK: Handlers

    func scoreOne(_ request: Request, context: GatewayContext) async throws -> Response {
        let data = try await readJSON(request, limit: config.maxBodyBytes)
        let input = LeadInput(try Self.parse(data))
        switch await service.scoreOne(input, receivedAt: context.receivedAt) {
        case .success(let result):
            var response = Self.json(result.json)
            // Named in the access log line (and visible to the client, as in the body).
            if let prompt = result.prompt { response.headers[.leadgatePrompt] = prompt }
            return response
        case .failure(let problem): throw problem
        }
    }

    func scoreBatch(_ request: Request, context: GatewayContext) async throws -> Response {
        let start = ContinuousClock.now
        let data = try await readJSON(request, limit: config.maxBatchBodyBytes)
        let read = ContinuousClock.now
        let batch = BatchInput(try Self.parse(data))
        let decoded = ContinuousClock.now
        guard batch.issues.isEmpty else { throw Problem.invalid(batch.issues) }
        guard !batch.leads.isEmpty else {
            // (a missing or mistyped `leads` was reported above)
            throw Problem.invalid([FieldIssue(field: "leads", message: "is empty. Send at least one lead.")])
        }
        guard batch.leads.count <= config.maxBatchLeads else {
            throw Problem(
                .contentTooLarge, slug: "batch-too-large", title: "Too many leads in one batch",
                detail: "The batch has \(batch.leads.count) leads; the limit is \(config.maxBatchLeads) (limits.max_batch_leads). Split it.",
                errors: [FieldIssue(field: "leads", message: "has \(batch.leads.count) leads; at most \(config.maxBatchLeads) are allowed.")])
        }
        let json = await service.scoreBatch(batch, receivedAt: context.receivedAt)
        let scored = ContinuousClock.now
        let response = streamed(json)
        context.logger.info(
            "batch scored",
            metadata: [
                "leads": .stringConvertible(batch.leads.count), "read_ms": .string(Self.milliseconds(read - start)),
                "decode_ms": .string(Self.milliseconds(decoded - read)), "score_ms": .string(Self.milliseconds(scored - decoded)),
                "encode_ms": .string(Self.milliseconds(ContinuousClock.now - scored)),
            ])
        return response
    }

    /// A large JSON body written in 256 KiB pieces under backpressure; a shutdown waits for its end.
    func streamed(_ json: String) -> Response {
        let bytes = Array(json.utf8)
        let lifecycle = self.lifecycle
        lifecycle.bodyStarted()
        let body = ResponseBody(contentLength: bytes.count) { writer in
            defer { lifecycle.bodyFinished() }
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 256 * 1024)
                try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }

    /// The lead's live score: the stored response with `as_of` (when it was scored), `age_s` and
    /// `stale` (older than `live_scores.stale_after_s`) in front, an `ETag`, and 304 for a matching
    /// `If-None-Match`, so an agent polling mid-call gets an empty answer until the score changes.
    func liveScore(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = context.parameters.get("lead_id") ?? ""
        switch await service.store.liveScore(id, timeout: .milliseconds(config.redisReadTimeoutMS)) {
        case .success(let record?):
            let etag = "\"" + String(SHA256.hex(Array("\(record.storedAtMS):\(record.json)".utf8)).prefix(24)) + "\""
            if let match = request.headers[.ifNoneMatch],
                match.split(separator: ",").contains(where: {
                    let t = $0.trimmingCharacters(in: .whitespaces); return t == etag || t == "W/" + etag || t == "*"
                })
            {
                // Unchanged for this caller, but a stale score still starts its refresh.
                if age(record) > Double(config.liveStaleAfterSeconds) { service.refreshInBackground(record) }
                return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: "no-cache"])
            }
            var response = Self.json(liveJSON(record, refresh: true))
            response.headers[.eTag] = etag
            response.headers[.cacheControl] = "no-cache"
            return response
        case .success(nil):
            throw Problem(
                .notFound, slug: "no-live-score", title: "No score for this lead",
                detail:
                    "Lead `\(id)` has no live score (never scored, expired after live_scores.ttl_s, or erased). Score it with POST /v1/leads/score.")
        case .failure(let error):
            throw Self.storeUnavailable(error, doing: "read the live score")
        }
    }

    /// Seconds since the live score was stored.
    func age(_ record: LiveRecord) -> Double { max(0, Double(ScoringService.nowMS() - record.storedAtMS) / 1000) }

    /// A live score as answered: `as_of`, `age_s`, `stale` and `refreshing` in front of the stored
    /// response. With `refresh`, a stale score starts its refresh in the background.
    func liveJSON(_ record: LiveRecord, refresh: Bool) -> String {
        let age = age(record)
        let old = age > Double(config.liveStaleAfterSeconds)
        let pending = record.json.containsBytes(#""rerank":{"status":"pending""#)
        // Stale while revalidate: answer now, score again in the background.
        let refreshing = old && refresh && service.refreshInBackground(record) || service.isRefreshing(record.leadID)
        var w = JSONWriter(capacity: record.json.utf8.count + 128)
        w.beginObject()
        w.field("as_of", Timestamp.iso8601(Date(timeIntervalSince1970: Double(record.storedAtMS) / 1000)))
        w.field("age_s", age, digits: 1)
        w.field("stale", old || pending || refreshing)
        w.field("refreshing", refreshing)
        var text = w.text
        if record.json.utf8.first == UInt8(ascii: "{"), record.json.utf8.count > 2 {
            text += "," + record.json.dropFirst()
        } else {
            text += "}"
        }
        return text
    }

    /// `POST /v1/leads/{lead_id}/prewarm`: 202 with the model's score now (its LLM step `pending`); the
    /// adjusted score lands in the live score when the LLM answers.
    func prewarm(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = context.parameters.get("lead_id") ?? ""
        let data = try await readJSON(request, limit: config.maxBodyBytes)
        var input = LeadInput(try Self.parse(data))
        if let given = input.leadID, given != id {
            throw Problem.invalid([FieldIssue(field: "lead_id", message: "is `\(given)` but the path says `\(id)`. Send the same id, or none.")])
        }
        input.leadID = id
        switch service.prewarm(input) {
        case .success(let scored): return Self.json(scored.json, status: .accepted)
        case .failure(let problem): throw problem
        }
    }

    /// `POST /v1/leads/prewarm`: the batch form, `{"leads": [...]}`; 202 with what was accepted and
    /// an error entry per lead that was not.
    func prewarmBatch(_ request: Request, context: GatewayContext) async throws -> Response {
        let data = try await readJSON(request, limit: config.maxBatchBodyBytes)
        let batch = BatchInput(try Self.parse(data))
        guard batch.issues.isEmpty else { throw Problem.invalid(batch.issues) }
        guard batch.leads.count <= config.maxBatchLeads else {
            throw Problem(
                .contentTooLarge, slug: "batch-too-large", title: "Too many leads",
                detail: "\(batch.leads.count) leads; the limit is \(config.maxBatchLeads) (limits.max_batch_leads). Split the batch.")
        }
        var w = JSONWriter(capacity: 256 + batch.leads.count * 64)
        var accepted = 0
        w.beginObject()
        w.key("failed")
        w.beginArray()
        for (index, lead) in batch.leads.enumerated() {
            switch service.prewarm(lead) {
            case .success: accepted += 1
            case .failure(let problem):
                ScoringService.writeFailure(&w, index: index, leadID: lead.leadID, problem: problem)
            }
        }
        w.endArray()
        w.field("accepted", accepted)
        w.endObject()
        return Self.json(w.text, status: .accepted)
    }

    /// `DELETE /v1/leads/{lead_id}`: erases every key the store holds for the lead (GDPR/CCPA).
    func erase(context: GatewayContext) async throws -> Response {
        let id = context.parameters.get("lead_id") ?? ""
        switch await service.store.erase(leadID: id, timeout: .milliseconds(max(config.redisReadTimeoutMS, 1_000))) {
        case .success(let removed):
            var w = JSONWriter()
            w.beginObject()
            w.field("lead_id", id)
            w.field("store", service.store.kind)
            w.key("removed")
            w.beginArray()
            for key in removed { w.string(key) }
            w.endArray()
            w.field("count", removed.count)
            w.endObject()
            context.logger.notice("lead erased", metadata: ["lead_id": .string(id), "keys": .stringConvertible(removed.count)])
            return Self.json(w.text)
        case .failure(let error):
            throw Self.storeUnavailable(error, doing: "erase the lead (nothing is known to be erased)")
        }
    }

    static func storeUnavailable(_ error: StoreError, doing what: String) -> Problem {
        Problem(
            .serviceUnavailable, slug: "store-unavailable", title: "The store did not answer",
            detail: "Could not \(what): \(error.message). Retry shortly; /readyz shows the store's state.", headers: [.retryAfter: "1"])
    }

    func readiness() -> Response {
        let snapshot = service.registry.snapshot
        let store = service.store.status
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
        return Self.json(w.text, status: lifecycle.isDraining ? .serviceUnavailable : .ok)
    }

    func reloadModels(context: GatewayContext) throws -> Response {
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
            return Self.json(w.text)
        case .failure(let error):
            throw Problem(
                .conflict, slug: "reload-failed", title: "Models not reloaded",
                detail: "The previous models keep serving. \(error.description)")
        }
    }

    /// `GET /v1/models`: every loaded model, its role and its feature schema.
    func modelsJSON() -> String {
        let snapshot = service.registry.snapshot
        var w = JSONWriter(capacity: 8192)
        w.beginObject()
        w.key("models")
        w.beginArray()
        for model in snapshot.models {
            let m = model.manifest
            let e = model.ensemble
            w.beginObject()
            w.field("id", m.id)
            w.field("version", m.version)
            w.field("description", m.description)
            var roles: [String] = []
            if model === snapshot.primary { roles.append("default") }
            if model === snapshot.challenger { roles.append("challenger") }
            if model === snapshot.fallback { roles.append("fallback") }
            w.key("roles")
            w.beginArray()
            for role in roles { w.string(role) }
            w.endArray()
            if model === snapshot.challenger { w.field("challenger_share", snapshot.challengerShare, digits: 4) }
            w.field("library", e.library.rawValue)
            if let version = e.libraryVersion { w.field("library_version", version) }
            w.field("trees", e.treeCount)
            w.field("columns", e.featureCount)
            w.key("thresholds")
            w.beginObject()
            w.field("hot_above", model.scorer.thresholds.hotAbove)
            w.field("cold_below", model.scorer.thresholds.coldBelow)
            w.endObject()
            w.field("loaded_at", Timestamp.iso8601(model.loadedAt))
            w.key("groups")
            w.beginArray()
            for group in m.groups {
                w.beginObject()
                w.field("id", group.id)
                w.field("label", group.label)
                w.endObject()
            }
            w.endArray()
            w.key("fields")
            w.beginArray()
            for field in m.fields {
                w.beginObject()
                w.field("name", field.name)
                w.field("type", field.kind.name)
                w.field("label", field.label)
                if let group = field.group { w.field("group", group) }
                w.field("required", field.required)
                switch field.kind {
                case .number(let min, let max):
                    if let min { w.field("min", min) }
                    if let max { w.field("max", max) }
                case .boolean: break
                case .oneHot(let columns, _):
                    w.key("values")
                    w.beginArray()
                    for (value, _) in columns { w.string(value) }
                    w.endArray()
                case .categorical:
                    w.key("values")
                    w.beginArray()
                    for value in model.scorer.encoder.categories(of: field, model: e) { w.string(value) }
                    w.endArray()
                }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }
}

extension String {
    /// Whether `needle` occurs in this string, byte for byte. (`contains(_: StringProtocol)` goes
    /// through Foundation's NSString search here: it was 11% of a live read's CPU.)
    func containsBytes(_ needle: String) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard !n.isEmpty else { return true }
                guard n.count <= h.count else { return false }
                let first = n[0]
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count, h[i + j] == n[j] { j += 1 }
                        if j == n.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }
}
