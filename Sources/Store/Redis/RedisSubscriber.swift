import Foundation
import Synchronization

/// Redis pub/sub on its own thread and connection: every message on `channels` goes to `handler`
/// (on that thread). With `trackingPrefixes`, the same connection also asks Redis to report every
/// change of a key under those prefixes (`CLIENT TRACKING … BCAST`, Redis 6+), delivered as messages on
/// `__redis__:invalidate`. It reconnects with a backoff when Redis goes away; messages published
/// while it is disconnected are lost (pub/sub keeps none), which `onState` lets the owner handle.
public final class RedisSubscriber: Sendable {
    public static let invalidationChannel = "__redis__:invalidate"

    public let endpoint: RedisEndpoint
    public let channels: [String]
    public let trackingPrefixes: [String]
    private let handler: @Sendable (_ channel: String, _ payload: RedisValue) -> Void
    private let onState: @Sendable (_ subscribed: Bool, _ tracking: Bool) -> Void
    private let stopped = Atomic<Bool>(false)
    private let subscribed = Atomic<Bool>(false)

    public init(
        endpoint: RedisEndpoint, channels: [String], trackingPrefixes: [String] = [],
        onState: @escaping @Sendable (_ subscribed: Bool, _ tracking: Bool) -> Void = { _, _ in },
        handler: @escaping @Sendable (_ channel: String, _ payload: RedisValue) -> Void
    ) {
        self.endpoint = endpoint
        self.channels = channels
        self.trackingPrefixes = trackingPrefixes
        self.onState = onState
        self.handler = handler
    }

    /// Whether the subscription is active now.
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
                var tracking = false
                var names = channels
                if !trackingPrefixes.isEmpty, case .integer(let id) = try connection.command([Array("CLIENT".utf8), Array("ID".utf8)]) {
                    let prefixes = trackingPrefixes.flatMap { ["PREFIX", $0] }
                    let reply = try connection.command(
                        (["CLIENT", "TRACKING", "on", "REDIRECT", String(id), "BCAST"] + prefixes).map { Array($0.utf8) })
                    if reply == .status("OK") {
                        tracking = true
                        names.append(Self.invalidationChannel)
                    }
                }
                // One SUBSCRIBE answers once per channel.
                let reply = try connection.command((["SUBSCRIBE"] + names).map { Array($0.utf8) })
                guard case .array = reply else { throw StoreError(.reply, "SUBSCRIBE answered \(reply)") }
                for _ in 1..<names.count { _ = try connection.nextPush(timeoutMS: 2_000) }
                subscribed.store(true, ordering: .relaxed)
                onState(true, tracking)
                backoff = 50
                while !stopped.load(ordering: .relaxed) {
                    guard let push = try connection.nextPush(timeoutMS: 500) else { continue }
                    if case .array(let parts) = push, parts.count == 3, parts[0].text == "message", let channel = parts[1].text {
                        handler(channel, parts[2])
                    }
                }
            } catch {
                if subscribed.exchange(false, ordering: .relaxed) { onState(false, false) }
                Thread.sleep(forTimeInterval: Double(backoff) / 1000)
                backoff = min(backoff * 2, 1_000)
            }
        }
        if subscribed.exchange(false, ordering: .relaxed) { onState(false, false) }
    }
}
