import Foundation
import Testing

/// The scoring routes over real HTTP on loopback.
@Suite struct ScoringRouteTests {
    @Test func scoresALeadAndKeepsItsLiveScore() async throws {
        try await withGateway { base in
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
            #expect(response.status == 200, "\(response.text)")
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("x-request-id")?.isEmpty == false)
            let body = try response.json()
            #expect(body["lead_id"] as? String == "L-1001")
            let score = try #require(body["score"] as? Int)
            let probability = try #require(body["probability"] as? Double)
            #expect(score == Int((probability * 100).rounded()))
            #expect(body["base_score"] as? Int == score)
            #expect(["hot", "warm", "cold"].contains(body["badge"] as? String ?? ""))
            let confidence = try #require(body["confidence"] as? Double)
            #expect(confidence > 0 && confidence < 1)
            let reasons = try #require(body["reasons"] as? [[String: Any]])
            #expect(reasons.count == 4)
            for reason in reasons {
                #expect(reason["text"] is String)
                #expect(["up", "down"].contains(reason["direction"] as? String ?? ""))
            }
            let breakdown = try #require(body["breakdown"] as? [[String: Any]])
            #expect(breakdown.map { $0["group"] as? String ?? "" } == ["behavioral", "engagement", "market_fit", "timing", "source"])
            let explanation = try #require(body["explanation_json"] as? [String: Any])
            #expect(explanation["final_score"] as? Int == score)
            let importance = try #require(explanation["feature_importance"] as? [String: Double])
            #expect(abs(importance.values.reduce(0, +) - 1) < 0.01)
            #expect((body["rerank"] as? [String: Any])?["status"] as? String == "disabled")
            #expect((body["model"] as? [String: Any])?["version"] as? String == "2026.11.0")
            #expect((body["scored_at"] as? String)?.hasSuffix("Z") == true)

            // What a voice agent can say, from the manifest's templates.
            #expect(
                body["speakable"] as? String
                    == "Warm lead, 47 out of 100, mainly: positive tone on the last call. Next, ask: Have you been pre-approved for a mortgage yet?")

