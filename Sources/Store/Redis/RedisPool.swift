import CHiredis
import Dispatch
import Foundation
import Synchronization

/// A pool of blocking hiredis connections, each owned by its own worker thread, so no Redis call
/// ever blocks an event loop or the cooperative pool.
///
/// - Callers enqueue work and await it with their own timeout: a slow or hung Redis costs the
///   caller at most that timeout, never the command timeout of the socket.
/// - A worker whose connection broke reconnects on its next job; after a failed connect it waits a
///   backoff (50 ms doubling to 500 ms) during which jobs fail at once with `unavailable`. Idle
///   workers retry on their own every 250 ms, so the pool is back within about half a second of
///   Redis returning, traffic or not.
/// - Work queued past its deadline is dropped unrun; the queue is bounded (`maxQueue`), and a full
///   queue fails new work at once.
public final class RedisPool: Sendable {
    public struct Options: Sendable {
        public var size: Int
        public var connectTimeout: Duration
        /// The socket timeout of a command on a worker (the caller's own timeout is usually shorter).
        public var commandTimeout: Duration
        public var maxQueue: Int

        public init(
            size: Int = 4, connectTimeout: Duration = .milliseconds(200), commandTimeout: Duration = .milliseconds(250), maxQueue: Int = 20_000
        ) {
            self.size = max(1, size)
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.maxQueue = max(1, maxQueue)
        }
    }

    /// What `/readyz` and the metrics show.
    public struct Health: Sendable {
        public var up: Bool
        public var lastError: String?
        /// When `up` last changed.
        public var since: ContinuousClock.Instant
        public var connected: Int
        public var connects: Int
        public var failures: Int
        public var timeouts: Int
        public var dropped: Int
    }

    public let endpoint: RedisEndpoint
    public let options: Options
    private let shared: PoolShared
    /// Ends callers' waits at their deadlines (one thread for every caller, instead of a timer each).
    private let reaper = DeadlineReaper(name: "leadgate.redis.deadlines")

    public init(endpoint: RedisEndpoint, options: Options = Options()) {
        // hiredis writes with plain write(2): a peer that vanished must not kill the process.
        signal(SIGPIPE, SIG_IGN)
        self.endpoint = endpoint
        self.options = options
        shared = PoolShared(maxQueue: options.maxQueue)
        for index in 0..<options.size {
            let worker = PoolWorker(shared: shared, endpoint: endpoint, options: options)
            let thread = Thread { worker.run() }
            thread.name = "leadgate.redis.\(index)"
            thread.start()
        }
    }

    deinit { shutdown() }

    public var health: Health { shared.health.withLock { $0 } }

    /// Stops the workers; queued and later work fails with `closed`.
    public func shutdown() {
        shared.close()
        reaper.stop()
    }

    /// Runs `body` on a worker's connection and returns its result, or fails after `timeout`.
    public func run<T: Sendable>(timeout: Duration, _ body: @escaping @Sendable (RedisConnectionHandle) throws(StoreError) -> T)
        async throws(StoreError) -> T
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            let accepted = shared.enqueue(
                PoolJob(deadline: deadline) { connection, error in
                    if let connection {
                        once.resume(Result { () throws(StoreError) -> T in try body(RedisConnectionHandle(connection)) })
                    } else {
                        once.resume(.failure(error ?? StoreError(.unavailable, "no connection")))
                    }
                })
            if let refusal = accepted {
                once.resume(.failure(refusal))
                return
            }
            let shared = self.shared
            reaper.add(deadline) {
                if once.resume(.failure(StoreError(.timeout, "redis did not answer within \(timeout)"))) {
                    shared.health.withLock { $0.timeouts += 1 }
                }
            }
        }
        return try result.get()
    }

    /// Runs `body` on a worker without waiting for it (writes that must never delay a response).
    /// Failures are counted in ``health``.
    public func submit(timeout: Duration, _ body: @escaping @Sendable (RedisConnectionHandle) throws(StoreError) -> Void) {
        _ = shared.enqueue(
            PoolJob(deadline: ContinuousClock.now.advanced(by: timeout)) { connection, _ in
                guard let connection else { return }
                try? body(RedisConnectionHandle(connection))
            })
    }
}

