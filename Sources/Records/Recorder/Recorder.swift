import Foundation
public import Logging
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The write path of the records: ``record(_:)`` is synchronous and cheap (it appends to a bounded
/// in-memory queue under a `Mutex`), and ``run()`` writes the queue to the store in batches, at
/// least every ``Configuration/flushInterval`` or as soon as a batch is full.
///
/// Never lost: when the store fails or does not answer in time, the batch is appended to the local
/// ``Configuration/journalPath`` (fsync'd per batch) and replayed, in order, when the store is back
/// (tried every ``Configuration/retryInterval``). While the journal holds anything, new batches go
/// behind it, so records reach the store in the order they were recorded. A restart replays what the
/// journal holds. Only when the journal would grow beyond ``Configuration/journalMaxBytes`` (or the
/// queue is full) are records dropped, and every dropped record is counted (``RecorderStats``).
/// Replays are harmless: decision ids are primary keys and inserts skip existing ids.
///
/// On graceful shutdown (or cancellation), ``run()`` writes what is queued to the store, or to the
/// journal when the store cannot take it, before it returns.
public final class Recorder: Service {
    public struct Configuration: Sendable {
        /// Records per store write.
        public var batchSize = 1000
        /// The longest a record waits in the queue.
        public var flushInterval: Duration = .seconds(1)
        /// Records the queue holds; beyond, ``Recorder/record(_:)`` drops (and counts) them.
        public var queueCapacity = 100_000
        /// The journal file, e.g. `data/records.journal`.
        public var journalPath: String
        /// The most bytes the journal may hold.
        public var journalMaxBytes = 256 * 1024 * 1024
        /// How often a down store is tried again.
        public var retryInterval: Duration = .seconds(1)
        /// Called after every store write with its size and duration (for a latency histogram).
        public var onBatchWritten: (@Sendable (_ records: Int, _ duration: Duration) -> Void)?

        public init(journalPath: String) {
            self.journalPath = journalPath
        }
    }

    private struct State {
        var queue: [DecisionRecord] = []
        /// Leads erased while this process runs, with when: their decisions made before that are
        /// not written, even from the journal (see ``forget(leadID:)``).
        var erased: [String: Date] = [:]
        var wake: AsyncStream<Void>.Continuation?
        var stats: RecorderStats
    }

    public let configuration: Configuration
    private let store: any RecordStore
    private let logger: Logger
    private let state: Mutex<State>

    public init(store: any RecordStore, configuration: Configuration, logger: Logger = Logger(label: "leadgate.records.recorder")) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        state = Mutex(State(stats: RecorderStats(queueCapacity: configuration.queueCapacity)))
    }

    /// Queues `decision` for the store. Never blocks and never throws; a full queue drops the
    /// record and counts it (``RecorderStats/droppedQueueFull``).
    public func record(_ decision: DecisionRecord) {
        let wake = state.withLock { state -> AsyncStream<Void>.Continuation? in
            guard state.queue.count < configuration.queueCapacity else {
                state.stats.droppedQueueFull += 1
                return nil
            }
            state.queue.append(decision)
            state.stats.recorded += 1
            return state.queue.count >= configuration.batchSize ? state.wake : nil
        }
        wake?.yield()
    }

    /// Queues several decisions (one lock).
    public func record(contentsOf decisions: [DecisionRecord]) {
        let wake = state.withLock { state -> AsyncStream<Void>.Continuation? in
            let room = max(0, configuration.queueCapacity - state.queue.count)
            state.queue += decisions.prefix(room)
            state.stats.recorded += min(room, decisions.count)
            state.stats.droppedQueueFull += max(0, decisions.count - room)
            return state.queue.count >= configuration.batchSize ? state.wake : nil
        }
        wake?.yield()
    }

    /// For an erasure: drops the lead's decisions still queued, and keeps those already taken or
    /// journaled (made before now) out of the store. Call it before erasing the lead's rows, so
    /// nothing of the lead arrives after the erasure. Returns how many queued records it dropped.
    @discardableResult
    public func forget(leadID: String) -> Int {
        let now = Date()
        return state.withLock { state in
            let before = state.queue.count
            state.queue.removeAll { $0.leadID == leadID }
            state.erased[leadID] = now
            // Bounded: an entry matters only while decisions older than it can still be in flight.
            if state.erased.count > 100_000, let oldest = state.erased.min(by: { $0.value < $1.value }) {
                state.erased[oldest.key] = nil
            }
            return before - state.queue.count
        }
    }

    /// Waits (up to `timeout`) until no batch taken from the queue is being written: after
    /// ``forget(leadID:)``, the lead's rows in the store are then all the store will ever get.
    public func waitForWritesInFlight(timeout: Duration = .seconds(5)) async {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ $0.stats.inFlight > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// `batch` without the decisions of leads erased after they were made.
    private func withoutErased(_ batch: [DecisionRecord]) -> [DecisionRecord] {
        state.withLock { state in
            guard !state.erased.isEmpty else { return batch }
            return batch.filter { record in state.erased[record.leadID].map { record.time > $0 } ?? true }
        }
    }

    /// A snapshot of the counters.
    public var stats: RecorderStats {
        state.withLock { state in
            var stats = state.stats
            stats.queueDepth = state.queue.count
            return stats
        }
    }

    /// Opens the journal (replaying what it holds), then writes batches until graceful shutdown or
    /// cancellation, and finally writes (or journals) what is still queued.
    ///
    /// - Throws: when the journal file cannot be opened.
    public func run() async throws {
        let journal = try await Self.blocking { try Journal(path: self.configuration.journalPath) }
        if journal.discardedTailBytes > 0 {
            logger.warning(
                "records journal ended in a partial frame (a crash during its write); dropped its tail",
                metadata: ["records.journal.bytes": "\(journal.discardedTailBytes)"]
            )
        }
        var loop = Loop(journal: journal)
        updateJournal(journal)
        let (signals, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.wake = wake }
        let interval = configuration.flushInterval
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while true {
                        do {
                            try await Task.sleep(for: interval)
                        } catch {
                            return
                        }
                        wake.yield()
                    }
                }
                wake.yield()  // replay at once what a previous run left
                for await _ in signals {
                    await cycle(&loop, final: false)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            wake.finish()
        }
        wake.finish()
        state.withLock { $0.wake = nil }
        await cycle(&loop, final: true)
    }

    /// What the run loop alone keeps between cycles.
    private struct Loop {
        let journal: Journal
        /// Where replay resumes (frames before it are in the store).
        var replayOffset = 0
        var nextAttempt = ContinuousClock.now
    }

    /// One pass: take the queue, write it (or journal it), and replay the journal when due.
    private func cycle(_ loop: inout Loop, final: Bool) async {
        let batch = state.withLock { state -> [DecisionRecord] in
            let taken = state.queue
            state.queue.removeAll(keepingCapacity: true)
            state.stats.inFlight = taken.count
            return taken
        }
        var start = 0
        while start < batch.count {
            let end = min(start + configuration.batchSize, batch.count)
            await write(Array(batch[start..<end]), &loop, final: final)
            state.withLock { $0.stats.inFlight = batch.count - end }
            start = end
        }
        if loop.journal.size > 0, ContinuousClock.now >= loop.nextAttempt, !final || !Task.isCancelled {
            await replay(&loop)
        }
    }

    /// Writes one batch to the store when nothing is journaled and the store is not backing off;
    /// otherwise, or when the write fails, appends it to the journal.
    private func write(_ batch: [DecisionRecord], _ loop: inout Loop, final: Bool) async {
        if loop.journal.size == 0, ContinuousClock.now >= loop.nextAttempt {
            let started = ContinuousClock.now
            do {
                let written = try await insertIsolatingRejects(withoutErased(batch))
                let latency = ContinuousClock.now - started
                configuration.onBatchWritten?(written, latency)
                state.withLock { state in
                    state.stats.written += written
                    state.stats.lastBatchLatency = latency
                    state.stats.lastBatchSize = batch.count
                    state.stats.backend = .up
                }
                return
            } catch {
                storeFailed(error, &loop)
            }
        }
        await journalAppend(batch, loop.journal)
    }

    /// Inserts `batch`. When the store refuses its data (``RecordStore/rejectsData(_:)``: retrying
    /// cannot help), halves it until the refused records are alone, writes the others, and drops
    /// and counts the refused ones (each logged with its id and the store's reason). Inserts are
    /// idempotent, so halves written before a failure are not written twice. Throws only errors
    /// worth retrying (the store away or slow), for the caller to journal. Returns how many of the
    /// batch were written (not refused).
    private func insertIsolatingRejects(_ batch: [DecisionRecord]) async throws -> Int {
        guard !batch.isEmpty else { return 0 }
        do {
            _ = try await store.insert(decisions: batch)
            return batch.count
        } catch  where store.rejectsData(error) {
            if batch.count == 1 {
                state.withLock { $0.stats.droppedRejected += 1 }
                logger.error(
                    "records store refused a decision as data; dropped it",
                    metadata: ["records.decision": "\(batch[0].id)", "error": "\(String(reflecting: error))"])
                return 0
            }
            let middle = batch.count / 2
            return try await insertIsolatingRejects(Array(batch[..<middle])) + insertIsolatingRejects(Array(batch[middle...]))
        }
    }

    private func storeFailed(_ error: any Error, _ loop: inout Loop) {
        loop.nextAttempt = ContinuousClock.now + configuration.retryInterval
        let wasUp = state.withLock { state -> Bool in
            defer {
                state.stats.backend = .down
                state.stats.lastError = String(describing: error)
                state.stats.storeFailures += 1
            }
            return state.stats.backend != .down
        }
        if wasUp { logger.error("records store failed; journaling batches until it is back", metadata: ["error": "\(error)"]) }
    }

    private func journalAppend(_ batch: [DecisionRecord], _ journal: Journal) async {
        let payload = RecordCodec.encode(batch)
        guard journal.size + Journal.frameSize(payload: payload.count) <= configuration.journalMaxBytes else {
            state.withLock { $0.stats.droppedJournalFull += batch.count }
            logger.error(
                "records journal is full; dropped a batch",
                metadata: ["records.dropped": "\(batch.count)", "records.journal.max_bytes": "\(configuration.journalMaxBytes)"]
            )
            return
        }
        do {
            try await Self.blocking { try journal.append(payload: payload, records: batch.count) }
            state.withLock { $0.stats.journaled += batch.count }
        } catch {
            state.withLock { $0.stats.droppedJournalFull += batch.count }
            logger.error("records journal write failed; dropped a batch", metadata: ["error": "\(error)", "records.dropped": "\(batch.count)"])
        }
        updateJournal(journal)
    }

    /// Replays the journal from `replayOffset`, frame by frame, in order; truncates it when all of it
    /// is in the store. Stops at the first failure (and backs off).
    private func replay(_ loop: inout Loop) async {
        let journal = loop.journal
        while true {
            let offset = loop.replayOffset
            let frame: Journal.Frame?
            do {
                frame = try await Self.blocking { try journal.frame(at: offset) }
            } catch is CancellationError {
                return  // shutting down: the journal stays for the next start
            } catch {
                // A frame that was whole at open cannot fail later unless the file was changed under us.
                logger.error("records journal cannot be read; keeping it for inspection", metadata: ["error": "\(error)"])
                loop.nextAttempt = ContinuousClock.now + configuration.retryInterval
                return
            }
            guard let frame else { break }
            let started = ContinuousClock.now
            let written: Int
            do {
                written = try await insertIsolatingRejects(withoutErased(frame.records))
            } catch {
                storeFailed(error, &loop)
                return
            }
            let latency = ContinuousClock.now - started
            configuration.onBatchWritten?(written, latency)
            loop.replayOffset = frame.next
            state.withLock { state in
                state.stats.replayed += written
                state.stats.written += written
                state.stats.lastBatchLatency = latency
                state.stats.lastBatchSize = frame.records.count
                state.stats.backend = .up
            }
        }
        do {
            try await Self.blocking { try journal.reset() }
            loop.replayOffset = 0
            logger.info("records journal replayed", metadata: ["records.replayed": "\(stats.replayed)"])
        } catch {
            logger.error("records journal could not be truncated after replay", metadata: ["error": "\(error)"])
        }
        updateJournal(journal)
    }

    private func updateJournal(_ journal: Journal) {
        let size = journal.size
        let records = journal.records
        state.withLock { state in
            state.stats.journalBytes = size
            state.stats.journalRecords = records
        }
    }

    /// Runs blocking file calls on NIO's thread pool, off the cooperative pool.
    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

/// The recorder's counters, for metrics and `/readyz`.
public struct RecorderStats: Sendable, Hashable {
    /// Whether the last store write worked.
    public enum BackendState: String, Sendable, Hashable {
        case unknown, up, down
    }

    /// Records waiting in memory.
    public var queueDepth = 0
    public var queueCapacity: Int
    /// Records taken from the queue and not yet written or journaled.
    public var inFlight = 0
    /// Records accepted by ``Recorder/record(_:)``.
    public var recorded = 0
    /// Records written to the store (directly or by replay).
    public var written = 0
    /// Records appended to the journal.
    public var journaled = 0
    /// Records written to the store from the journal.
    public var replayed = 0
    /// Records dropped because the queue was full.
    public var droppedQueueFull = 0
    /// Records dropped because the journal was full (or could not be written).
    public var droppedJournalFull = 0
    /// Bytes and records the journal holds now.
    public var journalBytes = 0
    public var journalRecords = 0
    /// The duration and size of the last store write.
    public var lastBatchLatency: Duration?
    public var lastBatchSize = 0
    public var backend = BackendState.unknown
    /// Store writes that failed.
    public var storeFailures = 0
    public var lastError: String?

    /// Records the store refused as data (e.g. PostgreSQL SQLSTATE class 22 or 23): isolated from
    /// their batch, logged with their id, and dropped, so one bad row cannot hold back the rest.
    public var droppedRejected = 0

    /// All dropped records.
    public var dropped: Int { droppedQueueFull + droppedJournalFull + droppedRejected }

    /// Nothing queued, in flight or journaled: everything recorded is in the store (or dropped).
    public var isIdle: Bool { queueDepth == 0 && inFlight == 0 && journalBytes == 0 }

    public init(queueCapacity: Int) {
        self.queueCapacity = queueCapacity
    }
}
