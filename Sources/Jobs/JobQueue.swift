import JSON
public import Store

/// A chunk of a job as it sits on the stream.
public struct JobChunk: Sendable, Equatable {
    public enum Format: String, Sendable {
        /// One lead object per line.
        case ndjson
        /// CSV records under `header`.
        case csv
        /// One stored lead id per line, to re-score.
        case ids
    }

    /// The stream entry's id (`<ms>-<seq>`), for `XACK`.
    public var entryID: String
    public var jobID: String
    public var index: Int
    /// The input position of the chunk's first lead.
    public var first: Int
    public var format: Format
    public var header: [UInt8]
    public var data: [UInt8]
}

/// The jobs' Redis side: one hash per job, a stream of chunks read by a consumer group, a result key
/// per chunk. Every step that must be atomic across gateways (finishing a chunk, finishing the input,
/// cancelling) is one Lua script; everything else is one round trip.
public struct JobQueue: Sendable {
    public let pool: RedisPool
    public let keys: JobKeys
    public let settings: JobSettings
    /// Timeout of one operation that does not block.
    let timeout: Duration = .seconds(5)

    public init(pool: RedisPool, keys: JobKeys, settings: JobSettings) {
        self.pool = pool
        self.keys = keys
        self.settings = settings
    }

    // MARK: Creating a job

    public struct NewJob: Sendable {
        public var id: String
        public var kind: JobState.Kind
        public var caller: String?
        public var options: String?
        public var callbackURL: String?

        public init(id: String, kind: JobState.Kind, caller: String?, options: String?, callbackURL: String?) {
            self.id = id
            self.kind = kind
            self.caller = caller
            self.options = options
            self.callbackURL = callbackURL
        }
    }

    /// Creates the job's hash (status `pending`), kept `retention_h` past its creation until it ends.
    public func create(_ job: NewJob) async throws(StoreError) {
        let key = keys.job(job.id)
        let retention = String(settings.retentionSeconds + 86_400)
        let fields = [
            "HSET", key, "status", "pending", "kind", job.kind.rawValue, "created_at", String(Timestamp.nowMS()), "total", "0", "done", "0",
            "failed", "0", "chunks", "0", "chunks_done", "0", "input_done", "0", "caller", job.caller ?? "", "options", job.options ?? "",
            "callback", job.callbackURL ?? "",
        ]
        let replies = try await pool.run(timeout: timeout) { c throws(StoreError) in try c.pipeline([fields, ["EXPIRE", key, retention]]) }
        try Self.check(replies)
    }

    /// Takes `key` for job `id`; returns the job that already holds it, if one does.
    public func claimIdempotencyKey(caller: String, key: String, id: String) async throws(StoreError) -> String? {
        let name = keys.idempotency(caller: caller, key: key)
        let ttl = String(settings.retentionSeconds)
        let reply = try await pool.run(timeout: timeout) { c throws(StoreError) in try c.command(["SET", name, id, "NX", "GET", "EX", ttl]) }
        if case .error(let message) = reply { throw StoreError(.reply, message) }
        return reply.text
    }

    /// Puts a chunk on the stream and counts its leads in the job, in one round trip.
    public func append(jobID: String, chunk: Int, first: Int, count: Int, format: JobChunk.Format, header: [UInt8], data: [UInt8])
        async throws(StoreError)
    {
        let stream = Array(keys.stream.utf8)
        let job = Array(keys.job(jobID).utf8)
        let commands: [[[UInt8]]] = [
            [
                Array("XADD".utf8), stream, Array("*".utf8), Array("job".utf8), Array(jobID.utf8), Array("chunk".utf8), Array(String(chunk).utf8),
                Array("first".utf8), Array(String(first).utf8), Array("format".utf8), Array(format.rawValue.utf8), Array("header".utf8), header,
                Array("data".utf8), data,
            ],
            [Array("HINCRBY".utf8), job, Array("total".utf8), Array(String(count).utf8)],
            [Array("HINCRBY".utf8), job, Array("chunks".utf8), Array("1".utf8)],
        ]
        let replies = try await pool.run(timeout: timeout) { c throws(StoreError) in try c.pipeline(bytes: commands) }
        try Self.check(replies)
    }

