import COpenSSL
import Foundation
import Testing

/// Voice-platform adapters, with envelopes recorded in the shapes the platforms document
/// (`Tests/Fixtures/voice/`): Vapi's `tool-calls` server message and Retell's custom function.
@Suite struct IntegrationTests {
    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: Paths.repositoryRoot.appendingPathComponent("Tests/Fixtures/voice/\(name)"), encoding: .utf8)
    }

    /// A Vapi `tool-calls` server message (trimmed: Vapi also sends the call, assistant and customer).
    static func vapiToolCalls(_ calls: [(id: String, arguments: String)], name: String = "get_lead_score") -> String {
        let list = calls.map { #"{"id": "\#($0.id)", "type": "function", "function": {"name": "\#(name)", "arguments": \#($0.arguments)}}"# }
        return
            #"{"message": {"type": "tool-calls", "timestamp": 1763860000000, "call": {"id": "call-7"}, "toolCallList": [\#(list.joined(separator: ", "))]}}"#
    }

    @Test func vapiToolCallsGetTheSpeakableLine() async throws {
        try await withGateway { base in
            let scored = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "V-1")).json()
            let line = try #require(scored["speakable"] as? String)
            let response = try await HTTPClient.send(
                "POST", "\(base)/v1/integrations/vapi",
                json: Self.vapiToolCalls([
                    ("tc-1", #"{"lead_id": "V-1"}"#),  // arguments as an object
                    ("tc-2", #""{\"lead_id\": \"V-1\"}""#),  // and as a JSON string
                    ("tc-3", #"{"lead_id": "NOBODY"}"#),
                    ("tc-4", #"{}"#),
                ]))
            #expect(response.status == 200, "\(response.text)")
            let results = try #require(try response.json()["results"] as? [[String: String]])
            #expect(results.map { $0["toolCallId"] } == ["tc-1", "tc-2", "tc-3", "tc-4"])
            #expect(results[0]["result"] == line && results[1]["result"] == line)
            #expect(results[2]["result"] == "There is no score for this lead yet.")
            #expect(results[3]["error"] == "I need the lead's id (lead_id) to do that." && results[3]["result"] == nil)
            // An unknown function is an error the platform shows; the legacy `toolCalls` list works too.
            let unknown = try await HTTPClient.send(
                "POST", "\(base)/v1/integrations/vapi", json: Self.vapiToolCalls([("tc-5", #"{"lead_id": "V-1"}"#)], name: "book_flight"))
            #expect((try unknown.json()["results"] as? [[String: String]])?.first?["error"]?.contains("not a LeadGate function") == true)
            let legacy = try await HTTPClient.send(
                "POST", "\(base)/v1/integrations/vapi",
                json:
                    #"{"message": {"type": "tool-calls", "toolCalls": [{"id": "tc-6", "function": {"name": "get_lead_score", "arguments": {"lead_id": "V-1"}}}]}}"#
            )
            #expect((try legacy.json()["results"] as? [[String: String]])?.first?["result"] == line)
            // Other server messages (status updates, reports) are acknowledged and ignored.
            let other = try await HTTPClient.send(
                "POST", "\(base)/v1/integrations/vapi", json: #"{"message": {"type": "status-update", "status": "in-progress"}}"#)
            #expect(other.status == 200 && other.text == "{}")
        }
    }

    @Test func aRecordedVapiCallReadsAndMovesTheScore() async throws {
        let secret = "vapi-secret-1234567890"
        // API keys are on; Vapi's own secret authenticates its calls instead.
        let yaml = "auth:\n  mode: api_key\n  api_keys:\n    - { name: ops, key_env: OPS_KEY, scopes: [crm.read.leads] }\n"
        let environment = ["LEADGATE_VAPI_SECRET": secret, "OPS_KEY": "ops-key-0123456789abcdef0123456789"]
        try await withGateway(yaml: yaml, environment: environment) { base in
            let envelope = try Self.fixture("vapi-tool-calls.json")
            let refused = try await HTTPClient.send("POST", "\(base)/v1/integrations/vapi", json: envelope)
            #expect(refused.status == 401)
            let wrong = try await HTTPClient.send("POST", "\(base)/v1/integrations/vapi", headers: ["X-Vapi-Secret": "nope"], json: envelope)
            #expect(wrong.status == 401)
            let response = try await HTTPClient.send("POST", "\(base)/v1/integrations/vapi", headers: ["X-Vapi-Secret": secret], json: envelope)
            #expect(response.status == 200, "\(response.text.prefix(300))")
            let results = try #require(try response.json()["results"] as? [[String: String]])
            #expect(results.count == 2)
            #expect(results[0]["result"] == "There is no score for this lead yet.")
            let noted = try #require(results[1]["result"])
            #expect(noted.hasPrefix("Noted. ") && noted.contains("out of 100"))
            // The event was stored under the tool call's id: Vapi retrying the message counts it once.
            let again = try await HTTPClient.send("POST", "\(base)/v1/integrations/vapi", headers: ["X-Vapi-Secret": secret], json: envelope)
            #expect((try again.json()["results"] as? [[String: String]])?[0]["result"]?.contains("out of 100") == true)
            let metrics = try await HTTPClient.send("GET", "\(base)/metrics", headers: ["X-API-Key": "ops-key-0123456789abcdef0123456789"])
            #expect(metrics.status == 200)
            #expect(metrics.text.contains(#"leadgate_events_total{result="accepted"} 1"#))
            #expect(metrics.text.contains(#"leadgate_events_total{result="duplicate"} 1"#))
        }
    }

    /// `v=<ms>,d=<hex HMAC-SHA256(key, body + ms)>`, as Retell's SDKs verify it.
    static func retellSignature(_ body: String, key: String, ms: Int64) -> String {
        var mac = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        let k = Array(key.utf8)
        let message = Array(body.utf8) + Array(String(ms).utf8)
        _ = HMAC(EVP_sha256(), k, Int32(k.count), message, message.count, &mac, &length)
        return "v=\(ms),d=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func aSignedRetellFunctionCallRecordsOnceAndAnswersTheScore() async throws {
        let key = "key_retell_0123456789abcdef"
        try await withGateway(environment: ["LEADGATE_RETELL_API_KEY": key]) { base in
            let url = "\(base)/v1/integrations/retell"
            _ = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", json: try exampleLead(id: "RT-1", extra: #""options": {"rerank": false}"#))
            let body = try Self.fixture("retell-function.json")
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            func send(_ body: String, _ signature: String?) async throws -> HTTPResponse {
                try await HTTPClient.send("POST", url, headers: signature.map { ["X-Retell-Signature": $0] } ?? [:], json: body)
            }
            #expect(try await send(body, nil).status == 401)
            #expect(try await send(body, Self.retellSignature(body, key: "another-key", ms: now)).status == 401)
            #expect(try await send(body, Self.retellSignature(body, key: key, ms: now - 6 * 60_000)).status == 401, "a replay")
            #expect(try await send(body + " ", Self.retellSignature(body, key: key, ms: now)).status == 401, "the body changed")
            let response = try await send(body, Self.retellSignature(body, key: key, ms: now))
            #expect(response.status == 200, "\(response.text.prefix(300))")
            let answer = try response.json()
            #expect((answer["result"] as? String)?.hasPrefix("Noted. ") == true)
            #expect(answer["lead_id"] as? String == "RT-1" && answer["badge"] is String && answer["score"] is Int)
            // Retell retries a timed-out function with the same body: the transcript counts once.
            let retry = try await send(body, Self.retellSignature(body, key: key, ms: now + 1))
            #expect(retry.status == 200)
            let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
            #expect(metrics.contains(#"leadgate_events_total{result="accepted"} 1"#))
            #expect(metrics.contains(#"leadgate_events_total{result="duplicate"} 1"#))
            // "Payload: args only": the arguments are the body; the default function reads the score.
            let argsOnly = #"{"lead_id": "RT-1"}"#
            let live = try await send(argsOnly, Self.retellSignature(argsOnly, key: key, ms: now)).json()
            #expect(live["score"] as? Int == answer["score"] as? Int)
            #expect(live["stale"] as? Bool == false)
            // An unknown function name is a setup error: 422 naming `name`.
            let wrong = #"{"name": "book_flight", "call": {"call_id": "x"}, "args": {"lead_id": "RT-1"}}"#
            let refused = try await send(wrong, Self.retellSignature(wrong, key: key, ms: now))
            #expect(refused.status == 422)
            #expect(refused.text.contains(#""field":"name""#))
        }
    }
}
