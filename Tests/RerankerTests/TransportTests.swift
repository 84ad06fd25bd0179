import Foundation
import Hummingbird
import Reranker
import TestSupport
import Testing

/// A real HTTP server on a free loopback port for the transport tests.
func withUpstream<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
    let router = Router()
    router.get("/ok") { _, _ in "hello" }
    router.post("/echo") { request, _ in
        let buffer = try await request.body.collect(upTo: 1 << 20)
        return Response(status: .ok, body: ResponseBody(byteBuffer: buffer))
    }
    router.get("/delay/{ms}") { _, context in
        let ms = Int(context.parameters.get("ms") ?? "0") ?? 0
        try await Task.sleep(for: .milliseconds(ms))
        return "late"
    }
    router.get("/big/{bytes}") { _, context in
        let n = Int(context.parameters.get("bytes") ?? "0") ?? 0
        return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(repeating: 0x61, count: n)))
    }
    router.get("/status/{code}") { _, context in
        let code = Int(context.parameters.get("code") ?? "500") ?? 500
        return Response(status: .init(code: code), headers: [.retryAfter: "2"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
    }
    return try await withLoopbackServer(router, label: "upstream", body)
}

func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
}

@Suite(.serialized) struct TransportTests {
    @Test func repliesWithBodyStatusAndHeaders() async throws {
        let client = try CurlMultiClient()
        try await withUpstream { base in
            let ok = try await client.execute(HTTPCall(url: "\(base)/ok", method: "GET"))
            #expect(ok.status == 200)
            #expect(String(decoding: ok.body, as: UTF8.self) == "hello")
            let echo = try await client.execute(
                HTTPCall(url: "\(base)/echo", headers: ["Content-Type: application/json"], body: Array(#"{"a":1}"#.utf8)))
            #expect(String(decoding: echo.body, as: UTF8.self) == #"{"a":1}"#)
            let limited = try await client.execute(HTTPCall(url: "\(base)/status/429", method: "GET"))
            #expect(limited.status == 429)
            #expect(limited.headers["retry-after"] == "2")
        }
        #expect(client.inFlight == 0)
    }

    @Test func aSlowUpstreamEndsAtTheDeadline() async throws {
        let client = try CurlMultiClient()
        try await withUpstream { base in
            let start = ContinuousClock.now
            do throws(TransportError) {
                _ = try await client.execute(HTTPCall(url: "\(base)/delay/1500", method: "GET", timeout: .milliseconds(500)))
                Issue.record("a 1.5 s answer should not fit a 500 ms budget")
            } catch {
                #expect(error.kind == .timeout)
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(490) && elapsed < .milliseconds(600), "\(elapsed)")
            let fast = try await client.execute(HTTPCall(url: "\(base)/delay/300", method: "GET", timeout: .milliseconds(500)))
            #expect(fast.status == 200)
        }
    }

    @Test func aSilentUpstreamEndsAtTheDeadline() async throws {
        let client = try CurlMultiClient()
        let silent = try SilentListener()
        let start = ContinuousClock.now
        do throws(TransportError) {
            _ = try await client.execute(HTTPCall(url: "http://127.0.0.1:\(silent.port)/v1/chat/completions", timeout: .milliseconds(300)))
            Issue.record("a silent server cannot answer")
        } catch {
            #expect(error.kind == .timeout)
        }
        #expect(ContinuousClock.now - start < .milliseconds(400))
    }

    @Test func refusedConnectionsFailFast() async throws {
        let client = try CurlMultiClient()
        let port = try SilentListener.unusedPort()
        let start = ContinuousClock.now
        do throws(TransportError) {
            _ = try await client.execute(HTTPCall(url: "http://127.0.0.1:\(port)/", timeout: .milliseconds(500)))
            Issue.record("nothing listens")
        } catch {
            #expect(error.kind == .connect)
        }
        #expect(ContinuousClock.now - start < .milliseconds(200))
    }

    @Test func repliesOverTheCapAreRefused() async throws {
        let client = try CurlMultiClient(options: .init(maxResponseBytes: 64 * 1024))
        try await withUpstream { base in
            do throws(TransportError) {
                _ = try await client.execute(HTTPCall(url: "\(base)/big/200000", method: "GET"))
                Issue.record("200 kB should exceed a 64 kB cap")
            } catch {
                #expect(error.kind == .tooLarge)
            }
            let small = try await client.execute(HTTPCall(url: "\(base)/big/1000", method: "GET"))
            #expect(small.body.count == 1000)
        }
    }

    @Test func cancellingTheTaskEndsTheTransfer() async throws {
        let client = try CurlMultiClient()
        try await withUpstream { base in
            let start = ContinuousClock.now
            let task = Task { try await client.execute(HTTPCall(url: "\(base)/delay/3000", method: "GET", timeout: .seconds(5))) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let result = await task.result
            if case .failure(let error as TransportError) = result {
                #expect(error.kind == .cancelled)
            } else {
                Issue.record("expected a cancellation, got \(result)")
            }
            #expect(ContinuousClock.now - start < .milliseconds(1000))
            #expect(client.inFlight == 0)
        }
    }

    @Test func theBulkheadShedsAtOnce() async throws {
        let client = try CurlMultiClient(options: .init(maxInFlight: 4))
        try await withUpstream { base in
            let outcomes = await withTaskGroup(of: TransportError.Kind?.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do throws(TransportError) {
                            _ = try await client.execute(HTTPCall(url: "\(base)/delay/300", method: "GET"))
                            return nil
                        } catch {
                            return error.kind
                        }
                    }
                }
                var all: [TransportError.Kind?] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == nil }.count == 4, "\(outcomes)")
            #expect(outcomes.filter { $0 == .shed }.count == 6)
        }
    }

    @Test func hundredsInFlightOnOneThread() async throws {
        let client = try CurlMultiClient()
        try await withUpstream { base in
            _ = try await client.execute(HTTPCall(url: "\(base)/ok", method: "GET"))
            let before = threadCount()
            let start = ContinuousClock.now
            let ok = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        (try? await client.execute(HTTPCall(url: "\(base)/delay/200", method: "GET", timeout: .seconds(1))))?.status == 200
                    }
                }
                var count = 0
                for await success in group where success { count += 1 }
                return count
            }
            #expect(ok == 200)
            // 200 calls of 200 ms side by side, not one after another.
            #expect(ContinuousClock.now - start < .milliseconds(1200))
            #expect(threadCount() - before <= 4, "threads grew from \(before) to \(threadCount())")
        }
    }

    @Test func shutdownEndsCallsInFlight() async throws {
        let client = try CurlMultiClient()
        try await withUpstream { base in
            let task = Task { try await client.execute(HTTPCall(url: "\(base)/delay/3000", method: "GET", timeout: .seconds(5))) }
            try await Task.sleep(for: .milliseconds(100))
            client.shutdown()
            if case .failure(let error as TransportError) = await task.result {
                #expect(error.kind == .closed)
            } else {
                Issue.record("expected closed")
            }
            do throws(TransportError) {
                _ = try await client.execute(HTTPCall(url: "\(base)/ok", method: "GET"))
                Issue.record("a shut-down client should refuse calls")
            } catch {
                #expect(error.kind == .closed)
            }
        }
    }
}
