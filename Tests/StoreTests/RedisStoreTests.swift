import Foundation
import Store
import TestSupport
import Testing

/// Against a real redis-server that each test starts on a free loopback port.
@Suite(.serialized) struct RedisStoreTests {
    static func store(
        _ server: RedisServer, prefix: String = "leadgate:", limits: StoreLimits = StoreLimits(localAdjustmentTTL: .zero), database: Int = 0
    ) throws
        -> RedisScoreStore
    {
        let pool = RedisPool(
            endpoint: try RedisEndpoint(url: server.url(database: database)),
            options: .init(size: 2, connectTimeout: .milliseconds(100), commandTimeout: .milliseconds(200)))
        return RedisScoreStore(pool: pool, prefix: prefix, limits: limits)
    }

    /// A raw command on a fresh connection, for checking what is in Redis.
    static func raw(_ server: RedisServer, _ arguments: [String], database: Int = 0) async throws -> RedisValue {
        let pool = RedisPool(endpoint: try RedisEndpoint(url: server.url(database: database)), options: .init(size: 1))
        defer { pool.shutdown() }
        return try await pool.run(timeout: .seconds(2)) { connection throws(StoreError) in try connection.command(arguments) }
    }

    /// Polls `condition` for up to `seconds` (a throw counts as not yet).
    static func eventually(_ seconds: Double = 2, _ condition: () async throws -> Bool) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func hitsMissesAndWhereTheKeysLive() async throws {
        let server = try RedisServer()
        let store = try Self.store(server)
        defer { store.shutdown() }
        #expect(try await store.adjustments(["a", "b"], timeout: .seconds(1)).get() == [nil, nil])
        store.saveAdjustment(hash: "a", payload: #"{"multiplier":1.1}"#, leadID: "L-1")
        #expect(await Self.eventually { try await store.adjustments(["a", "b"], timeout: .seconds(1)).get() == [#"{"multiplier":1.1}"#, nil] })
        #expect(try await Self.raw(server, ["EXISTS", "leadgate:adj:v1:a"]) == .integer(1))
        #expect(try await Self.raw(server, ["SISMEMBER", "leadgate:lead:L-1:adj", "a"]) == .integer(1))
        let ttl = try await Self.raw(server, ["TTL", "leadgate:adj:v1:a"])
        guard case .integer(let seconds) = ttl else { throw StoreError(.reply, "\(ttl)") }
        #expect((86_000...86_400).contains(seconds))
    }

    @Test func entriesExpireWithTheirTTL() async throws {
        let server = try RedisServer()
        let store = try Self.store(server, limits: StoreLimits(adjustmentTTL: .seconds(1), liveTTL: .seconds(1), localAdjustmentTTL: .zero))
        defer { store.shutdown() }
        store.saveAdjustment(hash: "t", payload: "x", leadID: "L")
        store.saveLiveScores([LiveRecord(leadID: "L", json: "{}", storedAtMS: 1)])
        #expect(await Self.eventually { try await store.adjustments(["t"], timeout: .seconds(1)).get() == ["x"] })
        try await Task.sleep(for: .milliseconds(1_300))
        #expect(try await store.adjustments(["t"], timeout: .seconds(1)).get() == [nil])
        #expect(try await Self.raw(server, ["EXISTS", "leadgate:live:L"]) == .integer(0))
    }

    @Test func aBatchOfTenThousandLooksUpInOneCommand() async throws {
        let server = try RedisServer()
        let store = try Self.store(server)
        defer { store.shutdown() }
        let records = (0..<10_000).map { LiveRecord(leadID: "B-\($0)", json: "{\"i\":\($0)}", storedAtMS: Int64($0)) }
        store.saveLiveScores(records)
        for i in stride(from: 0, to: 10_000, by: 2) { store.saveAdjustment(hash: "h\(i)", payload: "p\(i)", leadID: "B-\(i)") }
        let hashes = (0..<10_000).map { "h\($0)" }
        #expect(await Self.eventually(5) { (try await store.adjustments(hashes, timeout: .seconds(2)).get()).compactMap { $0 }.count == 5_000 })
        let values = try await store.adjustments(hashes, timeout: .seconds(2)).get()
        #expect(values[0] == "p0" && values[1] == nil && values[9_998] == "p9998")
        #expect(try await store.liveScore("B-9999", timeout: .seconds(1)).get()?.json == "{\"i\":9999}")
    }

    @Test func authAndDatabaseSelection() async throws {
        let server = try RedisServer(password: "s3cret-pw")
        let store = try Self.store(server, database: 3)
        defer { store.shutdown() }
        store.saveLiveScores([LiveRecord(leadID: "A", json: "{}", storedAtMS: 7)])
        #expect(await Self.eventually { try await store.liveScore("A", timeout: .seconds(1)).get()?.storedAtMS == 7 })
        #expect(try await Self.raw(server, ["EXISTS", "leadgate:live:A"], database: 3) == .integer(1))
        #expect(try await Self.raw(server, ["EXISTS", "leadgate:live:A"], database: 0) == .integer(0))
        // A wrong password is refused, named, and never fails open.
        let wrong = RedisPool(endpoint: try RedisEndpoint(url: "redis://:nope@127.0.0.1:\(server.port)"), options: .init(size: 1))
        defer { wrong.shutdown() }
        await #expect(throws: StoreError.self) {
            _ = try await wrong.run(timeout: .seconds(1)) { connection throws(StoreError) in try connection.command(["PING"]) }
        }
        #expect(wrong.health.lastError?.contains("AUTH") == true)
    }