    /// Marks the input read (`chunks` and `total` final); true when that finished the job (every
    /// chunk was already scored, or there was none).
    public func finishInput(jobID: String, chunks: Int, total: Int) async throws(StoreError) -> Bool {
        let script = """
            local st = redis.call('HGET', KEYS[1], 'status')
            if not st then return -1 end
            redis.call('HSET', KEYS[1], 'input_done', '1', 'chunks', ARGV[1], 'total', ARGV[2])
            if st ~= 'pending' and st ~= 'running' then return 0 end
            if tonumber(redis.call('HGET', KEYS[1], 'chunks_done')) == tonumber(ARGV[1]) then
              redis.call('HSET', KEYS[1], 'status', 'succeeded', 'finished_at', ARGV[3])
              redis.call('HSETNX', KEYS[1], 'started_at', ARGV[3])
              redis.call('EXPIRE', KEYS[1], ARGV[4])
              return 2
            end
            return 1
            """
        let reply = try await eval(script, keys: [keys.job(jobID)], arguments: [String(chunks), String(total), now, retention])
        return reply == .integer(2)
    }

    /// Ends a job that cannot go on (its upload broke); its queued chunks are skipped.
    public func fail(jobID: String, error: String) async throws(StoreError) {
        let script = """
            local st = redis.call('HGET', KEYS[1], 'status')
            if st == 'pending' or st == 'running' then
              redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[1], 'finished_at', ARGV[2])
              redis.call('EXPIRE', KEYS[1], ARGV[3])
            end
            return 1
            """
        _ = try await eval(script, keys: [keys.job(jobID)], arguments: [error, now, retention])
    }

    /// Cancels a pending or running job: its chunks not yet scored are skipped. Returns the state
    /// after, nil when there is no such job; `changed` is false when it had already ended.
    public func cancel(jobID: String) async throws(StoreError) -> (state: JobState, changed: Bool)? {
        let script = """
            local st = redis.call('HGET', KEYS[1], 'status')
            if not st then return -1 end
            if st == 'pending' or st == 'running' then
              redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[1])
              redis.call('EXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            return 0
            """
        let reply = try await eval(script, keys: [keys.job(jobID)], arguments: [now, retention])
        guard reply != .integer(-1), let state = try await state(jobID: jobID) else { return nil }
        return (state, reply == .integer(1))
    }

    /// The job's state, nil when there is no such job (or it expired).
    public func state(jobID: String) async throws(StoreError) -> JobState? {
        let key = keys.job(jobID)
        let reply = try await pool.run(timeout: timeout) { c throws(StoreError) in try c.command(["HGETALL", key]) }
        return JobState(id: jobID, fields: Self.fields(reply))
    }

    /// The results of chunks `range`, in order (nil where a chunk has none: not scored yet, skipped).
    public func results(jobID: String, chunks range: Range<Int>) async throws(StoreError) -> [[UInt8]?] {
        guard !range.isEmpty else { return [] }
        let names = range.map { keys.result(jobID, chunk: $0) }
        let reply = try await pool.run(timeout: timeout) { c throws(StoreError) in try c.command(["MGET"] + names) }
        guard case .array(let values) = reply, values.count == names.count else {
            throw StoreError(.reply, "MGET of \(names.count) result chunks answered \(reply)")
        }
        return values.map { if case .bulk(let bytes) = $0 { bytes } else { nil } }
    }

    // MARK: Consuming

    /// Creates the consumer group (from the stream's start) unless it exists.
    public func ensureGroup() async throws(StoreError) {
        let stream = keys.stream
        let reply = try await pool.run(timeout: timeout) { c throws(StoreError) in
            try c.command(["XGROUP", "CREATE", stream, JobKeys.group, "0", "MKSTREAM"])
        }
        if case .error(let message) = reply, !message.hasPrefix("BUSYGROUP") { throw StoreError(.reply, message) }
    }

