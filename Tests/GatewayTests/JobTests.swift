import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Synchronization
import TestSupport
import Testing

/// Async scores and bulk jobs through a real gateway on a real redis-server: NDJSON and CSV
/// uploads, results in input order equal to a batch of the same leads, idempotent retries, progress
/// events, cancelling, re-scoring stored leads, async scores with a signed callback.
@Suite struct JobTests {
    static func yaml(_ redis: RedisServer, concurrency: Int = 2, chunk: Int = 100, extra: String = "") -> String {
        "redis:\n  url: \(redis.url())\njobs:\n  chunk_size: \(chunk)\n  concurrency: \(concurrency)\n  claim_after_s: 2\n" + extra
    }

    /// `count` leads (the example lead with varied fields), one JSON object per line.
    static func leads(_ count: Int, prefix: String = "J") -> [String] {
        (0..<count).map { i in
            #"{"lead_id":"\#(prefix)-\#(i)","features":{"pricing_page_views":\#(i % 11),"listing_views":\#(i % 37),"tour_requested":\#(i % 3 == 0),"lead_source":"\#(["zillow", "referral", "website"][i % 3])","days_since_last_activity":\#(i % 20)}}"#
        }
    }

    /// Waits until the job ends; its final state.
    static func finished(_ base: String, _ id: String, seconds: Double = 60) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let state = try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)").json()
            if ["succeeded", "failed", "cancelled"].contains(state["status"] as? String ?? "") { return state }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HTTPClientError(message: "job \(id) did not end in \(seconds) s")
    }

    static func ndjson(_ response: HTTPResponse) throws -> [[String: Any]] {
        try response.text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func anNDJSONJobMatchesABatchOfTheSameLeadsInInputOrder() async throws {
        let redis = try RedisServer()
        try await withGateway(yaml: Self.yaml(redis)) { base in
            var lines = Self.leads(450)
            lines.insert("this is not JSON", at: 120)
            lines.insert(#"{"lead_id":"bad-type","features":{"tour_requested":"maybe"}}"#, at: 300)
            let body = Array((lines.joined(separator: "\r\n") + "\n\n").utf8)
            let submitted = try await HTTPClient.send(
                "POST", "\(base)/v1/jobs?rerank=false", headers: ["Content-Type": "application/x-ndjson"], body: body)
            #expect(submitted.status == 202, "\(submitted.text)")
            let job = try submitted.json()
            let id = try #require(job["id"] as? String)
            #expect(submitted.header("Location") == "/v1/jobs/\(id)")
            #expect(job["total"] as? Int == 452)
            #expect(job["input_complete"] as? Bool == true)

            let state = try await Self.finished(base, id)
            #expect(state["status"] as? String == "succeeded")
            #expect(state["done"] as? Int == 452)
            #expect(state["failed"] as? Int == 2)
            #expect(state["scored"] as? Int == 450)

            let results = try Self.ndjson(try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)/results"))
            #expect(results.count == 452)
            #expect(results.map { $0["index"] as? Int } == Array(0..<452).map { $0 })
            let notJSON = results[120]
            #expect(notJSON["lead_id"] is NSNull)
            #expect(((notJSON["error"] as? [String: Any])?["detail"] as? String)?.contains("line 121") == true)
            let badType = results[300]
            #expect(badType["lead_id"] as? String == "bad-type")
            #expect(((badType["error"] as? [String: Any])?["status"] as? Int) == 422)

            // The same leads as batches (of at most the batch limit) give the same scores and badges.
            let good = results.filter { $0["error"] == nil }
            let batch = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/batch-score", json: #"{"leads":[\#(Self.leads(450).joined(separator: ","))],"options":{"rerank":false}}"#)
            let expected = try #require(try batch.json()["results"] as? [[String: Any]])
            #expect(good.count == expected.count)
            for (got, want) in zip(good, expected) {
                #expect(got["lead_id"] as? String == want["lead_id"] as? String)
                #expect(got["score"] as? Int == want["score"] as? Int)
                #expect(got["badge"] as? String == want["badge"] as? String)
                #expect(got["probability"] as? Double == want["probability"] as? Double)
            }

            // CSV results: a header and one row per lead, the same order.
            let csv = try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)/results", headers: ["Accept": "text/csv"])
            #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
            let rows = csv.text.split(separator: "\n")
            #expect(rows.count == 453)
            #expect(rows.first?.hasPrefix("index,lead_id,score,badge") == true)
            #expect(rows[1].hasPrefix("0,J-0,\(good[0]["score"] as? Int ?? -1),"))

            // Progress events of a finished job: `done` at once.
            let events = try await HTTPClient.stream("\(base)/v1/jobs/\(id)/events", timeoutMS: 5_000) { $0.contains("event: done") }
            #expect(events.text.contains("event: done"))
            #expect(events.text.contains(#""status":"succeeded""#))

            // A finished job cannot be cancelled; an unknown one is 404.
            let cancel = try await HTTPClient.send("DELETE", "\(base)/v1/jobs/\(id)")
            #expect(cancel.status == 409)
            #expect(try await HTTPClient.send("GET", "\(base)/v1/jobs/0000-unknown").status == 404)
            #expect(try await HTTPClient.send("GET", "\(base)/v1/jobs/0000-unknown/results").status == 404)
        }
    }

    @Test func aCSVJobReadsFieldsByNameOrLabelAndLeavesOtherColumnsOut() async throws {
        let redis = try RedisServer()
        try await withGateway(yaml: Self.yaml(redis)) { base in
            let csv = """
                lead_id,Pricing page views,tour_requested,lead_source,email,notes
                C-1,6,yes,zillow,someone@example.com,"Wants a yard, and
                a garage"
                C-2,not-a-number,no,referral,x@example.com,
                C-3,2,true,website,,short

                """
            let submitted = try await HTTPClient.send("POST", "\(base)/v1/jobs", headers: ["Content-Type": "text/csv"], body: Array(csv.utf8))
            #expect(submitted.status == 202, "\(submitted.text)")
            let id = try #require(try submitted.json()["id"] as? String)
            let state = try await Self.finished(base, id)
            #expect(state["total"] as? Int == 3)
            #expect(state["failed"] as? Int == 1)
            let results = try Self.ndjson(try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)/results"))
            #expect(results.map { $0["lead_id"] as? String } == ["C-1", "C-2", "C-3"])
            // The first record scores as the same lead sent as JSON: the label column was read.
            let same = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/score",
                json:
                    #"{"lead_id":"C-1","features":{"pricing_page_views":6,"tour_requested":true,"lead_source":"zillow"},"notes":"Wants a yard, and\na garage"}"#
            )
            #expect(results[0]["probability"] as? Double == (try same.json()["probability"] as? Double))
            #expect(results[0]["score"] as? Int == (try same.json()["score"] as? Int))
            let error = try #require(results[1]["error"] as? [String: Any])
            #expect((error["detail"] as? String)?.contains("features.pricing_page_views") == true)

            // A header with no field of the model: 422 at once, naming the fix.
            let wrong = try await HTTPClient.send(
                "POST", "\(base)/v1/jobs", headers: ["Content-Type": "text/csv"], body: Array("name,email\nA,a@b.c\n".utf8))
            #expect(wrong.status == 422)
            #expect(try wrong.json()["type"] as? String == "urn:leadgate:problem:csv-no-fields")
        }
    }

    @Test func anIdempotencyKeyReturnsTheSameJobAndProblemsNameTheFix() async throws {
        let redis = try RedisServer()
        try await withGateway(yaml: Self.yaml(redis)) { base in
            let body = Array(Self.leads(10).joined(separator: "\n").utf8)
            let headers = ["Content-Type": "application/x-ndjson", "Idempotency-Key": "import-2026-12-07"]
            let first = try await HTTPClient.send("POST", "\(base)/v1/jobs?explain=false", headers: headers, body: body)
            let again = try await HTTPClient.send("POST", "\(base)/v1/jobs?explain=false", headers: headers, body: body)
            #expect(first.status == 202)
            #expect(again.status == 200)
            #expect(again.header("Idempotent-Replayed") == "true")
            #expect(try first.json()["id"] as? String == again.json()["id"] as? String)

            let unknownOption = try await HTTPClient.send("POST", "\(base)/v1/jobs?explian=false", headers: headers, body: body)
            #expect(unknownOption.status == 422)
            #expect(unknownOption.text.contains("explian"))
            let badType = try await HTTPClient.send("POST", "\(base)/v1/jobs", headers: ["Content-Type": "application/xml"], body: body)
            #expect(badType.status == 415)
            let empty = try await HTTPClient.send(
                "POST", "\(base)/v1/jobs", headers: ["Content-Type": "application/x-ndjson"], body: Array("\n\n".utf8))
            #expect(empty.status == 422)
            let noIDs = try await HTTPClient.send("POST", "\(base)/v1/jobs", json: #"{"lead_ids": []}"#)
            #expect(noIDs.status == 422)
        }
    }

    @Test func aJobOfStoredLeadIDsScoresTheirStoredInputsAgain() async throws {
        let redis = try RedisServer()
        try await withGateway(yaml: Self.yaml(redis)) { base in
            let leads = Self.leads(5, prefix: "S")
            _ = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/batch-score", json: #"{"leads":[\#(leads.joined(separator: ","))],"options":{"rerank":false}}"#)
            let submitted = try await HTTPClient.send(
                "POST", "\(base)/v1/jobs", json: #"{"lead_ids":["S-0","S-1","S-2","S-3","S-4","never-seen"],"options":{"rerank":false}}"#)
            #expect(submitted.status == 202, "\(submitted.text)")
            let id = try #require(try submitted.json()["id"] as? String)
            let state = try await Self.finished(base, id)
            #expect(state["done"] as? Int == 6)
            #expect(state["failed"] as? Int == 1)
            let results = try Self.ndjson(try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)/results"))
            #expect(results.prefix(5).map { $0["lead_id"] as? String } == ["S-0", "S-1", "S-2", "S-3", "S-4"])
            #expect(((results[5]["error"] as? [String: Any])?["detail"] as? String)?.contains("never-seen") == true)
        }
    }

    @Test func aJobNoConsumerTookCanBeCancelledAndThenHasNoResults() async throws {
        let redis = try RedisServer()
        // A gateway that only takes jobs in (jobs.concurrency 0): nothing scores them.
        try await withGateway(yaml: Self.yaml(redis, concurrency: 0)) { base in
            let body = Array(Self.leads(250).joined(separator: "\n").utf8)
            let submitted = try await HTTPClient.send("POST", "\(base)/v1/jobs", headers: ["Content-Type": "application/x-ndjson"], body: body)
            let id = try #require(try submitted.json()["id"] as? String)
            try await Task.sleep(for: .milliseconds(300))
            let pending = try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)").json()
            #expect(pending["status"] as? String == "pending")
            let early = try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)/results")
            #expect(early.status == 409)
            let status = try await HTTPClient.send("GET", "\(base)/v1/leads/score/\(id)/status").json()
            #expect(status["status"] as? String == "PENDING")
            let cancelled = try await HTTPClient.send("DELETE", "\(base)/v1/jobs/\(id)")
            #expect(cancelled.status == 200)
            #expect(try cancelled.json()["status"] as? String == "cancelled")
            let results = try await HTTPClient.send("GET", "\(base)/v1/jobs/\(id)/results")
            #expect(results.status == 200)
            #expect(results.body.isEmpty)
            #expect(try await HTTPClient.send("GET", "\(base)/v1/leads/score/\(id)/status").json()["status"] as? String == "FAILED")
        }
    }

    @Test func anAsyncScoreAnswers202AndPostsTheSignedResultToItsCallback() async throws {
        let redis = try RedisServer()
        let received = Mutex<[(body: String, signature: String?)]>([])
        let router = Router()
        router.post("/callback") { request, _ in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            received.withLock { $0.append((String(buffer: buffer), request.headers[HTTPField.Name("X-LeadGate-Signature")!])) }
            return Response(status: .ok)
        }
        try await withLoopbackServer(router, label: "callback") { hooks in
            try await withGateway(yaml: Self.yaml(redis), environment: ["LEADGATE_WEBHOOK_SECRET": "callback-secret-0123456789"]) { base in
                let lead = try exampleLead(id: "A-1", extra: #""options": {"rerank": false, "callback_url": "\#(hooks)/callback"}"#)
                let accepted = try await HTTPClient.send("POST", "\(base)/v1/leads/score", headers: ["Prefer": "respond-async"], json: lead)
                #expect(accepted.status == 202, "\(accepted.text)")
                #expect(accepted.header("Preference-Applied") == "respond-async")
                let id = try #require(try accepted.json()["id"] as? String)
                #expect(accepted.header("Location") == "/v1/jobs/\(id)")
                var status: [String: Any] = [:]
                for _ in 0..<400 {
                    status = try await HTTPClient.send("GET", "\(base)/v1/leads/score/\(id)/status").json()
                    if status["status"] as? String != "PENDING" { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(status["status"] as? String == "SUCCESS")
                let result = try #require(status["result"] as? [String: Any])
                #expect(result["lead_id"] as? String == "A-1")
                let sync = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/score", json: try exampleLead(id: "A-1", extra: #""options": {"rerank": false}"#))
                #expect(result["score"] as? Int == (try sync.json()["score"] as? Int))
                for _ in 0..<500 where received.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
                let hit = try #require(received.withLock { $0.first })
                #expect(hit.body.contains(#""status":"SUCCESS""#))
                #expect(hit.body.contains(#""lead_id":"A-1""#))
                #expect(hit.signature?.hasPrefix("t=") == true)

                // `options.async` does the same; an invalid lead is refused at once, not queued.
                let viaOption = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/score", json: try exampleLead(id: "A-2", extra: #""options": {"async": true}"#))
                #expect(viaOption.status == 202)
                let invalid = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/score", headers: ["Prefer": "respond-async"],
                    json: #"{"lead_id":"A-3","features":{"tour_requested":"maybe"}}"#)
                #expect(invalid.status == 422)
                let syncCallback = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/score", json: try exampleLead(id: "A-4", extra: #""options": {"callback_url": "\#(hooks)/callback"}"#))
                // A callback URL alone makes the score async too (its result comes later).
                #expect(syncCallback.status == 202)
            }
        }
    }

    @Test func withoutRedisJobsAnswer503NamingTheSetting() async throws {
        try await withGateway { base in
            let job = try await HTTPClient.send(
                "POST", "\(base)/v1/jobs", headers: ["Content-Type": "application/x-ndjson"], body: Array("{}\n".utf8))
            #expect(job.status == 503)
            #expect(job.text.contains("LEADGATE_REDIS_URL"))
            let async = try await HTTPClient.send("POST", "\(base)/v1/leads/score", headers: ["Prefer": "respond-async"], json: try exampleLead())
            #expect(async.status == 503)
            // The synchronous score is not affected.
            #expect(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead()).status == 200)
        }
    }
}