    @Test func aKeyPrefixKeepsTenantsApart() async throws {
        let server = try RedisServer()
        let a = try Self.store(server, prefix: "tenant-a:")
        let b = try Self.store(server, prefix: "tenant-b:")
        defer {
            a.shutdown()
            b.shutdown()
        }
        a.saveAdjustment(hash: "same", payload: "from a", leadID: "L")
        #expect(await Self.eventually { try await a.adjustments(["same"], timeout: .seconds(1)).get() == ["from a"] })
        #expect(try await b.adjustments(["same"], timeout: .seconds(1)).get() == [nil])
        #expect(try await Self.raw(server, ["EXISTS", "tenant-a:adj:v1:same"]) == .integer(1))
    }

    @Test func locksAreExclusiveUntilReleased() async throws {
        let server = try RedisServer()
        let one = try Self.store(server)
        let two = try Self.store(server)
        defer {
            one.shutdown()
            two.shutdown()
        }
        #expect(await one.lock("h", ttl: .seconds(5), timeout: .seconds(1)))
        #expect(await !two.lock("h", ttl: .seconds(5), timeout: .seconds(1)))
        two.unlock("h")  // not the holder: no effect
        try await Task.sleep(for: .milliseconds(100))
        #expect(await !two.lock("h", ttl: .seconds(5), timeout: .seconds(1)))
        one.unlock("h")
        #expect(await Self.eventually { await two.lock("h", ttl: .seconds(5), timeout: .seconds(1)) })
    }

    @Test func erasureRemovesEveryKeyOfTheLead() async throws {
        let server = try RedisServer()
        let store = try Self.store(server)
        defer { store.shutdown() }
        store.saveAdjustment(hash: "x1", payload: "p", leadID: "GDPR-1")
        store.saveAdjustment(hash: "x2", payload: "p", leadID: "GDPR-1")
        store.saveAdjustment(hash: "other", payload: "p", leadID: "KEEP")
        store.saveLiveScores([LiveRecord(leadID: "GDPR-1", json: "{}", storedAtMS: 1), LiveRecord(leadID: "KEEP", json: "{}", storedAtMS: 1)])
        #expect(await Self.eventually { try await Self.raw(server, ["DBSIZE"]) == .integer(7) })
        let removed = try await store.erase(leadID: "GDPR-1", timeout: .seconds(1)).get()
        #expect(removed == ["leadgate:live:GDPR-1", "leadgate:adj:v1:x1", "leadgate:adj:v1:x2", "leadgate:lead:GDPR-1:adj"])
        #expect(try await Self.raw(server, ["DBSIZE"]) == .integer(3))
        #expect(try await store.liveScore("GDPR-1", timeout: .seconds(1)).get() == nil)
        #expect(try await store.erase(leadID: "GDPR-1", timeout: .seconds(1)).get() == [])
    }

