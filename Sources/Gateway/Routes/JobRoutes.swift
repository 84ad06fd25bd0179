import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Jobs
import NIOCore
import Pipeline
import Scoring
import Store

/// Async scores and bulk jobs: taken in here, cut into chunks on the shared Redis stream, scored by
/// every gateway's consumers (``JobWorker``), read back in input order.
extension Routes {
    /// The jobs, or 503 when this gateway has no Redis to share them through.
    func jobsRuntime() throws -> JobsRuntime {
        guard let jobs = components.jobs else {
            throw Problem(
                .serviceUnavailable, slug: "jobs-need-redis", title: "Jobs need Redis",
                detail:
                    "Async scores and bulk jobs are shared by the gateways through Redis, and this gateway has none. Set LEADGATE_REDIS_URL (redis.url)."
            )
        }
        return jobs
    }

    static func noJob(_ id: String) -> Problem {
        Problem(
            .notFound, slug: "no-job", title: "No such job",
            detail: "There is no job `\(id.prefix(80))`: it never existed, or it ended more than jobs.retention_h ago (or another caller made it).")
    }

    /// The job, when the caller may see it: its own jobs, or any with the admin scope (or auth off).
    func visibleJob(_ id: String, context: GatewayContext, jobs: JobsRuntime) async throws -> JobState {
        let state: JobState?
        do {
            state = try await jobs.queue.state(jobID: id)
        } catch {
            throw Problem.storeUnavailable(error, doing: "reading the job")
        }
        guard let state else { throw Self.noJob(id) }
        if let caller = state.caller, let principal = context.principal, principal.subject != caller, !principal.scopes.contains(.promptsAdmin) {
            throw Self.noJob(id)
        }
        return state
    }

    static func jobResponse(_ state: JobState, status: HTTPResponse.Status, extra: HTTPFields = [:]) -> Response {
        var response = JSONBody.response(state.json(), status: status)
        response.headers[.location] = "/v1/jobs/\(state.id)"
        response.headers.append(contentsOf: extra)
        return response
    }

    // MARK: Taking jobs in

