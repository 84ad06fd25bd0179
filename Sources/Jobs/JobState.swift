import Foundation
public import JSON

/// Where a job stands, as kept in its Redis hash.
public struct JobState: Sendable, Equatable {
    public enum Status: String, Sendable {
        case pending, running, succeeded, failed, cancelled

        public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    /// `bulk` (`POST /v1/jobs`) or `single` (an async `POST /v1/leads/score`).
    public enum Kind: String, Sendable {
        case bulk, single
    }

    public var id: String
    public var kind: Kind
    public var status: Status
    /// Leads read so far (the final count once `inputComplete`).
    public var total: Int
    /// Leads with a result (scored or failed).
    public var done: Int
    /// Leads whose result is an error.
    public var failed: Int
    public var chunks: Int
    public var chunksDone: Int
    public var inputComplete: Bool
    public var createdMS: Int64
    public var startedMS: Int64?
    public var finishedMS: Int64?
    public var caller: String?
    /// The job's options as JSON (`rerank`, `explain`, `model`), shared by its leads.
    public var options: String?
    public var callbackURL: String?
    /// Why a failed job failed.
    public var error: String?

    /// Reads an `HGETALL` reply's fields; nil when the hash is missing or not a job.
    public init?(id: String, fields: [String: String]) {
        guard let status = fields["status"].flatMap(Status.init(rawValue:)), let created = fields["created_at"].flatMap({ Int64($0) }) else {
            return nil
        }
        self.id = id
        kind = fields["kind"].flatMap(Kind.init(rawValue:)) ?? .bulk
        self.status = status
        total = fields["total"].flatMap { Int($0) } ?? 0
        done = fields["done"].flatMap { Int($0) } ?? 0
        failed = fields["failed"].flatMap { Int($0) } ?? 0
        chunks = fields["chunks"].flatMap { Int($0) } ?? 0
        chunksDone = fields["chunks_done"].flatMap { Int($0) } ?? 0
        inputComplete = fields["input_done"] == "1"
        createdMS = created
        startedMS = fields["started_at"].flatMap { Int64($0) }
        finishedMS = fields["finished_at"].flatMap { Int64($0) }
        caller = fields["caller"].flatMap { $0.isEmpty ? nil : $0 }
        options = fields["options"].flatMap { $0.isEmpty ? nil : $0 }
        callbackURL = fields["callback"].flatMap { $0.isEmpty ? nil : $0 }
        error = fields["error"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Leads per second since the first chunk started (to the end, once finished).
    public func rate(nowMS: Int64) -> Double? {
        guard let started = startedMS, done > 0 else { return nil }
        let seconds = Double((finishedMS ?? nowMS) - started) / 1000
        return seconds > 0 ? Double(done) / seconds : nil
    }

    /// Seconds left at the current rate, while running with its whole input read.
    public func eta(nowMS: Int64) -> Double? {
        guard status == .running, inputComplete, let rate = rate(nowMS: nowMS), rate > 0 else { return nil }
        return Double(max(0, total - done)) / rate
    }

    /// `{"id", "kind", "status", "total", "done", "scored", "failed", "input_complete", "rate_per_s",
    /// "eta_s", "created_at", "started_at", "finished_at", "error"}`.
    public func json(nowMS: Int64 = Timestamp.nowMS()) -> String {
        var w = JSONWriter(capacity: 384)
        write(to: &w, nowMS: nowMS)
        return w.text
    }

    public func write(to w: inout JSONWriter, nowMS: Int64) {
        func time(_ ms: Int64?) -> String? { ms.map { Timestamp.iso8601(Date(timeIntervalSince1970: Double($0) / 1000)) } }
        w.beginObject()
        w.field("id", id)
        w.field("kind", kind.rawValue)
        w.field("status", status.rawValue)
        w.field("total", total)
        w.field("done", done)
        w.field("scored", done - failed)
        w.field("failed", failed)
        w.field("input_complete", inputComplete)
        w.key("rate_per_s")
        if let rate = rate(nowMS: nowMS) { w.number((rate * 10).rounded() / 10) } else { w.null() }
        w.key("eta_s")
        if let eta = eta(nowMS: nowMS) { w.number(eta.rounded()) } else { w.null() }
        w.field("created_at", time(createdMS) ?? "")
        for (name, value) in [("started_at", time(startedMS)), ("finished_at", time(finishedMS))] {
            w.key(name)
            if let value { w.string(value) } else { w.null() }
        }
        if let error { w.field("error", error) }
        w.endObject()
    }
}
