public import Store
import Synchronization

/// Fan-out of live-score changes to the score streams open on this gateway (SSE). Changes written
/// here arrive directly; with Redis, changes written by other gateways arrive through Redis pub/sub
/// (the pipeline reads the new score and publishes it here).
public final class LiveFeed: Sendable {
    public enum Item: Sendable {
        case record(LiveRecord)
        /// Once a second, so a stream can send keep-alives and notice a shutdown.
        case tick
    }

    public typealias Continuation = AsyncStream<Item>.Continuation

    private let streams = Mutex<[String: [Int: Continuation]]>([:])
    private let nextID = Atomic<Int>(0)
    private let open = Atomic<Int>(0)

    /// Opens a stream for `leadID`; nil when `limit` streams are already open.
    public func subscribe(_ leadID: String, limit: Int) -> (id: Int, stream: AsyncStream<Item>, continuation: Continuation)? {
        guard open.add(1, ordering: .relaxed).newValue <= limit else {
            open.subtract(1, ordering: .relaxed)
            return nil
        }
        let id = nextID.add(1, ordering: .relaxed).newValue
        // A slow reader gets the newest changes, not a growing backlog.
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(16))
        streams.withLock { $0[leadID, default: [:]][id] = continuation }
        return (id, stream, continuation)
    }

    public func unsubscribe(_ leadID: String, id: Int) {
        let continuation = streams.withLock { s -> Continuation? in
            let c = s[leadID]?.removeValue(forKey: id)
            if s[leadID]?.isEmpty == true { s[leadID] = nil }
            return c
        }
        if let continuation {
            open.subtract(1, ordering: .relaxed)
            continuation.finish()
        }
    }

    public var count: Int { open.load(ordering: .relaxed) }

    public func isWatched(_ leadID: String) -> Bool {
        count > 0 && streams.withLock { $0[leadID] != nil }
    }

    /// Every lead a stream watches now.
    public var watchedIDs: [String] { streams.withLock { Array($0.keys) } }

    public func publish(_ records: [LiveRecord]) {
        guard count > 0 else { return }
        let targets = streams.withLock { s in records.compactMap { r in s[r.leadID].map { (r, Array($0.values)) } } }
        for (record, continuations) in targets {
            for c in continuations { c.yield(.record(record)) }
        }
    }
}