    /// `POST /v1/jobs`: an NDJSON or CSV body of leads (streamed to Redis as it is read), or
    /// `{"lead_ids": [...], "options": {...}}` to re-score stored leads. Options of an NDJSON or CSV
    /// job come as query parameters (`explain`, `rerank`, `model`, `callback_url`). 202 with the job.
    func submitJob(_ request: Request, context: GatewayContext) async throws -> Response {
        let jobs = try jobsRuntime()
        let type = (request.headers[.contentType] ?? "").lowercased()
        let format: JobChunk.Format
        if type.hasPrefix("application/x-ndjson") || type.hasPrefix("application/jsonl") || type.hasPrefix("application/ndjson") {
            format = .ndjson
        } else if type.hasPrefix("text/csv") {
            format = .csv
        } else if type.hasPrefix("application/json") {
            format = .ids
        } else {
            throw Problem(
                .unsupportedMediaType, slug: "unsupported-media-type", title: "Send NDJSON, CSV or a list of lead ids",
                detail:
                    "Content-Type is `\(type.isEmpty ? "(none)" : type)`. Send leads as `application/x-ndjson` (one lead object per line) or `text/csv` (a header row of field names), or `application/json` with {\"lead_ids\": [...]} to re-score stored leads."
            )
        }
        let caller = context.principal?.subject ?? "anonymous"
        let id = UUID().uuidString.lowercased()
        var options = ScoreOptions()
        var leadIDs: [String] = []
        options = try Self.queryOptions(request)
        // A job is refused at once for a model the query names and no one loaded (a body's model,
        // as a batch's, gives each lead an error entry instead).
        if let model = options.model {
            do {
                _ = try pipeline.registry.select(leadID: "", requested: model, in: pipeline.registry.snapshot)
            } catch {
                throw Problem.invalid([
                    FieldIssue(
                        field: "model",
                        message:
                            "`\(model.prefix(80))` is not a loaded model. Use one of: \(error.available.joined(separator: ", ")) (GET /v1/models).")
                ])
            }
        }
        if format == .ids {
            // The body's options win over the query's.
            let body: ScoreOptions
            (leadIDs, body) = try await readLeadIDs(request)
            options.rerank = body.rerank ?? options.rerank
            options.explain = body.explain ?? options.explain
            options.model = body.model ?? options.model
        }
        if let key = request.headers[.idempotencyKey] {
            guard !key.isEmpty, key.count <= 200, key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                throw Problem.invalid(
                    [FieldIssue(field: "Idempotency-Key", message: "must be 1–200 visible ASCII characters (a UUID is a good key).")],
                    detail: "The Idempotency-Key header must be 1–200 visible ASCII characters.")
            }
            let existing: String?
            do {
                existing = try await jobs.queue.claimIdempotencyKey(caller: caller, key: key, id: id)
            } catch {
                throw Problem.storeUnavailable(error, doing: "checking the Idempotency-Key")
            }
            if let existing, let state = try? await jobs.queue.state(jobID: existing) {
                return Self.jobResponse(state, status: .ok, extra: [.idempotentReplayed: "true"])
            }
        }
        try await createJob(jobs, id: id, kind: .bulk, caller: caller, options: options)
        do {
            if format == .ids {
                try await queueIDs(leadIDs, jobID: id, jobs: jobs)
            } else {
                try await streamBody(request, format: format, jobID: id, jobs: jobs, options: options)
            }
        } catch {
            try? await jobs.queue.fail(jobID: id, error: (error as? Problem)?.detail ?? "the upload broke off: \(error)")
            throw error
        }
        jobs.metrics.submitted(kind: .bulk)
        let state = try? await jobs.queue.state(jobID: id)
        guard let state else { throw Self.noJob(id) }
        return Self.jobResponse(state, status: .accepted)
    }

    func createJob(_ jobs: JobsRuntime, id: String, kind: JobState.Kind, caller: String, options: ScoreOptions) async throws {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        if let rerank = options.rerank { w.field("rerank", rerank) }
        if let explain = options.explain { w.field("explain", explain) }
        if let model = options.model { w.field("model", model) }
        w.endObject()
        do {
            try await jobs.queue.create(.init(id: id, kind: kind, caller: caller, options: w.text, callbackURL: options.callbackURL))
        } catch {
            throw Problem.storeUnavailable(error, doing: "creating the job")
        }
    }

    /// `explain`, `rerank`, `model` and `callback_url` from the query, checked as a batch's options are.
    static func queryOptions(_ request: Request) throws -> ScoreOptions {
        var members: [(key: String, value: JSONNode)] = []
        for (name, value) in request.uri.queryParameters {
            let text = String(value)
            switch String(name) {
            case "explain", "rerank":
                switch text {
                case "true", "1": members.append((String(name), .bool(true)))
                case "false", "0": members.append((String(name), .bool(false)))
                default:
                    throw Problem.invalid([FieldIssue(field: String(name), message: "must be true or false, not `\(text.prefix(40))`.")])
                }
            case "model", "callback_url": members.append((String(name), .string(text)))
            default:
                throw Problem.invalid([
                    FieldIssue(field: String(name), message: "is not an option of a job. Use explain, rerank, model or callback_url.")
                ])
            }
        }
        var issues: [FieldIssue] = []
        let options = ScoreOptions(.object(members), path: "options", issues: &issues)
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        return options
    }

    /// `{"lead_ids": [...], "options": {...}}`.
    func readLeadIDs(_ request: Request) async throws -> ([String], ScoreOptions) {
        let node = try await JSONBody.node(request, limit: config.maxBatchBodyBytes)
        guard case .object(let members) = node else {
            throw Problem.invalid([FieldIssue(field: "(body)", message: "must be an object with `lead_ids`, not \(node.typeName).")])
        }
        var ids: [String] = []
        var options = ScoreOptions()
        var issues: [FieldIssue] = []
        var sawIDs = false
        for (key, value) in members {
            switch key {
            case "lead_ids":
                sawIDs = true
                guard case .array(let elements) = value else {
                    issues.append(FieldIssue(field: "lead_ids", message: "must be a list of lead id strings, not \(value.typeName)."))
                    continue
                }
                for (i, element) in elements.enumerated() {
                    guard case .string(let s) = element, !s.isEmpty, s.count <= config.maxLeadIDChars, !s.contains(where: \.isNewline) else {
                        issues.append(
                            FieldIssue(field: "lead_ids[\(i)]", message: "must be a lead id: 1–\(config.maxLeadIDChars) characters on one line."))
                        continue
                    }
                    ids.append(s)
                }
            case "options":
                options = ScoreOptions(value, path: "options", issues: &issues)
                if options.async != nil || options.callbackURL != nil {
                    issues.append(
                        FieldIssue(
                            field: "options",
                            message: "takes rerank, explain and model; a job is async already, and its callback_url is a query parameter."))
                }
            default: issues.append(FieldIssue(field: key, message: "is not a field of a job. Use lead_ids and options."))
            }
        }
        if !sawIDs { issues.append(FieldIssue(field: "lead_ids", message: "is required: the ids of stored leads to score again.")) }
        if sawIDs, ids.isEmpty, issues.isEmpty { issues.append(FieldIssue(field: "lead_ids", message: "is empty. Send at least one id.")) }
        if ids.count > config.jobs.maxLeads {
            issues.append(
                FieldIssue(field: "lead_ids", message: "has \(ids.count) ids; a job takes at most \(config.jobs.maxLeads) (jobs.max_leads)."))
        }
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        return (ids, options)
    }

    func queueIDs(_ ids: [String], jobID: String, jobs: JobsRuntime) async throws {
        let size = config.jobs.chunkSize
        var chunk = 0
        var first = 0
        while first < ids.count {
            let slice = ids[first..<min(ids.count, first + size)]
            let data = Array(slice.joined(separator: "\n").utf8)
            try await append(jobs, jobID: jobID, chunk: chunk, first: first, count: slice.count, format: .ids, header: [], data: data)
            chunk += 1
            first += slice.count
        }
        try await finishInput(jobs, jobID: jobID, chunks: chunk, total: ids.count)
    }

    /// Reads the body piece by piece, cutting it into chunks of `jobs.chunk_size` records that go to
    /// the stream as soon as they are full; what is held at any time is one chunk.
    func streamBody(_ request: Request, format: JobChunk.Format, jobID: String, jobs: JobsRuntime, options: ScoreOptions) async throws {
        let settings = config.jobs
        var splitter = RecordSplitter(csv: format == .csv)
        var header: [UInt8]?
        var data: [UInt8] = []
        var count = 0
        var chunk = 0
        var total = 0
        var bytes = 0
        var pending: [[UInt8]] = []
        let snapshot = pipeline.registry.snapshot
        let manifest = ((try? pipeline.registry.select(leadID: "", requested: options.model, in: snapshot)) ?? snapshot.primary).manifest
        func take(_ record: [UInt8]) throws {
            if format == .csv, header == nil {
                _ = try CSVLeads(header: CSVCells.parse(record), manifest: manifest)
                header = record
                return
            }
            total += 1
            guard total <= settings.maxLeads else {
                throw Problem(
                    .contentTooLarge, slug: "job-too-large", title: "Too many leads in one job",
                    detail: "The job has more than \(settings.maxLeads) leads (jobs.max_leads). Split the file.")
            }
            if count > 0 { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: record)
            count += 1
        }
        func cut() async throws {
            guard count > 0 else { return }
            try await append(jobs, jobID: jobID, chunk: chunk, first: total - count, count: count, format: format, header: header ?? [], data: data)
            chunk += 1
            count = 0
            data.removeAll(keepingCapacity: true)
        }
        do {
            for try await buffer in request.body {
                bytes += buffer.readableBytes
                guard bytes <= settings.maxBodyBytes else { throw Problem.tooLarge(settings.maxBodyBytes) }
                try buffer.withUnsafeReadableBytes { raw in try splitter.feed(raw) { pending.append($0) } }
                for record in pending {
                    try take(record)
                    if count >= settings.chunkSize { try await cut() }
                }
                pending.removeAll(keepingCapacity: true)
            }
            try splitter.finish { pending.append($0) }
            for record in pending {
                try take(record)
                if count >= settings.chunkSize { try await cut() }
            }
            try await cut()
        } catch let error as RecordSplitter.TooLong {
            throw Problem(
                .contentTooLarge, slug: "record-too-large", title: "A record is too long",
                detail:
                    "Record \(error.record) is longer than \(error.limit) bytes. One lead per line (NDJSON), or one CSV record, must stay under it.")
        }
        guard total > 0 else {
            throw Problem.invalid(
                [FieldIssue(field: "(body)", message: format == .csv ? "has a header but no records." : "has no lead lines.")],
                detail: "The body holds no leads. Send one lead per line (NDJSON) or CSV records under a header row.")
        }
        try await finishInput(jobs, jobID: jobID, chunks: chunk, total: total)
    }

    func append(_ jobs: JobsRuntime, jobID: String, chunk: Int, first: Int, count: Int, format: JobChunk.Format, header: [UInt8], data: [UInt8])
        async throws
    {
        do {
            try await jobs.queue.append(jobID: jobID, chunk: chunk, first: first, count: count, format: format, header: header, data: data)
        } catch {
            throw Problem.storeUnavailable(error, doing: "queueing the job's leads")
        }
    }

    func finishInput(_ jobs: JobsRuntime, jobID: String, chunks: Int, total: Int) async throws {
        do {
            if try await jobs.queue.finishInput(jobID: jobID, chunks: chunks, total: total) { await jobs.finished(jobID, logger: logger) }
        } catch {
            throw Problem.storeUnavailable(error, doing: "closing the job's input")
        }
    }

    /// `POST /v1/leads/score` with `Prefer: respond-async` or `options.async: true`: checks the lead
    /// now (422 at once when it is invalid), queues it as a job of one, answers 202.
    func scoreAsync(_ data: Data, input: LeadInput, context: GatewayContext) async throws -> Response {
        let jobs = try jobsRuntime()
        _ = try pipeline.evaluate(input).get()
        let id = UUID().uuidString.lowercased()
        // The lead's own options go with it; the job keeps the callback.
        var jobOptions = ScoreOptions()
        jobOptions.callbackURL = input.options.callbackURL
        try await createJob(jobs, id: id, kind: .single, caller: context.principal?.subject ?? "anonymous", options: jobOptions)
        // One line: a newline byte in JSON is only ever whitespace (inside strings it is escaped).
        let line = data.map { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") ? UInt8(ascii: " ") : $0 }
        do {
            try await append(jobs, jobID: id, chunk: 0, first: 0, count: 1, format: .ndjson, header: [], data: line)
            try await finishInput(jobs, jobID: id, chunks: 1, total: 1)
        } catch {
            try? await jobs.queue.fail(jobID: id, error: "the lead could not be queued: \(error)")
            throw error
        }
        jobs.metrics.submitted(kind: .single)
        var w = JSONWriter(capacity: 160)
        w.beginObject()
        w.field("id", id)
        w.field("status", "pending")
        w.field("status_url", "/v1/leads/score/\(id)/status")
        w.endObject()
        var response = JSONBody.response(w.text, status: .accepted)
        response.headers[.location] = "/v1/jobs/\(id)"
        response.headers[.preferenceApplied] = "respond-async"
        return response
    }

    static func prefersAsync(_ request: Request) -> Bool {
        request.headers[values: .prefer].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "respond-async" }
        }
    }

    // MARK: Reading jobs

    func jobID(_ context: GatewayContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw Self.noJob(id)
        }
        return id
    }

    /// `GET /v1/jobs/{id}`.
    func jobStatus(context: GatewayContext) async throws -> Response {
        let jobs = try jobsRuntime()
        let state = try await visibleJob(try jobID(context), context: context, jobs: jobs)
        return JSONBody.response(state.json())
    }

    /// `GET /v1/leads/score/{id}/status`: PENDING, SUCCESS or FAILED, with the result when done.
    func scoreStatus(context: GatewayContext) async throws -> Response {
        let jobs = try jobsRuntime()
        let state = try await visibleJob(try jobID(context), context: context, jobs: jobs)
        return JSONBody.response(await jobs.statusJSON(state))
    }

    /// `DELETE /v1/jobs/{id}`: cancels a pending or running job (409 once it has ended).
    func cancelJob(context: GatewayContext) async throws -> Response {
        let jobs = try jobsRuntime()
        let id = try jobID(context)
        _ = try await visibleJob(id, context: context, jobs: jobs)
        let result: (state: JobState, changed: Bool)?
        do {
            result = try await jobs.queue.cancel(jobID: id)
        } catch {
            throw Problem.storeUnavailable(error, doing: "cancelling the job")
        }
        guard let result else { throw Self.noJob(id) }
        guard result.changed else {
            throw Problem(
                .conflict, slug: "job-ended", title: "The job has already ended",
                detail: "Job \(id) is \(result.state.status.rawValue); only a pending or running job can be cancelled.")
        }
        await jobs.finished(id, logger: logger)
        return JSONBody.response(result.state.json())
    }

    /// `GET /v1/jobs/{id}/results`: NDJSON (or CSV with `Accept: text/csv`), in input order, streamed
    /// from Redis a few chunks at a time; per-lead errors as in a batch. 409 while the job runs.
    func jobResults(_ request: Request, context: GatewayContext) async throws -> Response {
        let jobs = try jobsRuntime()
        let state = try await visibleJob(try jobID(context), context: context, jobs: jobs)
        guard state.status.isFinal else {
            throw Problem(
                .conflict, slug: "job-not-finished", title: "The job is still running",
                detail:
                    "Job \(state.id) is \(state.status.rawValue): \(state.done) of \(state.total) leads done. Follow GET /v1/jobs/\(state.id)/events, then read the results.",
                headers: [.retryAfter: "2"])
        }
        let csv = (request.headers[.accept] ?? "").lowercased().contains("text/csv")
        let queue = jobs.queue
        let lifecycle = self.lifecycle
        let body = ResponseBody { writer in
            lifecycle.bodyStarted()
            defer { lifecycle.bodyFinished() }
            if csv { try await writer.write(ByteBuffer(string: JobResultsCSV.header)) }
            var chunk = 0
            while chunk < state.chunks {
                let range = chunk..<min(state.chunks, chunk + 16)
                let pieces = try await queue.results(jobID: state.id, chunks: range)
                for piece in pieces {
                    guard let piece else { continue }
                    if csv {
                        try await writer.write(ByteBuffer(string: JobResultsCSV.rows(piece)))
                    } else {
                        try await writer.write(ByteBuffer(bytes: piece))
                    }
                }
                chunk = range.upperBound
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: csv ? "text/csv; charset=utf-8" : "application/x-ndjson"], body: body)
    }

    /// `GET /v1/jobs/{id}/events`: Server-Sent Events of the job's progress (`event: progress` when
    /// its counts change, read every 500 ms; `event: done` with the final state, then the end).
    func jobEvents(context: GatewayContext) async throws -> Response {
        let jobs = try jobsRuntime()
        let first = try await visibleJob(try jobID(context), context: context, jobs: jobs)
        let queue = jobs.queue
        let lifecycle = self.lifecycle
        let body = ResponseBody { writer in
            lifecycle.bodyStarted()
            defer { lifecycle.bodyFinished() }
            var state = first
            var last = ""
            var quiet = 0
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            while true {
                let json = state.json()
                if state.status.isFinal {
                    try await writer.write(ByteBuffer(string: "event: done\nid: \(state.done)\ndata: \(json)\n\n"))
                    break
                }
                let counts = "\(state.status.rawValue) \(state.done) \(state.total) \(state.inputComplete)"
                if counts != last {
                    try await writer.write(ByteBuffer(string: "event: progress\nid: \(state.done)\ndata: \(json)\n\n"))
                    last = counts
                    quiet = 0
                } else {
                    quiet += 1
                    if quiet % 30 == 0 { try await writer.write(ByteBuffer(string: ": waiting\n\n")) }
                }
                if lifecycle.isDraining {
                    try await writer.write(ByteBuffer(string: "event: close\ndata: {}\n\n"))
                    break
                }
                try await Task.sleep(for: .milliseconds(500))
                guard let next = try? await queue.state(jobID: state.id) else { break }
                state = next
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .accelBuffering: "no"], body: body)
    }
}