    /// New chunks for `consumer`, waiting up to `blockMS` for one.
    public func read(consumer: String, count: Int = 1) async throws(StoreError) -> [JobChunk] {
        let stream = keys.stream
        let block = String(settings.blockMS)
        let reply = try await pool.run(timeout: .milliseconds(settings.blockMS) + timeout) { c throws(StoreError) in
            try c.command(["XREADGROUP", "GROUP", JobKeys.group, consumer, "COUNT", String(count), "BLOCK", block, "STREAMS", stream, ">"])
        }
        if case .error(let message) = reply {
            // The group (or the stream) was removed, e.g. by FLUSHALL or a failover to an empty replica.
            if message.hasPrefix("NOGROUP") { try await ensureGroup() }
            throw StoreError(.reply, message)
        }
        guard case .array(let streams) = reply, case .array(let pair)? = streams.first, pair.count == 2, case .array(let entries) = pair[1]
        else { return [] }
        return entries.compactMap(Self.chunk)
    }

    /// Chunks another consumer took and left unacknowledged for `claim_after_s`, now `consumer`'s.
    public func claimAbandoned(consumer: String, count: Int = 1) async throws(StoreError) -> [JobChunk] {
        let stream = keys.stream
        let idle = String(settings.claimAfterSeconds * 1000)
        let reply = try await pool.run(timeout: timeout) { c throws(StoreError) in
            try c.command(["XAUTOCLAIM", stream, JobKeys.group, consumer, idle, "0-0", "COUNT", String(count)])
        }
        if case .error(let message) = reply { throw StoreError(.reply, message) }
        guard case .array(let parts) = reply, parts.count >= 2, case .array(let entries) = parts[1] else { return [] }
        return entries.compactMap(Self.chunk)
    }

    /// What a consumer needs to score a chunk of a job: marks the job running (on its first chunk).
    public struct Start: Sendable {
        public var status: JobState.Status
        public var options: String?
        public var kind: JobState.Kind
        public var caller: String?
    }

