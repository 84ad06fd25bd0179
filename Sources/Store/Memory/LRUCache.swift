/// A bounded map with a time to live: reading an entry makes it the most recent; when full, the
/// least recently used entry goes; an expired entry reads as absent and is dropped when seen.
/// Not thread-safe: wrap it in a lock.
public struct LRUCache<Value> {
    private struct Slot {
        var key: String
        var value: Value
        var expires: ContinuousClock.Instant
        var older: Int
        var newer: Int
    }

    public let capacity: Int
    private var index: [String: Int] = [:]
    private var slots: [Slot] = []
    private var free: [Int] = []
    /// Most and least recent slots; -1 when empty.
    private var newest = -1
    private var oldest = -1

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    public var count: Int { index.count }

    public mutating func get(_ key: String, now: ContinuousClock.Instant = .now) -> Value? {
        guard let i = index[key] else { return nil }
        guard slots[i].expires > now else {
            remove(at: i)
            return nil
        }
        touch(i)
        return slots[i].value
    }

    public mutating func set(_ key: String, _ value: Value, ttl: Duration, now: ContinuousClock.Instant = .now) {
        let expires = now.advanced(by: ttl)
        if let i = index[key] {
            slots[i].value = value
            slots[i].expires = expires
            touch(i)
            return
        }
        if index.count >= capacity, oldest >= 0 { remove(at: oldest) }
        let slot = Slot(key: key, value: value, expires: expires, older: newest, newer: -1)
        let i: Int
        if let reused = free.popLast() {
            slots[reused] = slot
            i = reused
        } else {
            slots.append(slot)
            i = slots.count - 1
        }
        if newest >= 0 { slots[newest].newer = i }
        newest = i
        if oldest < 0 { oldest = i }
        index[key] = i
    }

    @discardableResult
    public mutating func remove(_ key: String) -> Value? {
        guard let i = index[key] else { return nil }
        let value = slots[i].value
        remove(at: i)
        return value
    }

    private mutating func unlink(_ i: Int) {
        let older = slots[i].older
        let newer = slots[i].newer
        if older >= 0 { slots[older].newer = newer } else { oldest = newer }
        if newer >= 0 { slots[newer].older = older } else { newest = older }
    }

    private mutating func touch(_ i: Int) {
        guard newest != i else { return }
        unlink(i)
        slots[i].older = newest
        slots[i].newer = -1
        if newest >= 0 { slots[newest].newer = i }
        newest = i
        if oldest < 0 { oldest = i }
    }

    private mutating func remove(at i: Int) {
        unlink(i)
        index[slots[i].key] = nil
        free.append(i)
    }
}
