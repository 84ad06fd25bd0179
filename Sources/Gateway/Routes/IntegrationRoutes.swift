import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Reranker
import Scoring
import Store

/// Voice-platform adapters: a platform's own request envelope in, one line an agent can say out.
///
/// Both platforms call two functions (tool definitions to paste are in README.md):
/// - `get_lead_score {lead_id}`: the lead's live score, as its `speakable` line (never waits on the LLM);
/// - `record_lead_event {lead_id, type, text?, properties?}`: something the caller said or did
///   ("we are pre-approved": `preapproval`), stored as an event and folded at once; the answer is
///   the new score's line.
extension Routes {
    func registerIntegrations(on router: Router<GatewayContext>) {
        router.post("/v1/integrations/vapi") { request, context in try await vapi(request, context: context) }
        router.post("/v1/integrations/retell") { request, context in try await retell(request, context: context) }
    }

    /// One function call from a platform, and what it answers.
    struct ToolAnswer {
        var line: String
        /// The live score the line speaks of, when there is one.
        var score: [String: JSONNode] = [:]
        var failed = false
    }

    // MARK: Vapi

    /// Vapi's server message. For `tool-calls`, each call (`toolCallList`, `toolWithToolCallList`, or
    /// the older `toolCalls`) gets `{"toolCallId", "result"}` (or `"error"`); its arguments arrive as
    /// an object or a JSON string. Other message types get `{}`.
    ///
    /// Authentication: with `LEADGATE_VAPI_SECRET` set, the `X-Vapi-Secret` header must equal it
    /// (set it as the tool's server secret, or a Bearer credential sending that header); without it,
    /// LeadGate's API keys (`crm.read.leads`, plus `crm.write.leads` to record events).
    func vapi(_ request: Request, context: GatewayContext) async throws -> Response {
        var context = context
        var canWrite = true
        if !config.vapiSecret.isEmpty {
            let given = Array((request.headers[.vapiSecret] ?? "").utf8)
            guard Digest.constantTimeEqual(given, config.vapiSecret) else {
                throw Problem(
                    .unauthorized, slug: "unauthenticated", title: "Authentication required",
                    detail: "`X-Vapi-Secret` is missing or wrong. Set the tool's server secret to the value of LEADGATE_VAPI_SECRET.")
            }
        } else {
            try AuthMiddleware.authorize(request, context: &context, authenticator: authenticator, scope: .readLeads)
            canWrite = context.principal?.scopes.contains(.writeLeads) ?? false
        }
        let data = try await readJSON(request, limit: config.maxBodyBytes)
        let body = try Self.parse(data)
        guard let message = body["message"], message["type"]?.string == "tool-calls" else { return Self.json("{}") }
        var calls: [JSONNode] = []
        if case .array(let list)? = message["toolCallList"] { calls = list }
        if calls.isEmpty, case .array(let list)? = message["toolWithToolCallList"] { calls = list.compactMap { $0["toolCall"] } }
        if calls.isEmpty, case .array(let list)? = message["toolCalls"] { calls = list }
        var w = JSONWriter(capacity: 256 * max(1, calls.count))
        w.beginObject()
        w.key("results")
        w.beginArray()
        for call in calls {
            let id = call["id"]?.string ?? ""
            let function = call["function"]
            var arguments = function?["arguments"] ?? call["parameters"]
            if let text = arguments?.string { arguments = try? JSONReader.parse(Data(text.utf8)) }
            let name = function?["name"]?.string ?? call["name"]?.string ?? ""
            let answer = await tool(name, arguments: arguments ?? .object([]), eventID: "vapi:\(id)", canWrite: canWrite)
            w.beginObject()
            w.field("toolCallId", id)
            w.field("name", name)
            w.field(answer.failed ? "error" : "result", answer.line)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return Self.json(w.text)
    }

    // MARK: Retell

    /// Retell's custom function: `{"name", "call", "args"}`. With Retell's "payload: args only" the
    /// body is the arguments alone, and their `function` names the function (default
    /// `get_lead_score`). Answers `{"result", "lead_id", "score", "badge", "stale", "as_of"}`; Retell
    /// hands the body to its LLM as text.
    ///
    /// Authentication: with `LEADGATE_RETELL_API_KEY` set (the Retell API key that signs webhooks),
    /// `X-Retell-Signature: v=<ms>,d=<hex HMAC-SHA256(key, body + ms)>` must verify and be at most
    /// 5 minutes old; without it, LeadGate's API keys (send one through the tool's `headers`).
    func retell(_ request: Request, context: GatewayContext) async throws -> Response {
        var context = context
        var canWrite = true
        let data = try await readJSON(request, limit: config.maxBodyBytes)
        if !config.retellKey.isEmpty {
            if let failure = Self.verifyRetell(
                signature: request.headers[.retellSignature], body: Array(data), key: config.retellKey, nowMS: ScoringService.nowMS())
            {
                throw Problem(.unauthorized, slug: "unauthenticated", title: "Bad Retell signature", detail: failure)
            }
        } else {
            try AuthMiddleware.authorize(request, context: &context, authenticator: authenticator, scope: .readLeads)
            canWrite = context.principal?.scopes.contains(.writeLeads) ?? false
        }
        let body = try Self.parse(data)
        guard case .object = body else {
            throw Problem.invalid([FieldIssue(field: "(body)", message: "must be Retell's JSON object {name, call, args}, not \(body.typeName).")])
        }
        let wrapped = body["args"] != nil || body["name"] != nil
        let arguments = wrapped ? (body["args"] ?? .object([])) : body
        let name = (wrapped ? body["name"]?.string : arguments["function"]?.string) ?? "get_lead_score"
        let callID = body["call"]?["call_id"]?.string ?? ""
        let argumentsText = String(decoding: Self.canonical(arguments), as: UTF8.self)
        let digest = SHA256.hex(Array("\(callID)|\(name)|\(argumentsText)".utf8)).prefix(32)
        let answer = await tool(name, arguments: arguments, eventID: "retell:\(digest)", canWrite: canWrite)
        if answer.failed, !Self.toolNames.contains(name) {
            throw Problem.invalid([FieldIssue(field: "name", message: answer.line)])
        }
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("result", answer.line)
        for key in ["lead_id", "score", "badge", "stale", "as_of"] {
            guard let value = answer.score[key] else { continue }
            w.key(key)
            switch value {
            case .string(let s): w.string(s)
            case .number(let x): w.number(x, digits: 6)
            case .bool(let b): w.bool(b)
            default: w.null()
            }
        }
        w.endObject()
        return Self.json(w.text)
    }

    /// Retell's scheme (its SDKs' `verify`): `v=<unix ms>,d=<hex digest>`, digest = HMAC-SHA256 keyed
    /// with the API key over the raw body followed by the decimal timestamp; at most 5 minutes skew.
    /// Returns why it fails, or nil.
    static func verifyRetell(signature: String?, body: [UInt8], key: [UInt8], nowMS: Int64) -> String? {
        guard let signature else { return "`X-Retell-Signature` is missing. Check the Retell API key configured as LEADGATE_RETELL_API_KEY." }
        var stamp: String?
        var digest: String?
        for part in signature.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            if kv[0] == "v" { stamp = String(kv[1]) } else if kv[0] == "d" { digest = String(kv[1]) }
        }
        guard let stamp, let ms = Int64(stamp), let digest else { return "`X-Retell-Signature` is not `v=<timestamp>,d=<digest>`." }
        guard abs(nowMS - ms) <= 5 * 60_000 else {
            return "The signature is more than 5 minutes old (or ahead). Check the clocks; replays are refused."
        }
        let expected = Digest.hmacSHA256(key: key, message: body + Array(stamp.utf8)).map { String(format: "%02x", $0) }.joined()
        guard Digest.constantTimeEqual(Array(expected.utf8), Array(digest.lowercased().utf8)) else {
            return "The signature does not match the body. Check that LEADGATE_RETELL_API_KEY is the Retell API key with the webhook badge."
        }
        return nil
    }

