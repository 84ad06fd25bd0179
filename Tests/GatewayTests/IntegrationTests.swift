import Foundation
import Testing

/// Voice-platform adapters, with envelopes shaped as the platforms send them.
@Suite struct IntegrationTests {
    /// A Vapi `tool-calls` server message (trimmed: Vapi also sends the call, assistant and customer).
    static func vapiToolCalls(_ calls: [(id: String, arguments: String)]) -> String {
        let list = calls.map { #"{"id": "\#($0.id)", "type": "function", "function": {"name": "get_lead_score", "arguments": \#($0.arguments)}}"# }
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
            #expect(results[3]["result"] == "I need the lead's id to look up its score.")
            // Other server messages (status updates, reports) are acknowledged and ignored.
            let other = try await HTTPClient.send(
                "POST", "\(base)/v1/integrations/vapi", json: #"{"message": {"type": "status-update", "status": "in-progress"}}"#)
            #expect(other.status == 200 && other.text == "{}")
        }
    }
}