    @Test func aKilledRedisFailsFastThenRecoversWithinASecond() async throws {
        let server = try RedisServer()
        let store = try Self.store(server)
        defer { store.shutdown() }
        store.saveLiveScores([LiveRecord(leadID: "mine", json: "{\"kept\":true}", storedAtMS: 1)])
        #expect(await Self.eventually { try await store.adjustments(["k"], timeout: .seconds(1)).get() == [nil] })
        server.kill()
        // Down: each lookup fails quickly with a reason; the status says so.
        for _ in 0..<5 {
            let start = ContinuousClock.now
            let result = await store.adjustments(["k"], timeout: .milliseconds(50))
            #expect(ContinuousClock.now - start < .milliseconds(80))
            if case .success = result { Issue.record("a lookup succeeded with Redis killed") }
        }
        #expect(!store.status.up)
        #expect(store.status.detail != nil)
        // The live score this process wrote is still served.
        #expect(try await store.liveScore("mine", timeout: .milliseconds(50)).get()?.json == "{\"kept\":true}")
        try server.start()
        let back = ContinuousClock.now
        #expect(await Self.eventually(1) { (try? await store.adjustments(["k"], timeout: .milliseconds(50)).get()) == [nil] })
        #expect(ContinuousClock.now - back < .seconds(1))
        #expect(await Self.eventually(1) { store.status.up })
    }

    @Test func theNearCopyAnswersWithoutRedisAndErasureClearsIt() async throws {
        let server = try RedisServer()
        let store = try Self.store(server, limits: StoreLimits(localAdjustmentTTL: .seconds(60)))
        defer {
            server.resume()
            store.shutdown()
        }
        store.saveAdjustment(hash: "n1", payload: "written here", leadID: "N")
        #expect(await Self.eventually { try await Self.raw(server, ["EXISTS", "leadgate:adj:v1:n1"]) == .integer(1) })
        // Written by another gateway: read once from Redis, then from the near copy.
        _ = try await Self.raw(server, ["SET", "leadgate:adj:v1:n2", "from elsewhere"])
        #expect(try await store.adjustments(["n2"], timeout: .seconds(1)).get() == ["from elsewhere"])
        server.pause()
        let start = ContinuousClock.now
        #expect(try await store.adjustments(["n1", "n2"], timeout: .milliseconds(20)).get() == ["written here", "from elsewhere"])
        #expect(ContinuousClock.now - start < .milliseconds(5))
        // A key never seen still needs Redis, and Redis is paused: a timeout, not a wrong answer.
        if case .success = await store.adjustments(["n1", "unknown"], timeout: .milliseconds(20)) { Issue.record("answered without Redis") }
        server.resume()
        _ = try await store.erase(leadID: "N", timeout: .seconds(1)).get()
        #expect(try await store.adjustments(["n1"], timeout: .seconds(1)).get() == [nil])
    }

    @Test func aHungRedisCostsOnlyTheCallersTimeout() async throws {
        let server = try RedisServer()
        let store = try Self.store(server)
        defer {
            server.resume()
            store.shutdown()
        }
        #expect(await Self.eventually { (try? await store.adjustments(["k"], timeout: .seconds(1)).get()) == [nil] })
        server.pause()
        let start = ContinuousClock.now
        let result = await store.adjustments(["k"], timeout: .milliseconds(20))
        let took = ContinuousClock.now - start
        guard case .failure(let error) = result else {
            Issue.record("a paused Redis answered")
            return
        }
        #expect(error.kind == .timeout)
        #expect(took < .milliseconds(60), "took \(took)")
        server.resume()
        #expect(await Self.eventually(2) { (try? await store.adjustments(["k"], timeout: .milliseconds(100)).get()) == [nil] })
    }
}
