import Synchronization

/// The latest result per lead, as the JSON the score route answered, kept in memory with a cap.
///
/// When full, the lead whose entry is oldest is dropped first. (The Redis issue moves this store to
/// `leadgate:live:<lead_id>` so several gateways share it.)
public final class LiveScoreStore: Sendable {
    private struct State {
        var entries: [String: String] = [:]
        /// Lead ids in the order they were first stored; `head` is the oldest still present.
        var order: [String] = []
        var head = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public func put(_ leadID: String, json: String) {
        state.withLock { s in
            if s.entries.updateValue(json, forKey: leadID) == nil {
                s.order.append(leadID)
                while s.entries.count > capacity, s.head < s.order.count {
                    s.entries[s.order[s.head]] = nil
                    s.head += 1
                }
                if s.head > 4096, s.head * 2 > s.order.count {
                    s.order.removeFirst(s.head)
                    s.head = 0
                }
            }
        }
    }

    public func putAll(_ items: [(String, String)]) {
        for (id, json) in items { put(id, json: json) }
    }

    public func get(_ leadID: String) -> String? { state.withLock { $0.entries[leadID] } }

    public var count: Int { state.withLock { $0.entries.count } }
}
