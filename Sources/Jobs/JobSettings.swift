/// The `jobs:` section: how bulk and async jobs are cut, consumed and kept.
public struct JobSettings: Sendable, Equatable {
    /// Leads per chunk on the stream (`jobs.chunk_size`): the unit a gateway takes, scores and acknowledges.
    public var chunkSize = 500
    /// Chunks this process scores at once (`jobs.concurrency`); 0 makes it a gateway that only takes
    /// jobs in and leaves the scoring to the others (and to `leadgate worker`).
    public var concurrency = 2
    /// A chunk taken by a consumer that has not acknowledged it for this long is claimed by another
    /// (`jobs.claim_after_s`): a gateway killed mid-chunk loses nothing.
    public var claimAfterSeconds = 30
    /// How long a finished job and its results are kept (`jobs.retention_h`).
    public var retentionHours = 24
    /// The share of the LLM bulkhead (`llm.max_in_flight`) a job's calls may take on this gateway
    /// (`jobs.llm_share`); the rest stays free for interactive scores.
    public var llmShare = 0.5
    /// The most leads one job may hold (`jobs.max_leads`).
    public var maxLeads = 1_000_000
    /// The most bytes one job's upload may have (`jobs.max_body_bytes`).
    public var maxBodyBytes = 2 << 30
    /// How long a consumer's `XREADGROUP` blocks for new chunks, in milliseconds.
    public var blockMS = 1_000

    public init() {}

    public var retentionSeconds: Int { retentionHours * 3_600 }
}