    // MARK: Functions

    static let toolNames: Set<String> = ["get_lead_score", "record_lead_event"]

    /// Runs one platform function call.
    func tool(_ name: String, arguments: JSONNode, eventID: String, canWrite: Bool) async -> ToolAnswer {
        guard let leadID = arguments["lead_id"]?.string, !leadID.isEmpty else {
            return ToolAnswer(line: "I need the lead's id (lead_id) to do that.", failed: true)
        }
        switch name {
        case "get_lead_score":
            return await liveAnswer(leadID)
        case "record_lead_event":
            guard canWrite else { return ToolAnswer(line: "This key may read scores but not record events (needs crm.write.leads).", failed: true) }
            guard let type = arguments["type"]?.string else {
                return ToolAnswer(line: "I need the event type (type), for example preapproval or call_transcript.", failed: true)
            }
            var properties: [(key: String, value: JSONNode)] = []
            if case .object(let given)? = arguments["properties"] { properties = given }
            if let text = arguments["text"]?.string, !properties.contains(where: { $0.key == "text" }) { properties.append(("text", .string(text))) }
            let event: JSONNode = .object([("event_id", .string(eventID)), ("type", .string(type)), ("properties", .object(properties))])
            let now = ScoringService.nowMS()
            let batch = EventBatchInput(.object([("events", .array([event]))]), nowMS: now, maxEvents: 1)
            switch await service.ingest(leadID: leadID, batch: batch, nowMS: now) {
            case .success(let json):
                guard case .object(let members)? = try? JSONReader.parse(Data(json.utf8)) else { return ToolAnswer(line: "Noted.") }
                let score = Dictionary(members, uniquingKeysWith: { a, _ in a })
                return ToolAnswer(line: "Noted. " + (score["speakable"]?.string ?? ""), score: score)
            case .failure(let problem):
                return ToolAnswer(line: "That was not recorded: \(problem.detail)", failed: true)
            }
        default:
            return ToolAnswer(line: "`\(name)` is not a LeadGate function. Use get_lead_score or record_lead_event.", failed: true)
        }
    }

