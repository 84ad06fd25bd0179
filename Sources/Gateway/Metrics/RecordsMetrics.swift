import CoreMetrics
import Records
import Synchronization
import Telemetry

/// The system of record's metrics: the recorder's queue and journal, what it wrote, replayed and
/// dropped, and how long its batches take. The counters are the recorder's running totals, brought
/// up to date before every scrape (``sample(_:)``); batch durations are observed as they happen.
public final class RecordsMetrics: Sendable {
    static let queueDepth = MetricDescriptor("leadgate_records_queue_depth", .gauge, "Decision records waiting in memory for the store.")
    static let journalBytes = MetricDescriptor(
        "leadgate_records_journal_bytes", .gauge, "Bytes in the local journal (batches the store could not take yet).")
    static let journalRecords = MetricDescriptor("leadgate_records_journal_records", .gauge, "Decision records in the local journal.")
    static let up = MetricDescriptor("leadgate_records_up", .gauge, "1 when the last write to the records store worked.")
    static let recorded = MetricDescriptor("leadgate_records_recorded_total", .counter, "Decision records queued.")
    static let written = MetricDescriptor("leadgate_records_written_total", .counter, "Decision records written to the store (directly or replayed).")
    static let journaled = MetricDescriptor("leadgate_records_journaled_total", .counter, "Decision records appended to the journal.")
    static let replayed = MetricDescriptor("leadgate_records_replayed_total", .counter, "Decision records written to the store from the journal.")
    static let dropped = MetricDescriptor(
        "leadgate_records_dropped_total", .counter,
        "Decision records dropped, by reason: queue_full, journal_full, rejected (the database refused the row as data).")
    static let failures = MetricDescriptor("leadgate_records_store_failures_total", .counter, "Writes to the records store that failed.")
    static let batch = MetricDescriptor(
        "leadgate_records_batch_duration_seconds", .timer(buckets: MetricDescriptor.latencyBuckets),
        "Time to write one batch of decision records to the store.")

    static let descriptors = [queueDepth, journalBytes, journalRecords, up, recorded, written, journaled, replayed, dropped, failures, batch]

    private let factory: any MetricsFactory
    private let batchTimer: Timer
    private let totals = Mutex<[String: Int]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        batchTimer = Timer(label: Self.batch.name, factory: factory)
    }

    /// The recorder's callback after each batch.
    var batchWritten: @Sendable (Int, Duration) -> Void {
        { [batchTimer] _, duration in batchTimer.recordNanoseconds(duration.nanoseconds) }
    }

    /// Brings the gauges and counters up to the recorder's current figures.
    func sample(_ stats: RecorderStats) {
        func gauge(_ d: MetricDescriptor, _ value: Int) { Gauge(label: d.name, factory: factory).record(value) }
        gauge(Self.queueDepth, stats.queueDepth)
        gauge(Self.journalBytes, stats.journalBytes)
        gauge(Self.journalRecords, stats.journalRecords)
        gauge(Self.up, stats.backend == .down ? 0 : 1)
        advance(Self.recorded, to: stats.recorded)
        advance(Self.written, to: stats.written)
        advance(Self.journaled, to: stats.journaled)
        advance(Self.replayed, to: stats.replayed)
        advance(Self.dropped, [("reason", "queue_full")], to: stats.droppedQueueFull)
        advance(Self.dropped, [("reason", "journal_full")], to: stats.droppedJournalFull)
        advance(Self.dropped, [("reason", "rejected")], to: stats.droppedRejected)
        advance(Self.failures, to: stats.storeFailures)
    }

    private func advance(_ descriptor: MetricDescriptor, _ dimensions: [(String, String)] = [], to total: Int) {
        let key = descriptor.name + dimensions.map { "|\($0.1)" }.joined()
        let delta = totals.withLock { t -> Int in
            let d = total - (t[key] ?? 0)
            if d > 0 { t[key] = total }
            return d
        }
        let counter = Counter(label: descriptor.name, dimensions: dimensions, factory: factory)
        if delta > 0 { counter.increment(by: delta) }
    }
}
