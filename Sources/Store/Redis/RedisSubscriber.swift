import Foundation
import Synchronization

/// One Redis pub/sub subscription on its own thread and connection: every message on `channel`
/// goes to `handler` (on that thread). It reconnects with a backoff when Redis goes away; messages
/// published while it is disconnected are lost (pub/sub keeps none).
public final class RedisSubscriber: Sendable {
    public let endpoint: RedisEndpoint
    public let channel: String
    private let handler: @Sendable (String) -> Void
    private let stopped = Atomic<Bool>(false)
    private let subscribed = Atomic<Bool>(false)

    public init(endpoint: RedisEndpoint, channel: String, handler: @escaping @Sendable (String) -> Void) {
        self.endpoint = endpoint
        self.channel = channel
        self.handler = handler
    }

    /// Whether the subscription is active now (for tests and readiness).
    public var isSubscribed: Bool { subscribed.load(ordering: .relaxed) }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "leadgate-redis-subscriber"
        thread.start()
    }

    /// Ends the subscription within half a second.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    private func run() {
        var backoff = 50
        while !stopped.load(ordering: .relaxed) {
            do {
                let connection = try RedisConnection(endpoint: endpoint, connectTimeoutMS: 500, commandTimeoutMS: 2_000)
                let reply = try connection.command([Array("SUBSCRIBE".utf8), Array(channel.utf8)])
                guard case .array = reply else { throw StoreError(.reply, "SUBSCRIBE answered \(reply)") }
                subscribed.store(true, ordering: .relaxed)
                backoff = 50
                while !stopped.load(ordering: .relaxed) {
                    guard let push = try connection.nextPush(timeoutMS: 500) else { continue }
                    if case .array(let parts) = push, parts.count == 3, parts[0].text == "message", let payload = parts[2].text {
                        handler(payload)
                    }
                }
            } catch {
                subscribed.store(false, ordering: .relaxed)
                Thread.sleep(forTimeInterval: Double(backoff) / 1000)
                backoff = min(backoff * 2, 1_000)
            }
        }
        subscribed.store(false, ordering: .relaxed)
    }
}