    /// The lead's live score as one line (or why there is none).
    func liveAnswer(_ leadID: String) async -> ToolAnswer {
        switch await service.store.liveScore(leadID, timeout: .milliseconds(config.redisReadTimeoutMS)) {
        case .success(let record?):
            guard case .object(let members)? = try? JSONReader.parse(Data(liveJSON(record, refresh: true).utf8)) else {
                return ToolAnswer(line: "The score for this lead could not be read.", failed: true)
            }
            let score = Dictionary(members, uniquingKeysWith: { a, _ in a })
            return ToolAnswer(line: score["speakable"]?.string ?? "The score for this lead could not be read.", score: score)
        case .success(nil):
            return ToolAnswer(line: "There is no score for this lead yet.")
        case .failure:
            return ToolAnswer(line: "The lead's score is not available right now.", failed: true)
        }
    }

    /// JSON with sorted keys, so equal arguments give equal bytes.
    static func canonical(_ node: JSONNode) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        func write(_ node: JSONNode) {
            switch node {
            case .null: w.null()
            case .bool(let b): w.bool(b)
            case .number(let x): w.number(x, digits: 15)
            case .string(let s): w.string(s)
            case .array(let items):
                w.beginArray()
                for item in items { write(item) }
                w.endArray()
            case .object(let members):
                w.beginObject()
                for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                    w.key(key)
                    write(value)
                }
                w.endObject()
            }
        }
        write(node)
        return Array(w.text.utf8)
    }
}