/// A job's results as CSV: one row per lead, the answer's main values, the reasons as text.
enum JobResultsCSV {
    static let header = "index,lead_id,score,badge,base_score,confidence,probability,model,model_version,rerank_status,reasons,error\n"

    static func rows(_ ndjson: [UInt8]) -> String {
        var out = ""
        for record in RecordSplitter.records(ndjson, csv: false) {
            guard let node = try? JSONReader.parse(bytes: record) else { continue }
            out += row(node)
        }
        return out
    }

    static func row(_ node: JSONNode) -> String {
        func text(_ value: JSONNode?) -> String {
            switch value {
            case .string(let s)?: CSVCells.quoted(s)
            case .number(let x)?: x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
            case .bool(let b)?: b ? "true" : "false"
            default: ""
            }
        }
        if let error = node["error"] {
            return [text(node["index"]), text(node["lead_id"]), "", "", "", "", "", "", "", "", "", text(error["detail"])].joined(separator: ",")
                + "\n"
        }
        let model = node["model"]
        var reasons: [String] = []
        if case .array(let list)? = node["reasons"] { reasons = list.compactMap { $0["text"]?.string ?? $0.string } }
        let cells = [
            text(node["index"]), text(node["lead_id"]), text(node["score"]), text(node["badge"]), text(node["base_score"]), text(node["confidence"]),
            text(node["probability"]), text(model?["id"]), text(model?["version"]), text(node["rerank"]?["status"]),
            CSVCells.quoted(reasons.joined(separator: " | ")), "",
        ]
        return cells.joined(separator: ",") + "\n"
    }
}
