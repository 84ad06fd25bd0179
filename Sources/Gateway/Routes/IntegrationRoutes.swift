import Foundation
import HTTPTypes
import Hashing
import Hummingbird
import JSON
import Pipeline
import Scoring
import Voice

/// Voice-platform adapters: a platform's own request envelope in, one line an agent can say out
/// (the functions themselves are ``VoiceTools``).
extension Routes {
    /// Vapi's server message: each call of a `tool-calls` message gets `{"toolCallId", "name",
    /// "result" | "error"}`; other message types get `{}`.
    ///
    /// Authentication: with `LEADGATE_VAPI_SECRET` set, the `X-Vapi-Secret` header must equal it
    /// (set it as the tool's server secret, or a Bearer credential sending that header); without it,
    /// LeadGate's API keys (`crm.read.leads`, plus `crm.write.leads` to record events).
    func vapi(_ request: Request, context: GatewayContext) async throws -> Response {
        var context = context
        var canWrite = true
        if !config.vapiSecret.isEmpty {
            let given = Array((request.headers[.vapiSecret] ?? "").utf8)
            guard HMAC.constantTimeEqual(given, config.vapiSecret) else {
                throw Problem(
                    .unauthorized, slug: "unauthenticated", title: "Authentication required",
                    detail: "`X-Vapi-Secret` is missing or wrong. Set the tool's server secret to the value of LEADGATE_VAPI_SECRET.")
            }
        } else {
            try AuthMiddleware.authorize(request, context: &context, authenticator: authenticator, scope: .readLeads)
            canWrite = context.principal?.scopes.contains(.writeLeads) ?? false
        }
        let body = try await JSONBody.node(request, limit: config.maxBodyBytes)
        guard let calls = VapiMessage.toolCalls(body) else { return JSONBody.response("{}") }
        var w = JSONWriter(capacity: 256 * max(1, calls.count))
        w.beginObject()
        w.key("results")
        w.beginArray()
        for call in calls {
            let answer = await components.tools.run(call.name, arguments: call.arguments, eventID: call.eventID, canWrite: canWrite)
            w.beginObject()
            w.field("toolCallId", call.id)
            w.field("name", call.name)
            w.field(answer.failed ? "error" : "result", answer.line)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return JSONBody.response(w.text)
    }

    /// Retell's custom function (``RetellCall``), answered `{"result", "lead_id", "score", "badge",
    /// "stale", "as_of"}`.
    ///
    /// Authentication: with `LEADGATE_RETELL_API_KEY` set (the Retell API key that signs webhooks),
    /// `X-Retell-Signature: v=<ms>,d=<hex HMAC-SHA256(key, body + ms)>` must verify and be at most
    /// 5 minutes old; without it, LeadGate's API keys (send one through the tool's `headers`).
    func retell(_ request: Request, context: GatewayContext) async throws -> Response {
        var context = context
        var canWrite = true
        let data = try await JSONBody.read(request, limit: config.maxBodyBytes)
        if !config.retellKey.isEmpty {
            if let failure = RetellCall.verify(
                signature: request.headers[.retellSignature], body: Array(data), key: config.retellKey, nowMS: Timestamp.nowMS())
            {
                throw Problem(.unauthorized, slug: "unauthenticated", title: "Bad Retell signature", detail: failure)
            }
        } else {
            try AuthMiddleware.authorize(request, context: &context, authenticator: authenticator, scope: .readLeads)
            canWrite = context.principal?.scopes.contains(.writeLeads) ?? false
        }
        let body = try JSONBody.parse(data)
        guard case .object = body else {
            throw Problem.invalid([FieldIssue(field: "(body)", message: "must be Retell's JSON object {name, call, args}, not \(body.typeName).")])
        }
        if let name = body["name"], name.string == nil {
            throw Problem.invalid([FieldIssue(field: "name", message: "must be a function name (a string), not \(name.typeName).")])
        }
        let call = RetellCall(body)
        let answer = await components.tools.run(call.name, arguments: call.arguments, eventID: call.eventID, canWrite: canWrite)
        if answer.failed, !VoiceTools.names.contains(call.name) {
            throw Problem.invalid([FieldIssue(field: "name", message: answer.line)])
        }
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("result", answer.line)
        if let score = answer.score {
            w.field("lead_id", score.leadID)
            w.field("score", score.score)
            w.field("badge", score.badge)
            if let stale = score.stale { w.field("stale", stale) }
            if let asOf = score.asOf { w.field("as_of", asOf) }
        }
        w.endObject()
        return JSONBody.response(w.text)
    }
}
