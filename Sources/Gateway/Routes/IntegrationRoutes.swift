import Foundation
import Hummingbird
import Reranker
import Store

/// Voice-platform adapters: a platform's own request envelope in, the lead's live score as one line
/// an agent can say out.
extension Routes {
    func registerIntegrations(on router: Router<GatewayContext>) {
        let read = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .readLeads))
        read.post("/v1/integrations/vapi") { request, _ in try await vapi(request) }
    }

    /// Vapi's server message. For `tool-calls`, each call (`toolCallList`, or `toolWithToolCallList`)
    /// gets `{"toolCallId", "result"}`, where the result is the lead's `speakable` line; the function's
    /// arguments (an object or a JSON string) carry `lead_id`. Other message types get `{}`. Problems
    /// with one call are said in its result, since the agent reads the result aloud.
    func vapi(_ request: Request) async throws -> Response {
        let data = try await readJSON(request, limit: config.maxBodyBytes)
        let body = try Self.parse(data)
        guard let message = body["message"], message["type"]?.string == "tool-calls" else { return Self.json("{}") }
        var calls: [JSONNode] = []
        if case .array(let list)? = message["toolCallList"] { calls = list }
        if calls.isEmpty, case .array(let list)? = message["toolWithToolCallList"] { calls = list.compactMap { $0["toolCall"] } }
        var w = JSONWriter(capacity: 256 * max(1, calls.count))
        w.beginObject()
        w.key("results")
        w.beginArray()
        for call in calls {
            let id = call["id"]?.string ?? ""
            var arguments = call["function"]?["arguments"]
            if let text = arguments?.string { arguments = try? JSONReader.parse(Data(text.utf8)) }
            w.beginObject()
            w.field("toolCallId", id)
            w.field("result", await sayLiveScore(leadID: arguments?["lead_id"]?.string))
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return Self.json(w.text)
    }

    /// The line an agent says about a lead's live score (or why there is none).
    func sayLiveScore(leadID: String?) async -> String {
        guard let leadID, !leadID.isEmpty else { return "I need the lead's id to look up its score." }
        switch await service.store.liveScore(leadID, timeout: .milliseconds(config.redisReadTimeoutMS)) {
        case .success(let record?):
            guard let node = try? JSONReader.parse(Data(record.json.utf8)) else { return "The score for this lead could not be read." }
            if let line = node["speakable"]?.string { return line }
            if let score = node["score"]?.number, let badge = node["badge"]?.string { return "\(badge.capitalized) lead, \(Int(score)) out of 100." }
            return "The score for this lead could not be read."
        case .success(nil):
            return "There is no score for this lead yet."
        case .failure:
            return "The lead's score is not available right now."
        }
    }
}
