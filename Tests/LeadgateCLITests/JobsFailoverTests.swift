import Foundation
import TestSupport
import Testing

/// Two `leadgate serve` processes on one real redis-server: a job of 20,000 leads, one gateway
/// killed with SIGKILL while it holds chunks; the other claims them and finishes the job. The
/// results hold each lead exactly once and equal a batch of the same leads.
@Suite(.serialized) struct JobsFailoverTests {
    static func leads(_ count: Int) -> [String] {
        (0..<count).map { i in
            #"{"lead_id":"F-\#(i)","features":{"pricing_page_views":\#(i % 13),"listing_views":\#(i % 41),"saved_listings":\#(i % 7),"tour_requested":\#(i % 4 == 0),"lead_source":"\#(["zillow", "referral", "website", "open_house"][i % 4])","days_since_last_activity":\#(i % 30)}}"#
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func redisCLI(_ redis: RedisServer, _ arguments: [String]) throws -> String {
        try LeadgateCLITests.runTool("/usr/bin/env", ["redis-cli", "-p", String(redis.port)] + arguments).stdout
    }

    @Test func aGatewayKilledMidJobLosesNothingAndDuplicatesNothing() throws {
        let redis = try RedisServer()
        let config = try LeadgateCLITests.temporaryFile(
            "jobs.yaml",
            """
            models:
              directory: \(LeadgateCLITests.root.appendingPathComponent("config/models").path)
            jobs:
              chunk_size: 250
              concurrency: 2
              claim_after_s: 2
            """)
        let environment = ["LEADGATE_REDIS_URL": redis.url()]
        let survivor = try ServeTests.Server(arguments: ["--config", config.path], environment: environment)
        let victim = try ServeTests.Server(arguments: ["--config", config.path], environment: environment)

        let count = 20_000
        let leads = Self.leads(count)
        let file = try LeadgateCLITests.temporaryFile("failover.ndjson", leads.joined(separator: "\n") + "\n")
        let submitted = try ServeTests.curl([
            "-X", "POST", "-H", "Content-Type: application/x-ndjson", "--data-binary", "@\(file.path)",
            survivor.url("/v1/jobs?rerank=false&explain=false").absoluteString,
        ])
        #expect(submitted.status == 202, "\(submitted.body)")
        let id = try #require(try Self.json(submitted.body)["id"] as? String)

        // Kill the victim while the job runs and it holds chunks it has not acknowledged.
        var killedHolding = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let state = try Self.json(try ServeTests.curl([survivor.url("/v1/jobs/\(id)").absoluteString]).body)
            let done = state["done"] as? Int ?? 0
            // The summary lists each consumer with its pending count; a consumer's name holds its pid.
            let lines = try Self.redisCLI(redis, ["XPENDING", "leadgate:jobs:stream", "workers"]).split(separator: "\n").map(String.init)
            let mark = "-\(victim.process.processIdentifier)-"
            let holding = lines.firstIndex { $0.contains(mark) }.flatMap { $0 + 1 < lines.count ? Int(lines[$0 + 1]) : nil } ?? 0
            if done >= 1_000, holding > 0 {
                kill(victim.process.processIdentifier, SIGKILL)
                killedHolding = holding
                break
            }
            usleep(50_000)
        }
        #expect(killedHolding > 0, "the victim was killed holding no chunk; the claim path was not exercised")
        _ = victim.waitForExit(seconds: 5)

        var final: [String: Any] = [:]
        let end = Date().addingTimeInterval(120)
        while Date() < end {
            final = try Self.json(try ServeTests.curl([survivor.url("/v1/jobs/\(id)").absoluteString]).body)
            if final["status"] as? String != "running", final["status"] as? String != "pending" { break }
            usleep(200_000)
        }
        #expect(final["status"] as? String == "succeeded", "\(final)")
        #expect(final["done"] as? Int == count)
        #expect(final["failed"] as? Int == 0)

        let results = try ServeTests.curl([survivor.url("/v1/jobs/\(id)/results").absoluteString])
        let lines = results.body.split(separator: "\n")
        #expect(lines.count == count)
        var seen = Set<String>()
        var scored: [(id: String, score: Int, probability: Double)] = []
        for (i, line) in lines.enumerated() {
            let object = try Self.json(String(line))
            #expect(object["index"] as? Int == i)
            let lead = try #require(object["lead_id"] as? String)
            #expect(seen.insert(lead).inserted, "\(lead) appears twice")
            scored.append((lead, object["score"] as? Int ?? -1, object["probability"] as? Double ?? -1))
        }
        #expect(seen.count == count)

        // The survivor claimed the victim's chunks (XAUTOCLAIM), and none is left pending.
        let metrics = try ServeTests.curl([survivor.url("/metrics").absoluteString]).body
        let claimed = metrics.split(separator: "\n").first { $0.hasPrefix("leadgate_job_chunks_claimed_total ") }
        #expect(claimed.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0 > 0, "\(claimed ?? "no claim metric")")
        #expect(try Self.redisCLI(redis, ["XPENDING", "leadgate:jobs:stream", "workers"]).hasPrefix("0"))

        // The same leads as two batches give the same scores.
        var expected: [[String: Any]] = []
        for half in [leads[0..<10_000], leads[10_000..<count]] {
            let body = try LeadgateCLITests.temporaryFile(
                "half.json", #"{"leads":[\#(half.joined(separator: ","))],"options":{"rerank":false,"explain":false}}"#)
            let batch = try ServeTests.curl([
                "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@\(body.path)",
                survivor.url("/v1/leads/batch-score").absoluteString,
            ])
            expected += try #require(try Self.json(batch.body)["results"] as? [[String: Any]])
        }
        #expect(expected.count == count)
        var mismatches = 0
        for (got, want) in zip(scored, expected)
        where got.id != want["lead_id"] as? String || got.score != want["score"] as? Int || got.probability != want["probability"] as? Double {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }
}