/// What a pool job sees of its worker's connection.
public struct RedisConnectionHandle {
    let connection: RedisConnection

    init(_ connection: RedisConnection) { self.connection = connection }

    public func command(_ arguments: [String]) throws(StoreError) -> RedisValue {
        try connection.command(arguments.map { Array($0.utf8) })
    }

    public func command(bytes arguments: [[UInt8]]) throws(StoreError) -> RedisValue {
        try connection.command(arguments)
    }

    public func pipeline(_ commands: [[String]]) throws(StoreError) -> [RedisValue] {
        try connection.pipeline(commands.map { $0.map { Array($0.utf8) } })
    }

    public func pipeline(bytes commands: [[[UInt8]]]) throws(StoreError) -> [RedisValue] {
        try connection.pipeline(commands)
    }
}

/// Resumes a continuation once, whoever comes first (the worker or the timer).
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<T, StoreError>, Never>?>

    init(_ continuation: CheckedContinuation<Result<T, StoreError>, Never>) { self.continuation = Mutex(continuation) }

    @discardableResult
    func resume(_ result: Result<T, StoreError>) -> Bool {
        guard
            let c = continuation.withLock({ c -> CheckedContinuation<Result<T, StoreError>, Never>? in
                defer { c = nil }
                return c
            })
        else { return false }
        c.resume(returning: result)
        return true
    }
}

struct PoolJob: Sendable {
    let deadline: ContinuousClock.Instant
    /// Called on the worker thread with its live connection, or with why there is none.
    let work: @Sendable (RedisConnection?, StoreError?) -> Void
}

/// The queue and health the workers share. `@unchecked Sendable`: `queue` and `closed` are only
/// touched under `condition`'s lock; `health` is a Mutex.
private final class PoolShared: @unchecked Sendable {
    let condition = NSCondition()
    var queue: [PoolJob] = []
    var head = 0
    var closed = false
    let maxQueue: Int
    let health = Mutex(
        RedisPool.Health(up: false, lastError: "not connected yet", since: .now, connected: 0, connects: 0, failures: 0, timeouts: 0, dropped: 0))

    init(maxQueue: Int) { self.maxQueue = maxQueue }

    /// Queues a job; returns why it was refused, if it was.
    func enqueue(_ job: PoolJob) -> StoreError? {
        condition.lock()
        defer { condition.unlock() }
        if closed { return StoreError(.closed, "the Redis pool is shut down") }
        if queue.count - head >= maxQueue {
            health.withLock { $0.dropped += 1 }
            return StoreError(.unavailable, "\(maxQueue) Redis operations are already waiting")
        }
        queue.append(job)
        condition.signal()
        return nil
    }

    /// The next job, or nil after `idle` with nothing to do; `.none` when closed.
    func next(idle: TimeInterval) -> PoolJob?? {
        condition.lock()
        defer { condition.unlock() }
        if head == queue.count, !closed { _ = condition.wait(until: Date(timeIntervalSinceNow: idle)) }
        if closed { return .none }
        guard head < queue.count else { return .some(nil) }
        let job = queue[head]
        head += 1
        if head > 1024, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return .some(job)
    }

    func close() {
        condition.lock()
        let pending = Array(queue[head...])
        queue.removeAll()
        head = 0
        closed = true
        condition.broadcast()
        condition.unlock()
        for job in pending { job.work(nil, StoreError(.closed, "the Redis pool is shut down")) }
    }

    func report(up: Bool, error: String?) {
        health.withLock { h in
            if h.up != up { h.since = .now }
            h.up = up
            if !up {
                h.lastError = error
                h.failures += 1
            }
        }
    }
}

