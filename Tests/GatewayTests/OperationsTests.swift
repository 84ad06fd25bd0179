import Foundation
import Testing

/// Batch scoring, the model list, metrics, health, the OpenAPI document and model reloads.
@Suite struct OperationsTests {
    static func batchBody(count: Int, badEvery: Int = 0) -> String {
        var leads: [String] = []
        for i in 0..<count {
            if badEvery > 0, i % badEvery == badEvery - 1 {
                leads.append(#"{"lead_id": "b-\#(i)", "features": {"pricing_page_views": "many"}}"#)
            } else {
                leads.append(
                    #"{"lead_id": "b-\#(i)", "features": {"pricing_page_views": \#(i % 13), "listing_views": \#(i % 90), "tour_requested": \#(i % 3 == 0), "lead_source": "referral", "property_type": "condo", "days_since_last_activity": \#(i % 40)}}"#
                )
            }
        }
        return #"{"leads": [\#(leads.joined(separator: ","))]}"#
    }

    @Test func batchScoresEveryLeadAndReportsBadOnes() async throws {
        try await withGateway { base in
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: Self.batchBody(count: 500, badEvery: 100))
            #expect(response.status == 200, "\(response.text.prefix(300))")
            let body = try response.json()
            #expect(body["count"] as? Int == 500)
            #expect(body["scored"] as? Int == 495)
            #expect(body["failed"] as? Int == 5)
            let results = try #require(body["results"] as? [[String: Any]])
            #expect(results.count == 500)
            for (i, result) in results.enumerated() {
                #expect(result["lead_id"] as? String == "b-\(i)")
                if i % 100 == 99 {
                    let error = try #require(result["error"] as? [String: Any])
                    #expect(result["index"] as? Int == i)
                    #expect(error["status"] as? Int == 422)
                    #expect((error["errors"] as? [[String: String]])?.first?["field"] == "features.pricing_page_views")
                } else {
                    #expect(result["score"] is Int)
                }
            }
            // The batch wrote live scores, identical to a single score of the same lead.
            let live = try await HTTPClient.send("GET", "\(base)/v1/leads/b-7/score")
            #expect(live.status == 200)
            let single = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score",
                json:
                    #"{"lead_id": "b-7", "features": {"pricing_page_views": 7, "listing_views": 7, "tour_requested": false, "lead_source": "referral", "property_type": "condo", "days_since_last_activity": 7}}"#
            )
            #expect(try single.json()["probability"] as? Double == (try live.json()["probability"] as? Double))
        }
    }

    @Test func expectContinueIsAnswered() async throws {
        try await withGateway { base in
            let response = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/batch-score", headers: ["Content-Type": "application/json", "Expect": "100-continue"],
                body: Array(Self.batchBody(count: 20).utf8))
            #expect(response.status == 200)
            #expect(response.statusLines.first?.contains(" 100") == true, "\(response.statusLines)")
        }
    }

    @Test func batchLimits() async throws {
        try await withGateway(yaml: "limits:\n  max_batch_leads: 10\n") { base in
            let tooMany = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: Self.batchBody(count: 11))
            #expect(tooMany.status == 413)
            #expect(try tooMany.json()["type"] as? String == "urn:leadgate:problem:batch-too-large")
            let empty = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: #"{"leads": []}"#)
            #expect(empty.status == 422)
            let missing = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: #"{"lead": []}"#)
            #expect(missing.status == 422)
            let notList = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: #"{"leads": {"a": 1}}"#)
            #expect(notList.status == 422)
            let mixed = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: #"{"leads": [1, {"lead_id": "ok", "features": {}}]}"#)
            #expect(mixed.status == 200)
            #expect(try mixed.json()["failed"] as? Int == 1)
        }
    }

    @Test func modelsListTheSchema() async throws {
        try await withGateway { base in
            let body = try await HTTPClient.send("GET", "\(base)/v1/models").json()
            let models = try #require(body["models"] as? [[String: Any]])
            #expect(models.count == 1)
            let model = models[0]
            #expect(model["id"] as? String == "realestate")
            #expect(model["roles"] as? [String] == ["default"])
            let fields = try #require(model["fields"] as? [[String: Any]])
            #expect(fields.count == 13)
            let type = try #require(fields.first { $0["name"] as? String == "property_type" })
            #expect((type["values"] as? [String])?.contains("condo") == true)
        }
    }

    @Test func metricsCountRequestsScoresAndModels() async throws {
        try await withGateway { base in
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: #"{"lead_id": "x"}"#)
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: #"{"lead_id": "x", "features": {"tour_requested": 3}}"#)
            let metrics = try await HTTPClient.send("GET", "\(base)/metrics")
            #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(text.contains(#"leadgate_http_requests_total{method="POST",route="/v1/leads/score",status="200"} 2"#), "\(text.prefix(600))")
            #expect(text.contains(#"leadgate_http_requests_total{method="POST",route="/v1/leads/score",status="422"} 1"#))
            #expect(text.contains(#"leadgate_http_request_duration_seconds_bucket{method="POST",route="/v1/leads/score",status="200",le="+Inf"} 2"#))
            #expect(text.contains(#"leadgate_model_info{model="realestate",version="2026.11.0",role="default",library="xgboost""#))
            #expect(text.contains("leadgate_invalid_leads_total 1"))
            let badges = text.split(separator: "\n").filter { $0.hasPrefix("leadgate_scores_total{") }
            #expect(badges.compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +) == 2)
        }
    }

    @Test func healthReadinessAndOpenAPI() async throws {
        try await withGateway { base in
            #expect(try await HTTPClient.send("GET", "\(base)/healthz").status == 200)
            let ready = try await HTTPClient.send("GET", "\(base)/readyz").json()
            #expect(ready["status"] as? String == "ready")
            #expect(ready["default_model"] as? String == "realestate@2026.11.0")
            let document = try await HTTPClient.send("GET", "\(base)/openapi.json").json()
            #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            for (method, path, _, _) in AuthTests.routes {
                let template = path.replacingOccurrences(of: "/auth-1/", with: "/{lead_id}/").replacingOccurrences(of: "/auth-9", with: "/{lead_id}")
                    .replacingOccurrences(of: "/auth-8/", with: "/{lead_id}/").replacingOccurrences(of: "/auth-6/", with: "/{lead_id}/")
                    .replacingOccurrences(of: "/v1/decisions/auth-unknown:0", with: "/v1/decisions/{id}")
                #expect(paths[template]?[method.lowercased()] != nil, "\(method) \(template) is not documented")
            }
            #expect(paths["/v1/leads/{lead_id}/score/stream"]?["get"] != nil, "the score stream is not documented")
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await withGateway { base in
            let models = try await HTTPClient.send("POST", "\(base)/v1/models", json: "{}")
            #expect(models.status == 405)
            #expect(models.header("allow") == "GET")
            #expect(models.header("content-type") == "application/problem+json")
            #expect(try models.json()["type"] as? String == "urn:leadgate:problem:method-not-allowed")
            // A path with a parameter: the lead's live score is read with GET only.
            let live = try await HTTPClient.send("PUT", "\(base)/v1/leads/L-1/score", json: "{}")
            #expect(live.status == 405)
            #expect(live.header("allow") == "GET")
            // A literal segment wins over a parameter, as in the router: /v1/leads/prewarm takes POST
            // only (DELETE there is not the erasure of a lead called `prewarm`).
            let prewarm = try await HTTPClient.send("GET", "\(base)/v1/leads/prewarm")
            #expect(prewarm.status == 405)
            #expect(prewarm.header("allow") == "POST")
            #expect(try await HTTPClient.send("DELETE", "\(base)/v1/leads/prewarm").status == 405)
            // An unknown path stays a 404.
            let unknown = try await HTTPClient.send("GET", "\(base)/v1/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.header("allow") == nil)
        }
    }

    @Test func adminReloadSwapsModels() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-models-\(UUID().uuidString)")
        let folder = dir.appendingPathComponent("realestate")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Paths.models.appendingPathComponent("realestate")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.json"), to: folder.appendingPathComponent("model.json"))
        let manifest = try String(contentsOf: source.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        try manifest.write(to: folder.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        try await withGateway(yaml: "models:\n  directory: \(dir.path)\n") { base in
            try manifest.replacingOccurrences(of: "version: \"2026.11.0\"", with: "version: \"2026.11.9\"").write(
                to: folder.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
            let reload = try await HTTPClient.send("POST", "\(base)/v1/admin/models/reload")
            #expect(reload.status == 200, "\(reload.text)")
            #expect(try reload.json()["models"] as? [String] == ["realestate@2026.11.9"])
            let scored = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
            #expect((try scored.json()["model"] as? [String: Any])?["version"] as? String == "2026.11.9")
            // A broken edit keeps the last good model and says why.
            try "fields: [".write(to: folder.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
            let broken = try await HTTPClient.send("POST", "\(base)/v1/admin/models/reload")
            #expect(broken.status == 200)
            #expect(try broken.json()["status"] as? String == "reloaded_with_problems")
            let still = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
            #expect(still.status == 200)
            #expect((try still.json()["model"] as? [String: Any])?["version"] as? String == "2026.11.9")
        }
    }
}