    public func start(jobID: String) async throws(StoreError) -> Start? {
        let script = """
            local st = redis.call('HGET', KEYS[1], 'status')
            if not st then return false end
            if st == 'pending' then
              redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1])
              st = 'running'
            end
            return {st, redis.call('HGET', KEYS[1], 'options') or '', redis.call('HGET', KEYS[1], 'kind') or 'bulk',
              redis.call('HGET', KEYS[1], 'caller') or ''}
            """
        let reply = try await eval(script, keys: [keys.job(jobID)], arguments: [now])
        guard case .array(let parts) = reply, parts.count == 4, let status = parts[0].text.flatMap(JobState.Status.init(rawValue:)) else {
            return nil
        }
        let options = parts[1].text.flatMap { $0.isEmpty ? nil : $0 }
        return Start(
            status: status, options: options, kind: parts[2].text.flatMap(JobState.Kind.init(rawValue:)) ?? .bulk,
            caller: parts[3].text.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// How writing a chunk's results went.
    public enum Completion: Sendable, Equatable {
        /// Written; the job goes on.
        case written
        /// Written, and it was the job's last chunk: the job succeeded.
        case finishedJob
        /// Already written (a chunk delivered twice): nothing counted again.
        case duplicate
        /// The job was cancelled, failed or expired meanwhile: nothing written.
        case jobEnded
    }

    /// Writes a chunk's results once (`SET NX`): the first writer counts its leads, a second one
    /// (a chunk claimed after a slow consumer finished it after all) changes nothing.
    public func complete(_ chunk: JobChunk, results: [UInt8], count: Int, failed: Int) async throws(StoreError) -> Completion {
        let script = """
            local st = redis.call('HGET', KEYS[1], 'status')
            if st ~= 'running' and st ~= 'pending' then return -1 end
            if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[4]) then return 0 end
            redis.call('HINCRBY', KEYS[1], 'done', ARGV[2])
            redis.call('HINCRBY', KEYS[1], 'failed', ARGV[3])
            local c = redis.call('HINCRBY', KEYS[1], 'chunks_done', 1)
            if redis.call('HGET', KEYS[1], 'input_done') == '1' and tonumber(redis.call('HGET', KEYS[1], 'chunks')) == c then
              redis.call('HSET', KEYS[1], 'status', 'succeeded', 'finished_at', ARGV[5])
              redis.call('EXPIRE', KEYS[1], ARGV[4])
              return 2
            end
            return 1
            """
        let arguments: [[UInt8]] = [results, Array(String(count).utf8), Array(String(failed).utf8), Array(retention.utf8), Array(now.utf8)]
        let reply = try await eval(
            bytes: script, keys: [keys.job(chunk.jobID), keys.result(chunk.jobID, chunk: chunk.index)], arguments: arguments)
        switch reply {
        case .integer(2): return .finishedJob
        case .integer(1): return .written
        case .integer(0): return .duplicate
        default: return .jobEnded
        }
    }

    /// Acknowledges chunks and removes them from the stream (their input is no longer needed).
    public func acknowledge(_ entryIDs: [String]) async throws(StoreError) {
        guard !entryIDs.isEmpty else { return }
        let stream = keys.stream
        let replies = try await pool.run(timeout: timeout) { c throws(StoreError) in
            try c.pipeline([["XACK", stream, JobKeys.group] + entryIDs, ["XDEL", stream] + entryIDs])
        }
        try Self.check(replies)
    }

    // MARK: Helpers

    private var now: String { String(Timestamp.nowMS()) }
    private var retention: String { String(settings.retentionSeconds) }

    private func eval(_ script: String, keys names: [String], arguments: [String]) async throws(StoreError) -> RedisValue {
        try await eval(bytes: script, keys: names, arguments: arguments.map { Array($0.utf8) })
    }

    private func eval(bytes script: String, keys names: [String], arguments: [[UInt8]]) async throws(StoreError) -> RedisValue {
        let command: [[UInt8]] =
            [Array("EVAL".utf8), Array(script.utf8), Array(String(names.count).utf8)] + names.map { Array($0.utf8) } + arguments
        let reply = try await pool.run(timeout: timeout) { c throws(StoreError) in try c.command(bytes: command) }
        if case .error(let message) = reply { throw StoreError(.reply, message) }
        return reply
    }

    static func check(_ replies: [RedisValue]) throws(StoreError) {
        for reply in replies { if case .error(let message) = reply { throw StoreError(.reply, message) } }
    }

    static func fields(_ reply: RedisValue) -> [String: String] {
        guard case .array(let flat) = reply else { return [:] }
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < flat.count {
            if let key = flat[i].text { fields[key] = flat[i + 1].text ?? "" }
            i += 2
        }
        return fields
    }

    /// A stream entry `[id, [field, value, …]]` as a chunk; nil when it is not one of ours.
    static func chunk(_ entry: RedisValue) -> JobChunk? {
        guard case .array(let pair) = entry, pair.count == 2, let id = pair[0].text, case .array(let flat) = pair[1] else { return nil }
        var values: [String: [UInt8]] = [:]
        var i = 0
        while i + 1 < flat.count {
            if let key = flat[i].text, case .bulk(let bytes) = flat[i + 1] { values[key] = bytes }
            i += 2
        }
        guard let job = values["job"].map({ String(decoding: $0, as: UTF8.self) }),
            let index = values["chunk"].flatMap({ Int(String(decoding: $0, as: UTF8.self)) }),
            let first = values["first"].flatMap({ Int(String(decoding: $0, as: UTF8.self)) }),
            let format = values["format"].flatMap({ JobChunk.Format(rawValue: String(decoding: $0, as: UTF8.self)) })
        else { return nil }
        return JobChunk(
            entryID: id, jobID: job, index: index, first: first, format: format, header: values["header"] ?? [], data: values["data"] ?? [])
    }
}
