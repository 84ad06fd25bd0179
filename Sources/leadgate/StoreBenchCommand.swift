import ArgumentParser
import Foundation
import Store

/// `leadgate store-bench`: how long the store takes for a batch's lookups, against a real Redis.
struct StoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-bench",
        abstract: "Measure the Redis store: a batch's cached-answer lookups and live-score reads.",
        discussion: """
            Writes --keys cached answers and live scores under a throwaway key prefix, then times: \
            looking all of them up in one round trip (MGET, as a batch does), and single live-score \
            reads one after another. Each figure is the median of --repeat runs. The keys are deleted \
            at the end.
            """
    )

    @Option(name: .long, help: "Redis URL (redis://host:port/db or unix:///path.sock).")
    var redis: String

    @Option(name: .long, help: "Keys per batch lookup.")
    var keys: Int = 10_000

    @Option(name: .long, help: "Timed runs per figure; the median is reported.")
    var `repeat`: Int = 20

    func run() async throws {
        let endpoint = try RedisEndpoint(url: redis)
        let pool = RedisPool(endpoint: endpoint, options: .init(size: 2))
        defer { pool.shutdown() }
        let prefix = "leadgate-bench-\(UUID().uuidString.prefix(8)):"
        // No near copy: every lookup is the Redis round trip being measured.
        let store = RedisScoreStore(pool: pool, prefix: prefix, limits: StoreLimits(localAdjustmentTTL: .zero))
        let payload =
            #"{"multiplier":1.05,"reasoning":"Pre-approved buyer, tour booked for Saturday.","llm_model":"gpt-4o-mini","prompt_hash":"0f3c","cached_at":"2026-11-23T00:00:00.000Z"}"#
        let hashes = (0..<keys).map { String(format: "%064x", $0) }
        for (i, hash) in hashes.enumerated() { store.saveAdjustment(hash: hash, payload: payload, leadID: "bench-\(i)") }
        store.saveLiveScores((0..<keys).map { LiveRecord(leadID: "bench-\($0)", json: String(repeating: "x", count: 2_000), storedAtMS: 0) })
        // Wait until every write has landed.
        for _ in 0..<500 {
            if (try? await store.adjustments([hashes[keys - 1]], timeout: .seconds(1)).get().first ?? nil) != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        var batch: [Double] = []
        for _ in 0..<`repeat` {
            let start = ContinuousClock.now
            let values = try await store.adjustments(hashes, timeout: .seconds(10)).get()
            batch.append((ContinuousClock.now - start).ms)
            guard values.compactMap({ $0 }).count == keys else {
                throw CommandFailure("only \(values.compactMap { $0 }.count) of \(keys) keys found")
            }
        }
        var single: [Double] = []
        for i in 0..<min(keys, 2_000) {
            let start = ContinuousClock.now
            _ = try await store.liveScore("bench-\(i)", timeout: .seconds(1)).get()
            single.append((ContinuousClock.now - start).ms)
        }
        batch.sort()
        single.sort()
        print("redis \(endpoint.description), \(keys) keys")
        print(String(format: "batch lookup of %d cached answers (one MGET): median %.2f ms, min %.2f ms", keys, batch[batch.count / 2], batch[0]))
        print(
            String(
                format: "live-score read, one at a time (%d reads): p50 %.3f ms, p99 %.3f ms", single.count, single[single.count / 2],
                single[min(single.count - 1, single.count * 99 / 100)]))
        // Clean up the throwaway keys.
        for start in stride(from: 0, to: keys, by: 1_000) {
            let chunk = (start..<min(keys, start + 1_000)).flatMap {
                ["\(prefix)adj:v1:\(hashes[$0])", "\(prefix)live:bench-\($0)", "\(prefix)lead:bench-\($0):adj"]
            }
            _ = try await pool.run(timeout: .seconds(5)) { connection throws(StoreError) in try connection.command(["DEL"] + chunk) }
        }
    }
}

extension Duration {
    fileprivate var ms: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