            // The live score: the same answer, with when it was scored and whether it is stale.
            let live = try await HTTPClient.send("GET", "\(base)/v1/leads/L-1001/score")
            #expect(live.status == 200)
            #expect(live.text.hasSuffix(String(response.text.dropFirst())))
            let liveBody = try live.json()
            #expect((liveBody["as_of"] as? String)?.hasSuffix("Z") == true)
            #expect(liveBody["stale"] as? Bool == false)
            #expect((liveBody["age_s"] as? Double).map { $0 >= 0 && $0 < 5 } == true)
            // ETag and If-None-Match: 304 with no body until the score changes.
            let etag = try #require(live.header("etag"))
            let again = try await HTTPClient.send("GET", "\(base)/v1/leads/L-1001/score", headers: ["If-None-Match": etag])
            #expect(again.status == 304)
            #expect(again.text.isEmpty)
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
            let changed = try await HTTPClient.send("GET", "\(base)/v1/leads/L-1001/score", headers: ["If-None-Match": etag])
            #expect(changed.status == 200)
            #expect(changed.header("etag") != etag)
            let missing = try await HTTPClient.send("GET", "\(base)/v1/leads/nobody/score")
            #expect(missing.status == 404)
            #expect(missing.header("content-type") == "application/problem+json")
            #expect(try missing.json()["type"] as? String == "urn:leadgate:problem:no-live-score")
        }
    }

    @Test func anOldLiveScoreSaysItIsStale() async throws {
        try await withGateway(yaml: "live_scores:\n  stale_after_s: 1\n") { base in
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "OLD-1"))
            // Fresh unless this busy machine took over a second between the two requests.
            let first = try await HTTPClient.send("GET", "\(base)/v1/leads/OLD-1/score").json()
            let firstAge = try #require(first["age_s"] as? Double)
            #expect(first["stale"] as? Bool == false || firstAge >= 0.9, "a score \(firstAge) s old says stale")
            try await Task.sleep(for: .milliseconds(1_200))
            let later = try await HTTPClient.send("GET", "\(base)/v1/leads/OLD-1/score").json()
            #expect(later["stale"] as? Bool == true)
            #expect((later["age_s"] as? Double).map { $0 >= 1 } == true)
        }
    }

    /// Values far beyond any real lead (1e300 page views) are a 422 naming the field, never a crash:
    /// the message's text of the number used to turn it into an `Int`.
    @Test(arguments: ["1e300", "-1e300", "123456789012345.678", "1e15"])
    func hugeValuesAreAProblemNotACrash(_ value: String) async throws {
        try await withGateway { base in
            let body = #"{"lead_id": "huge", "features": {"pricing_page_views": \#(value), "tour_requested": true}}"#
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: body)
            #expect(response.status == 422, "\(response.text)")
            let errors = try #require(try response.json()["errors"] as? [[String: Any]])
            #expect(errors.first?["field"] as? String == "features.pricing_page_views", "\(errors)")
            #expect((errors.first?["message"] as? String)?.isEmpty == false, "\(errors)")
            // The gateway is still there.
            #expect(try await HTTPClient.send("GET", "\(base)/healthz").status == 200)
        }
    }

    @Test func explainFalseSkipsReasonsAndRerankFalseIsSkipped() async throws {
        try await withGateway { base in
            let response = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", json: try exampleLead(extra: #""options": {"explain": false, "rerank": false}"#))
            #expect(response.status == 200, "\(response.text)")
            let body = try response.json()
            #expect(body["reasons"] == nil)
            #expect((body["rerank"] as? [String: Any])?["reason"] as? String == "skipped")
        }
    }

    @Test(arguments: [
        (#"{"lead_id": "a", "features": {"pricing_page_views": "5"}}"#, "features.pricing_page_views"),
        (#"{"lead_id": "a", "features": {"tour_requested": 1}}"#, "features.tour_requested"),
        (#"{"lead_id": "a", "features": {"lead_source": "tv"}}"#, "features.lead_source"),
        (#"{"lead_id": "a", "features": {"call_sentiment": 7}}"#, "features.call_sentiment"),
        (#"{"lead_id": "a", "features": {"listing_views": [1, 2]}}"#, "features.listing_views"),
        (#"{"features": {}}"#, "lead_id"),
        (#"{"lead_id": 12, "features": {}}"#, "lead_id"),
        (#"{"lead_id": "has space", "features": {}}"#, "lead_id"),
        (#"{"lead_id": "a", "features": [1]}"#, "features"),
        (#"{"lead_id": "a", "feature": {}}"#, "feature"),
        (#"{"lead_id": "a", "features": {}, "options": {"rerank": "yes"}}"#, "options.rerank"),
        (#"{"lead_id": "a", "features": {}, "options": {"modle": "x"}}"#, "options.modle"),
        (#"{"lead_id": "a", "features": {}, "options": {"model": "9.9.9"}}"#, "options.model"),
        (#"[1, 2]"#, "(body)"),
    ])
    func invalidInputIsA422NamingTheField(_ body: String, _ field: String) async throws {
        try await withGateway { base in
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: body)
            #expect(response.status == 422, "\(response.text)")
            #expect(response.header("content-type") == "application/problem+json")
            let problem = try response.json()
            #expect(problem["status"] as? Int == 422)
            let errors = try #require(problem["errors"] as? [[String: String]])
            #expect(errors.contains { $0["field"] == field }, "\(errors)")
            #expect((problem["detail"] as? String)?.isEmpty == false)
        }
    }

    @Test func allProblemsOfALeadComeTogether() async throws {
        try await withGateway { base in
            let body = #"{"lead_id": "", "features": {"pricing_page_views": true, "lead_source": 3}, "extra": 1}"#
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: body)
            let fields = Set(try #require(try response.json()["errors"] as? [[String: String]]).compactMap { $0["field"] })
            #expect(fields == ["lead_id", "extra", "features.pricing_page_views", "features.lead_source"])
        }
    }

    @Test func malformedBodiesAndLimits() async throws {
        try await withGateway(yaml: "limits:\n  max_body_bytes: 2000\n  max_notes_chars: 10\n") { base in
            let truncated = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: #"{"lead_id": "a", "#)
            #expect(truncated.status == 400)
            #expect(try truncated.json()["type"] as? String == "urn:leadgate:problem:malformed-json")
            let empty = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: "")
            #expect(empty.status == 400)
            let large = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", json: #"{"lead_id": "a", "features": {}, "notes": "\#(String(repeating: "x", count: 5000))"}"#)
            #expect(large.status == 413)
            #expect(large.header("content-type") == "application/problem+json")
            let notes = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", json: #"{"lead_id": "a", "features": {}, "notes": "far too long for this"}"#)
            #expect(notes.status == 422)
            let form = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array("a=b".utf8))
            #expect(form.status == 415)
            let route = try await HTTPClient.send("GET", "\(base)/v1/nothing")
            #expect(route.status == 404)
            #expect(route.header("content-type") == "application/problem+json")
            // The server still serves after all of that.
            let ok = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: #"{"lead_id": "a", "features": {}}"#)
            #expect(ok.status == 200)
        }
    }

    @Test func unknownFieldsWarnByDefaultAndCanBeRejected() async throws {
        let body = #"{"lead_id": "a", "features": {"pricing_page_views": 2, "favourite_colour": "red"}}"#
        try await withGateway { base in
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: body)
            #expect(response.status == 200)
            let warnings = try #require(try response.json()["warnings"] as? [[String: String]])
            #expect(warnings.first?["field"] == "features.favourite_colour")
        }
        try await withGateway(yaml: "limits:\n  unknown_fields: reject\n") { base in
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: body)
            #expect(response.status == 422)
        }
    }

    @Test func requestIDIsEchoedWhenSafe() async throws {
        try await withGateway { base in
            let mine = try await HTTPClient.send("GET", "\(base)/healthz", headers: ["X-Request-Id": "crm-42.a_b"])
            #expect(mine.header("x-request-id") == "crm-42.a_b")
            let unsafe = try await HTTPClient.send("GET", "\(base)/healthz", headers: ["X-Request-Id": "bad id <script>"])
            #expect(unsafe.header("x-request-id") != "bad id <script>")
        }
    }
}
