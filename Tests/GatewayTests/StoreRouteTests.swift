import Foundation
import Synchronization
import TestSupport
import Testing

final class LoopState: Sendable {
    let failures = Box<[String]>([])
    let statuses = Box<[String: Int]>([:])
    let stop = Box(false)
}

final class Box<T: Sendable>: Sendable {
    private let value: Mutex<T>
    init(_ value: T) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
}

/// The store behind the routes: the answer cache, single-flight, live scores in Redis, erasure,
/// and Redis going away and coming back. Redis is a real redis-server on a free loopback port.
@Suite(.serialized) struct StoreRouteTests {
    /// Whether Redis holds `key` (asked with redis-cli, beside the gateways).
    static func redisHas(_ key: String, _ redis: RedisServer) -> Bool {
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cli.arguments = ["redis-cli", "-p", String(redis.port), "EXISTS", key]
        let pipe = Pipe()
        cli.standardOutput = pipe
        guard (try? cli.run()) != nil else { return false }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        cli.waitUntilExit()
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    static func yaml(llm: String?, redis: RedisServer? = nil, lock: Bool = false, timeoutMS: Int = 500) -> String {
        var text = ""
        if let llm {
            let prompt = Paths.repositoryRoot.appendingPathComponent("prompts/lead-adjust.prompt").path
            text += "llm:\n  base_url: \(llm)\n  prompt: \(prompt)\n  timeout_ms: \(timeoutMS)\n  breaker:\n    consecutive_failures: 0\n"
        }
        if let redis {
            text += "redis:\n  url: \(redis.url())\n  lookup_timeout_ms: 50\n  connect_timeout_ms: 100\n  command_timeout_ms: 200\n  lock: \(lock)\n"
        }
        return text
    }

    static func rerank(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(try response.json()["rerank"] as? [String: Any])
    }

    @Test func aRepeatedLeadIsAnsweredFromTheCacheInMemory() async throws {
        try await withMockLLM({ _, _ in .adjustment(1.1) }) { llm, log in
            try await withGateway(yaml: Self.yaml(llm: llm)) { base in
                let first = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
                #expect(try Self.rerank(first)["status"] as? String == "applied")
                let second = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead())
                let rerank = try Self.rerank(second)
                #expect(rerank["status"] as? String == "cached")
                #expect(rerank["multiplier"] as? Double == 1.1)
                #expect(try second.json()["score"] as? Int == (try first.json()["score"] as? Int))
                #expect(log.requests.count == 1)
                // Another lead (other notes) is not a hit.
                let other = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "L-2"))
                #expect(try Self.rerank(other)["status"] as? String == "applied")
                #expect(log.requests.count == 2)
                let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
                #expect(metrics.contains(#"leadgate_rerank_total{status="cached",reason="",prompt="lead-adjust@1"} 1"#))
                #expect(metrics.contains(#"leadgate_cache_lookups_total{result="hit"} 1"#))
                #expect(metrics.contains(#"leadgate_store_up{kind="memory"} 1"#))
            }
        }
    }

    @Test func concurrentIdenticalRequestsMakeOneCall() async throws {
        try await withMockLLM({ _, _ in .adjustment(1.05, delay: .milliseconds(200)) }) { llm, log in
            try await withGateway(yaml: Self.yaml(llm: llm)) { base in
                let body = try exampleLead(id: "SAME-1")
                let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            try Self.rerank(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: body))["status"] as? String ?? ""
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(log.requests.count == 1)
                #expect(statuses.allSatisfy { $0 == "applied" || $0 == "cached" }, "\(statuses)")
                let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
                #expect(metrics.contains("leadgate_llm_calls_shared_total"))
            }
        }
    }

    @Test func gatewaysSharingRedisShareAnswersLiveScoresAndOneCall() async throws {
        let redis = try RedisServer()
        try await withMockLLM({ _, _ in .adjustment(0.9, delay: .milliseconds(150)) }) { llm, log in
            try await withGateway(yaml: Self.yaml(llm: llm, redis: redis, lock: true)) { one in
                try await withGateway(yaml: Self.yaml(llm: llm, redis: redis, lock: true)) { two in
                    // A burst of identical leads across both gateways: one LLM call.
                    let body = try exampleLead(id: "BURST-1")
                    let statuses = try await withThrowingTaskGroup(of: String.self) { group in
                        for i in 0..<10 {
                            let base = i % 2 == 0 ? one : two
                            group.addTask {
                                try Self.rerank(try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: body))["status"] as? String ?? ""
                            }
                        }
                        return try await group.reduce(into: [String]()) { $0.append($1) }
                    }
                    #expect(log.requests.count == 1, "\(statuses)")
                    #expect(statuses.allSatisfy { $0 == "applied" || $0 == "cached" }, "\(statuses)")
                    // The live score written by one is read by the other.
                    let scored = try await HTTPClient.send("POST", "\(one)/v1/leads/score", json: try exampleLead(id: "LIVE-1"))
                    let live = try await HTTPClient.send("GET", "\(two)/v1/leads/LIVE-1/score")
                    #expect(live.status == 200)
                    #expect(live.text.hasSuffix(String(scored.text.dropFirst())))
                }
            }
        }
    }

    @Test func erasingALeadRemovesEveryKeyItHad() async throws {
        let redis = try RedisServer()
        try await withMockLLM({ _, _ in .adjustment(1.1) }) { llm, _ in
            try await withGateway(yaml: Self.yaml(llm: llm, redis: redis)) { base in
                _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "ERASE-ME"))
                _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "KEEP-ME"))
                // Writes happen after the response: wait until they land.
                var ready = false
                for _ in 0..<100 where !ready {
                    ready = (try await HTTPClient.send("GET", "\(base)/v1/leads/ERASE-ME/score")).status == 200
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await Task.sleep(for: .milliseconds(100))
                let response = try await HTTPClient.send("DELETE", "\(base)/v1/leads/ERASE-ME")
                #expect(response.status == 200, "\(response.text)")
                let body = try response.json()
                let removed = try #require(body["removed"] as? [String])
                #expect(removed.first == "leadgate:live:ERASE-ME")
                #expect(removed.contains { $0.hasPrefix("leadgate:adj:v1:") })
                #expect(removed.last == "leadgate:lead:ERASE-ME:adj")
                #expect(body["count"] as? Int == removed.count)
                #expect((try await HTTPClient.send("GET", "\(base)/v1/leads/ERASE-ME/score")).status == 404)
                #expect((try await HTTPClient.send("GET", "\(base)/v1/leads/KEEP-ME/score")).status == 200)
                let again = try await HTTPClient.send("DELETE", "\(base)/v1/leads/ERASE-ME")
                #expect(try again.json()["count"] as? Int == 0)
            }
        }
    }

    @Test func redisKilledAndRestartedMidLoadFailsNoRequest() async throws {
        let redis = try RedisServer()
        try await withMockLLM({ _, _ in .adjustment(1.1, delay: .milliseconds(5)) }) { llm, _ in
            try await withGateway(yaml: Self.yaml(llm: llm, redis: redis)) { base in
                let loop = LoopState()
                let failures = loop.failures
                let statuses = loop.statuses
                let stop = loop.stop
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<4 {
                        group.addTask {
                            var n = 0
                            while !stop.withLock({ $0 }) {
                                n += 1
                                let response = try await HTTPClient.send(
                                    "POST", "\(base)/v1/leads/score", json: try exampleLead(id: "LOOP-\(worker)-\(n % 7)"))
                                if response.status != 200 {
                                    failures.withLock { $0.append("\(response.status) \(response.text.prefix(200))") }
                                } else {
                                    let status = (try Self.rerank(response)["status"] as? String) ?? "?"
                                    statuses.withLock { $0[status, default: 0] += 1 }
                                }
                            }
                        }
                    }
                    try await Task.sleep(for: .milliseconds(600))
                    redis.kill()
                    try await Task.sleep(for: .milliseconds(600))
                    let down = try await HTTPClient.send("GET", "\(base)/readyz").json()
                    #expect(down["status"] as? String == "degraded")
                    #expect((down["store"] as? [String: Any])?["up"] as? Bool == false)
                    try redis.start()
                    let back = ContinuousClock.now
                    var up = false
                    while !up, ContinuousClock.now - back < .seconds(2) {
                        let ready = try await HTTPClient.send("GET", "\(base)/readyz").json()
                        up = (ready["store"] as? [String: Any])?["up"] as? Bool == true
                        if !up { try await Task.sleep(for: .milliseconds(20)) }
                    }
                    #expect(up)
                    #expect(ContinuousClock.now - back < .seconds(1), "recovered after \(ContinuousClock.now - back)")
                    try await Task.sleep(for: .milliseconds(400))
                    stop.withLock { $0 = true }
                    try await group.waitForAll()
                }
                #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 }.prefix(3))")
                let counts = statuses.withLock { $0 }
                #expect(counts.values.reduce(0, +) > 50, "\(counts)")
                #expect((counts["cached"] ?? 0) > 0, "\(counts)")
                // Live scores still answer once Redis is back (and were served from this process meanwhile).
                #expect((try await HTTPClient.send("GET", "\(base)/v1/leads/LOOP-0-1/score")).status == 200)
            }
        }
    }

    /// A gateway keeps the live scores it read and serves them without a round trip, while Redis
    /// reports every change of a live key to it: a change or erasure made through another gateway (or
    /// by hand in Redis) reaches it within a message's time.
    @Test func liveScoresReadElsewhereAreKeptNearAndDroppedOnEveryChange() async throws {
        let redis = try RedisServer()
        let yaml = Self.yaml(llm: nil, redis: redis)
        try await withGateway(yaml: yaml) { one in
            try await withGateway(yaml: yaml) { two in
                try await Task.sleep(for: .milliseconds(300))  // both subscribed
                let warm = try await HTTPClient.send(
                    "POST", "\(one)/v1/leads/score", json: try exampleLead(id: "NEAR-1", extra: #""options": {"rerank": false}"#))
                // The live score reaches Redis after the response: wait until it is there, so that
                // gateway two's first read is one read from Redis.
                let deadline = ContinuousClock.now + .seconds(5)
                while !Self.redisHas("leadgate:live:NEAR-1", redis), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                let first = try await HTTPClient.send("GET", "\(two)/v1/leads/NEAR-1/score")
                #expect(try first.json()["badge"] as? String == "warm")
                // Redis stops answering: the copy gateway two read still serves, at once.
                redis.pause()
                let start = ContinuousClock.now
                let near = try await HTTPClient.send("GET", "\(two)/v1/leads/NEAR-1/score")
                #expect(near.status == 200 && ContinuousClock.now - start < .milliseconds(80))
                redis.resume()
                let metrics = try await HTTPClient.send("GET", "\(two)/metrics").text
                #expect(metrics.contains(#"leadgate_live_reads_total{source="near"} 1"#))
                #expect(metrics.contains(#"leadgate_live_reads_total{source="redis"} 1"#))
                #expect(metrics.contains("leadgate_live_tracking 1"))
                // Gateway one changes the score: gateway two's next reads see it within a moment.
                let hot = try await HTTPClient.send("POST", "\(one)/v1/leads/score", json: try WebhookTests.hotLead("NEAR-1"))
                #expect(try hot.json()["badge"] as? String == "hot" && warm.status == 200)
                var seen = ""
                let changed = ContinuousClock.now
                while ContinuousClock.now - changed < .seconds(2) {
                    seen = try await HTTPClient.send("GET", "\(two)/v1/leads/NEAR-1/score").json()["badge"] as? String ?? ""
                    if seen == "hot" { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(seen == "hot")
                #expect(ContinuousClock.now - changed < .milliseconds(250), "the change reached the other gateway's copy")
                // Erased through gateway one: gateway two answers 404, not its copy.
                _ = try await HTTPClient.send("GET", "\(two)/v1/leads/NEAR-1/score")
                #expect((try await HTTPClient.send("DELETE", "\(one)/v1/leads/NEAR-1")).status == 200)
                var status = 0
                for _ in 0..<50 {
                    status = try await HTTPClient.send("GET", "\(two)/v1/leads/NEAR-1/score").status
                    if status == 404 { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(status == 404)
                // Redis restarted (empty): the copies go with the subscription; nothing stale is served.
                _ = try await HTTPClient.send(
                    "POST", "\(one)/v1/leads/score", json: try exampleLead(id: "NEAR-2", extra: #""options": {"rerank": false}"#))
                #expect((try await HTTPClient.send("GET", "\(two)/v1/leads/NEAR-2/score")).status == 200)
                redis.kill()
                try redis.start()
                var after = 0
                for _ in 0..<200 {
                    after = try await HTTPClient.send("GET", "\(two)/v1/leads/NEAR-2/score").status
                    #expect(after != 200, "a copy from before the restart")
                    if after == 404 { break }  // (503 while the pool reconnects)
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(after == 404)
            }
        }
    }

    /// An erasure on one gateway also purges the other gateways' near copies of the lead's cached
    /// answers (Redis reports the deleted keys), instead of leaving them for cache.local_ttl_s.
    @Test func anErasureReachesOtherGatewaysCopiesOfTheAnswers() async throws {
        let redis = try RedisServer()
        try await withMockLLM({ _, _ in .adjustment(1.1) }) { llm, log in
            let yaml = Self.yaml(llm: llm, redis: redis)
            try await withGateway(yaml: yaml) { one in
                try await withGateway(yaml: yaml) { two in
                    try await Task.sleep(for: .milliseconds(300))  // both subscribed
                    let lead = try exampleLead(id: "ERASE-NEAR")
                    #expect(try Self.rerank(try await HTTPClient.send("POST", "\(one)/v1/leads/score", json: lead))["status"] as? String == "applied")
                    // Gateway two reads the answer from Redis, twice (the second from its near copy).
                    for _ in 0..<2 {
                        #expect(
                            try Self.rerank(try await HTTPClient.send("POST", "\(two)/v1/leads/score", json: lead))["status"] as? String == "cached")
                    }
                    #expect(log.requests.count == 1)
                    #expect((try await HTTPClient.send("DELETE", "\(one)/v1/leads/ERASE-NEAR")).status == 200)
                    try await Task.sleep(for: .milliseconds(100))
                    // The answer is gone everywhere: gateway two asks the LLM again.
                    let again = try Self.rerank(try await HTTPClient.send("POST", "\(two)/v1/leads/score", json: lead))
                    #expect(again["status"] as? String == "applied")
                    #expect(log.requests.count == 2)
                }
            }
        }
    }

    @Test func aLiveScoreIsServedFromTheProcessWhileRedisIsDown() async throws {
        let redis = try RedisServer()
        try await withGateway(yaml: Self.yaml(llm: nil, redis: redis)) { base in
            let scored = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try exampleLead(id: "MINE"))
            redis.kill()
            let live = try await HTTPClient.send("GET", "\(base)/v1/leads/MINE/score")
            #expect(live.status == 200)
            #expect(live.text.hasSuffix(String(scored.text.dropFirst())))
            let unknown = try await HTTPClient.send("GET", "\(base)/v1/leads/NEVER-SEEN/score")
            #expect(unknown.status == 503)
            #expect(unknown.header("content-type") == "application/problem+json")
            #expect(try unknown.json()["type"] as? String == "urn:leadgate:problem:store-unavailable")
            #expect((try await HTTPClient.send("DELETE", "\(base)/v1/leads/MINE")).status == 503)
        }
    }
}
