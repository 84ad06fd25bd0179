public import Hummingbird
import Logging
import Reranker

/// Runs `router` on a free loopback port for the duration of `body`, which gets `http://127.0.0.1:<port>`.
public func withLoopbackServer<T: Sendable>(
    _ router: Router<BasicRequestContext>, label: String, _ body: @Sendable (String) async throws -> T
) async throws -> T {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    let ports = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TransportError(.failed, "the \(label) server did not start") }
        defer { group.cancelAll() }
        return try await body("http://127.0.0.1:\(port)")
    }
}
