import Foundation
import Hummingbird
import JSON
import Logging
import Pipeline
import Reranker
import Scoring
import Telemetry

/// Scoring: one lead, a batch, and prewarms (score now, the LLM step in the background).
extension Routes {
    func scoreOne(_ request: Request, context: GatewayContext) async throws -> Response {
        let data = try await JSONBody.read(request, limit: config.maxBodyBytes)
        let input = LeadInput(try JSONBody.parse(data))
        // A callback URL only makes sense for a result that comes later: it makes the score async.
        if input.options.async == true || input.options.callbackURL != nil || Self.prefersAsync(request) {
            return try await scoreAsync(data, input: input, context: context)
        }
        let scored = try await pipeline.score(input, receivedAt: context.receivedAt, context: decision(.score, context)).get()
        var response = JSONBody.response(scored.json)
        // Named in the access log line (and visible to the client, as in the body).
        if let prompt = scored.lead.prompt { response.headers[.leadgatePrompt] = "\(prompt.id)@\(prompt.version) \(prompt.hash)" }
        return response
    }

    func scoreBatch(_ request: Request, context: GatewayContext) async throws -> Response {
        let start = ContinuousClock.now
        let data = try await JSONBody.read(request, limit: config.maxBatchBodyBytes)
        let read = ContinuousClock.now
        let batch = BatchInput(try JSONBody.parse(data))
        let decoded = ContinuousClock.now
        try checkBatch(batch, allowEmpty: false)
        let results = await pipeline.scoreBatch(batch, receivedAt: context.receivedAt, context: decision(.batch, context))
        let scored = ContinuousClock.now
        let response = JSONBody.streamed(BatchEncoder.encode(results, leads: batch.leads), lifecycle: lifecycle)
        context.logger.info(
            "batch scored",
            metadata: [
                "leads": .stringConvertible(batch.leads.count), "read_ms": .string(Self.milliseconds(read - start)),
                "decode_ms": .string(Self.milliseconds(decoded - read)), "score_ms": .string(Self.milliseconds(scored - decoded)),
                "encode_ms": .string(Self.milliseconds(ContinuousClock.now - scored)),
            ])
        return response
    }

    /// The batch's own problems: its fields, and the number of leads against `limits.max_batch_leads`.
    func checkBatch(_ batch: BatchInput, allowEmpty: Bool) throws {
        guard batch.issues.isEmpty else { throw Problem.invalid(batch.issues) }
        if batch.options.async != nil || batch.options.callbackURL != nil {
            throw Problem.invalid([
                FieldIssue(field: "options.async", message: "is for POST /v1/leads/score; for many leads at once submit a job (POST /v1/jobs).")
            ])
        }
        guard allowEmpty || !batch.leads.isEmpty else {
            // (a missing or mistyped `leads` was reported above)
            throw Problem.invalid([FieldIssue(field: "leads", message: "is empty. Send at least one lead.")])
        }
        guard batch.leads.count <= config.maxBatchLeads else {
            throw Problem(
                .contentTooLarge, slug: "batch-too-large", title: "Too many leads in one batch",
                detail: "The batch has \(batch.leads.count) leads; the limit is \(config.maxBatchLeads) (limits.max_batch_leads). Split it.",
                errors: [FieldIssue(field: "leads", message: "has \(batch.leads.count) leads; at most \(config.maxBatchLeads) are allowed.")])
        }
    }

    static func milliseconds(_ duration: Duration) -> String { String(format: "%.1f", duration.seconds * 1000) }

    /// `POST /v1/leads/{lead_id}/prewarm`: 202 with the model's score now (its LLM step `pending`); the
    /// adjusted score lands in the live score when the LLM answers.
    func prewarm(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = pathLeadID(context)
        var input = LeadInput(try await JSONBody.node(request, limit: config.maxBodyBytes))
        if let given = input.leadID, given != id {
            throw Problem.invalid([FieldIssue(field: "lead_id", message: "is `\(given)` but the path says `\(id)`. Send the same id, or none.")])
        }
        input.leadID = id
        let scored = try pipeline.prewarm(input, context: decision(.prewarm, context)).get()
        return JSONBody.response(scored.json, status: .accepted)
    }

    /// `POST /v1/leads/prewarm`: the batch form, `{"leads": [...]}`; 202 with how many were accepted
    /// and an error entry per lead that was not.
    func prewarmBatch(_ request: Request, context: GatewayContext) async throws -> Response {
        let batch = BatchInput(try await JSONBody.node(request, limit: config.maxBatchBodyBytes))
        try checkBatch(batch, allowEmpty: true)
        let results = batch.leads.enumerated().map { pipeline.prewarm($1, context: decision(.prewarm, context).at($0)) }
        return JSONBody.response(BatchEncoder.encodePrewarm(results, leads: batch.leads), status: .accepted)
    }
}