/// One worker thread and its connection.
private final class PoolWorker: @unchecked Sendable {
    let shared: PoolShared
    let endpoint: RedisEndpoint
    let options: RedisPool.Options
    // Touched only by the worker's own thread.
    var connection: RedisConnection?
    var nextAttempt = ContinuousClock.now
    var backoff = Duration.milliseconds(50)
    var lastError = "not connected yet"

    init(shared: PoolShared, endpoint: RedisEndpoint, options: RedisPool.Options) {
        self.shared = shared
        self.endpoint = endpoint
        self.options = options
    }

    func run() {
        while true {
            guard let next = shared.next(idle: 0.25) else {
                connection = nil
                shared.health.withLock { $0.connected = 0 }
                return
            }
            guard let job = next else {
                // Idle: reconnect in the background so the pool recovers without traffic.
                if connection == nil, ContinuousClock.now >= nextAttempt { _ = connect() }
                continue
            }
            guard ContinuousClock.now < job.deadline else {
                job.work(nil, StoreError(.timeout, "waited in the queue past its deadline"))
                continue
            }
            guard let live = connection ?? connect() else {
                job.work(nil, StoreError(.unavailable, lastError))
                continue
            }
            job.work(live, nil)
            if live.isBroken {
                drop(reason: "connection lost")
            } else {
                shared.report(up: true, error: nil)
            }
        }
    }

    private func milliseconds(_ d: Duration) -> Int { Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000) }

    /// Connects unless a backoff is running; nil when there is no connection.
    private func connect() -> RedisConnection? {
        guard ContinuousClock.now >= nextAttempt else { return nil }
        do {
            let made = try RedisConnection(
                endpoint: endpoint, connectTimeoutMS: max(1, milliseconds(options.connectTimeout)),
                commandTimeoutMS: max(1, milliseconds(options.commandTimeout)))
            connection = made
            backoff = .milliseconds(50)
            shared.health.withLock {
                $0.connected += 1
                $0.connects += 1
            }
            shared.report(up: true, error: nil)
            return made
        } catch {
            lastError = error.message
            nextAttempt = ContinuousClock.now.advanced(by: backoff)
            backoff = min(backoff * 2, .milliseconds(500))
            shared.report(up: false, error: error.message)
            return nil
        }
    }

    private func drop(reason: String) {
        connection = nil
        shared.health.withLock { $0.connected = max(0, $0.connected - 1) }
        shared.report(up: false, error: reason)
    }
}

/// Runs each registered action at its deadline unless the caller finished first (the action then
/// finds nothing to do): a binary heap of deadlines served by one thread.
final class DeadlineReaper: @unchecked Sendable {
    private struct Entry {
        var deadline: ContinuousClock.Instant
        var action: @Sendable () -> Void
    }

    // `heap` and `stopped` are only touched under `condition`'s lock.
    private let condition = NSCondition()
    private var heap: [Entry] = []
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func add(_ deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
        condition.lock()
        heap.append(Entry(deadline: deadline, action: action))
        var i = heap.count - 1
        while i > 0, heap[(i - 1) / 2].deadline > heap[i].deadline {
            heap.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
        if i == 0 { condition.signal() }  // a new earliest deadline
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func popFirst() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count, heap[l].deadline < heap[m].deadline { m = l }
                if r < heap.count, heap[r].deadline < heap[m].deadline { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return first
    }

    private func run() {
        condition.lock()
        while !stopped {
            guard let first = heap.first else {
                condition.wait()
                continue
            }
            let now = ContinuousClock.now
            if first.deadline > now {
                let wait = first.deadline - now
                let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
                _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
                continue
            }
            let due = popFirst()
            condition.unlock()
            due.action()
            condition.lock()
        }
        let pending = heap
        heap.removeAll()
        condition.unlock()
        for entry in pending { entry.action() }
    }
}
