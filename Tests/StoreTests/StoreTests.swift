import Foundation
import Store
import TestSupport
import Testing

@Suite struct RedisEndpointTests {
    @Test(arguments: [
        ("redis://127.0.0.1:6390", RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6390))),
        ("redis://cache.internal", RedisEndpoint(address: .tcp(host: "cache.internal", port: 6379))),
        ("redis://:s3cret@10.0.0.5:7000/2", RedisEndpoint(address: .tcp(host: "10.0.0.5", port: 7000), password: "s3cret", database: 2)),
        ("redis://app:p%40ss%3Aword@h:1/0", RedisEndpoint(address: .tcp(host: "h", port: 1), username: "app", password: "p@ss:word")),
        ("redis://[::1]:6380/1", RedisEndpoint(address: .tcp(host: "::1", port: 6380), database: 1)),
        ("unix:///run/redis.sock?db=4&password=x", RedisEndpoint(address: .unix(path: "/run/redis.sock"), password: "x", database: 4)),
    ])
    func parses(_ url: String, _ expected: RedisEndpoint) throws {
        #expect(try RedisEndpoint(url: url) == expected)
    }

    @Test(arguments: [
        ("http://h:1", "must start with redis://"), ("rediss://h:1", "TLS"), ("redis://h:0", "port"), ("redis://h:99999", "port"),
        ("redis://h:1/x", "database"), ("redis://", "no host"), ("unix://relative.sock", "absolute"), ("unix:///s?db=x", "db"),
        ("redis://:%zz@h", "percent"),
    ])
    func refusesWithTheReason(_ url: String, _ reason: String) {
        do {
            _ = try RedisEndpoint(url: url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func messagesNeverShowThePassword() {
        do {
            _ = try RedisEndpoint(url: "redis://user:hunter2@h:bad")
        } catch {
            #expect(!error.message.contains("hunter2"))
        }
    }
}

@Suite struct LRUCacheTests {
    @Test func evictsTheLeastRecentlyUsed() {
        var cache = LRUCache<Int>(capacity: 3)
        for (i, key) in ["a", "b", "c"].enumerated() { cache.set(key, i, ttl: .seconds(60)) }
        #expect(cache.get("a") == 0)  // a becomes the most recent
        cache.set("d", 3, ttl: .seconds(60))  // b goes
        #expect(cache.get("b") == nil)
        #expect(cache.get("a") == 0 && cache.get("c") == 2 && cache.get("d") == 3)
        #expect(cache.count == 3)
        cache.set("c", 20, ttl: .seconds(60))  // an update does not grow it
        #expect(cache.count == 3 && cache.get("c") == 20)
        #expect(cache.remove("a") == 0 && cache.count == 2)
    }

    @Test func expiredEntriesReadAsAbsent() {
        var cache = LRUCache<String>(capacity: 10)
        let now = ContinuousClock.now
        cache.set("k", "v", ttl: .seconds(1), now: now)
        #expect(cache.get("k", now: now.advanced(by: .milliseconds(999))) == "v")
        #expect(cache.get("k", now: now.advanced(by: .seconds(1))) == nil)
        #expect(cache.count == 0)
    }

    @Test func manyOperationsKeepTheBound() {
        var cache = LRUCache<Int>(capacity: 100)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<20_000 {
            let key = String(Int.random(in: 0..<300, using: &rng))
            if i % 3 == 0 { _ = cache.remove(key) } else { cache.set(key, i, ttl: .seconds(60)) }
            #expect(cache.count <= 100)
        }
    }
}

@Suite struct MemoryStoreTests {
    @Test func cachesLiveScoresAndErases() async throws {
        let store = MemoryScoreStore(limits: StoreLimits(maxAdjustments: 10, maxLiveScores: 10))
        store.saveAdjustment(hash: "h1", payload: "{}", leadID: "L1")
        store.saveLiveScores([LiveRecord(leadID: "L1", json: "{\"score\":1}", storedAtMS: 5)])
        #expect(try await store.adjustments(["h1", "h2"], timeout: .milliseconds(10)).get() == ["{}", nil])
        #expect(try await store.liveScore("L1", timeout: .milliseconds(10)).get()?.json == "{\"score\":1}")
        #expect(try await store.erase(leadID: "L1", timeout: .seconds(1)).get() == ["live:L1", "adj:v1:h1"])
        #expect(try await store.adjustments(["h1"], timeout: .milliseconds(10)).get() == [nil])
        #expect(try await store.liveScore("L1", timeout: .milliseconds(10)).get() == nil)
    }
}
