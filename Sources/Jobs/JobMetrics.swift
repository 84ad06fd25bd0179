public import CoreMetrics
public import Telemetry

/// What the job consumers of this process did: chunks and leads scored, chunks claimed from a dead
/// consumer, chunks delivered twice (their second result dropped), and jobs taken in.
public final class JobMetrics: Sendable {
    static let chunks = MetricDescriptor("leadgate_job_chunks_total", .counter, "Job chunks scored by this process.")
    static let leads = MetricDescriptor(
        "leadgate_job_leads_total", .counter, "Leads of jobs scored by this process, by result (scored, failed).")
    static let claimedChunks = MetricDescriptor(
        "leadgate_job_chunks_claimed_total", .counter, "Job chunks this process claimed from a consumer that stopped (XAUTOCLAIM).")
    static let duplicates = MetricDescriptor(
        "leadgate_job_chunks_duplicate_total", .counter, "Job chunks scored a second time whose results were already written (dropped).")
    static let submitted = MetricDescriptor("leadgate_jobs_submitted_total", .counter, "Jobs taken in by this gateway, by kind (bulk, single).")
    static let chunkDuration = MetricDescriptor(
        "leadgate_job_chunk_duration_seconds", .timer(buckets: MetricDescriptor.latencyBuckets), "Time to score one job chunk.")

    public static let descriptors = [chunks, leads, claimedChunks, duplicates, submitted, chunkDuration]

    let chunkCounter: Counter
    let leadCounter: CounterFamily
    public let claimed: Counter
    let duplicateCounter: Counter
    let submittedCounter: CounterFamily
    let timer: Timer

    public init(factory: any MetricsFactory) {
        chunkCounter = Counter(label: Self.chunks.name, factory: factory)
        leadCounter = CounterFamily(Self.leads, labels: ["result"], factory: factory)
        claimed = Counter(label: Self.claimedChunks.name, factory: factory)
        duplicateCounter = Counter(label: Self.duplicates.name, factory: factory)
        submittedCounter = CounterFamily(Self.submitted, labels: ["kind"], factory: factory)
        timer = Timer(label: Self.chunkDuration.name, factory: factory)
    }

    func chunkScored(leads: Int, failed: Int, seconds: Double, duplicate: Bool) {
        chunkCounter.increment()
        leadCounter.increment("scored", by: leads - failed)
        leadCounter.increment("failed", by: failed)
        if duplicate { duplicateCounter.increment() }
        timer.recordSeconds(seconds)
    }

    public func submitted(kind: JobState.Kind) { submittedCounter.increment(kind.rawValue) }
}
