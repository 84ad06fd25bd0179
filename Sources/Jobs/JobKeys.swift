/// The Redis keys of the jobs, under the store's prefix (`redis.key_prefix`).
///
/// - `<p>jobs:stream`: the stream of chunks, read by the consumer group `workers`;
/// - `<p>job:<id>`: the job's hash (status, counts, times, options);
/// - `<p>job:<id>:r:<chunk>`: a chunk's results, one NDJSON line per lead, in input order;
/// - `<p>job-key:<caller>:<key>`: the job an `Idempotency-Key` made.
public struct JobKeys: Sendable {
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    public var stream: String { prefix + "jobs:stream" }
    public static let group = "workers"
    public func job(_ id: String) -> String { prefix + "job:" + id }
    public func result(_ id: String, chunk: Int) -> String { prefix + "job:" + id + ":r:" + String(chunk) }
    public func idempotency(caller: String, key: String) -> String { prefix + "job-key:" + caller + ":" + key }
}
