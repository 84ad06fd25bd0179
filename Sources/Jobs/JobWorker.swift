import CoreMetrics
import Foundation
import JSON
public import Logging
public import Pipeline
import Records
import Reranker
import Scoring
public import ServiceLifecycle
import Store
import Telemetry

/// Scores the chunks of every job on the shared stream: `jobs.concurrency` loops per process, each
/// taking one chunk at a time with `XREADGROUP` (and, every half `claim_after_s`, the chunks a dead
/// consumer left with `XAUTOCLAIM`), scoring it through the pipeline as a batch, writing its results
/// once, then acknowledging it. Stops taking chunks on graceful shutdown and finishes the ones it has.
public struct JobWorker: Service {
    public let queue: JobQueue
    public let pipeline: ScoringPipeline
    /// This process's consumer name in the group (unique per process).
    public let consumer: String
    public let logger: Logger
    /// Called once per job, by the consumer that wrote its last chunk.
    public let onFinished: @Sendable (String) async -> Void
    public let metrics: JobMetrics?

    public init(
        queue: JobQueue, pipeline: ScoringPipeline, consumer: String, logger: Logger, metrics: JobMetrics? = nil,
        onFinished: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.queue = queue
        self.pipeline = pipeline
        self.consumer = consumer
        self.logger = logger
        self.metrics = metrics
        self.onFinished = onFinished
    }

    var settings: JobSettings { queue.settings }

    /// How many leads of a chunk go to the pipeline together: all of them without an LLM; with one,
    /// as many as this loop's share of the bulkhead (`jobs.llm_share` of `llm.max_in_flight`), so that
    /// each group's calls get the whole LLM budget and interactive scores keep the rest.
    var groupSize: Int {
        guard let reranker = pipeline.reranker else { return max(1, settings.chunkSize) }
        let slots = Double(reranker.settings.maxInFlight) * settings.llmShare / Double(max(1, settings.concurrency))
        return max(1, Int(slots))
    }

    public func run() async throws {
        guard settings.concurrency > 0 else {
            try? await gracefulShutdown()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<settings.concurrency { group.addTask { await loop() } }
        }
    }

    func loop() async {
        var grouped = false
        var lastClaim = ContinuousClock.now - .seconds(3_600)
        let claimEvery = Duration.milliseconds(max(500, settings.claimAfterSeconds * 500))
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if !grouped {
                    try await queue.ensureGroup()
                    grouped = true
                }
                var chunks: [JobChunk] = []
                if ContinuousClock.now - lastClaim >= claimEvery {
                    lastClaim = .now
                    chunks = try await queue.claimAbandoned(consumer: consumer)
                    if !chunks.isEmpty { metrics?.claimed.increment(by: Int64(chunks.count)) }
                }
                if chunks.isEmpty { chunks = try await queue.read(consumer: consumer) }
                for chunk in chunks { try await process(chunk) }
            } catch {
                if error.kind == .reply { grouped = false }
                logger.warning("jobs: redis", metadata: ["error": .string(error.description)])
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Scores one chunk and records its results; acknowledges it unless Redis failed on the way
    /// (then it stays pending, and this or another consumer claims it again).
    func process(_ chunk: JobChunk) async throws(StoreError) {
        await waitForRecorder()
        guard let start = try await queue.start(jobID: chunk.jobID), !start.status.isFinal else {
            // The job ended (cancelled, failed) or expired: its chunk is dropped unscored.
            try await queue.acknowledge([chunk.entryID])
            return
        }
        let begun = ContinuousClock.now
        let lines = await score(chunk, start: start)
        var body: [UInt8] = []
        body.reserveCapacity(lines.reduce(0) { $0 + $1.text.utf8.count + 1 })
        var failed = 0
        for line in lines {
            body.append(contentsOf: line.text.utf8)
            body.append(UInt8(ascii: "\n"))
            if line.failed { failed += 1 }
        }
        let completion = try await queue.complete(chunk, results: body, count: lines.count, failed: failed)
        try await queue.acknowledge([chunk.entryID])
        metrics?.chunkScored(leads: lines.count, failed: failed, seconds: (ContinuousClock.now - begun).seconds, duplicate: completion == .duplicate)
        if completion == .finishedJob {
            logger.info("job finished", metadata: ["job": .string(chunk.jobID)])
            await onFinished(chunk.jobID)
        }
    }

    /// Jobs are not in a hurry; decisions must not be lost. While the recorder's queue holds more
    /// than four rounds of chunks (at most a quarter of its capacity: the store is slower than the
    /// consumers), the chunk waits (up
    /// to 60 s), so that a job of a million leads neither fills the queue until records are dropped
    /// nor holds the gateway's memory in queued records. Interactive scores never wait here.
    func waitForRecorder() async {
        guard let recorder = pipeline.recorder else { return }
        let limit = max(settings.chunkSize, min(recorder.stats.queueCapacity / 4, settings.chunkSize * max(1, settings.concurrency) * 4))
        let deadline = ContinuousClock.now + .seconds(60)
        while recorder.stats.queueDepth > limit, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    struct Line: Sendable {
        var text: String
        var failed: Bool
    }

    /// The chunk's result lines, in input order: `{"index", …the scored lead's JSON}`, or `{"index",
    /// "lead_id", "error"}` as in a batch.
    func score(_ chunk: JobChunk, start: JobQueue.Start) async -> [Line] {
        var issues: [FieldIssue] = []
        let options =
            start.options.flatMap { try? JSONReader.parse(bytes: Array($0.utf8)) }.map {
                ScoreOptions($0, path: "options", issues: &issues)
            } ?? ScoreOptions()
        let leads = await leads(chunk, options: options)
        var lines: [Line] = []
        lines.reserveCapacity(leads.count)
        var offset = 0
        while offset < leads.count {
            let group = Array(leads[offset..<min(leads.count, offset + groupSize)])
            let context = DecisionContext(kind: .job, requestID: "job-\(chunk.jobID)", caller: start.caller, receivedAt: .now)
                .at(chunk.first + offset)
            let results = await pipeline.scoreBatch(BatchInput(leads: group, options: options), receivedAt: context.receivedAt, context: context)
            for (i, result) in results.enumerated() {
                switch result {
                case .success(let scored):
                    // The input position first, as in an error entry, so results join back to their input.
                    lines.append(Line(text: "{\"index\":\(chunk.first + offset + i)," + scored.json.dropFirst(), failed: false))
                case .failure(let problem):
                    var w = JSONWriter(capacity: 256)
                    problem.writeEntry(to: &w, index: chunk.first + offset + i, leadID: group[i].leadID)
                    lines.append(Line(text: w.text, failed: true))
                }
            }
            offset += group.count
        }
        return lines
    }

    /// The chunk's records as leads; a record that cannot be read is a lead with the issue, so that
    /// the pipeline answers it with a problem in its place.
    func leads(_ chunk: JobChunk, options: ScoreOptions) async -> [LeadInput] {
        let records = RecordSplitter.records(chunk.data, csv: chunk.format == .csv)
        switch chunk.format {
        case .ndjson:
            return records.enumerated().map { i, record in
                do throws(JSONError) {
                    return LeadInput(try JSONReader.parse(bytes: record))
                } catch {
                    var input = LeadInput(leadID: nil, features: [:])
                    input.issues = [
                        FieldIssue(
                            field: "(line \(chunk.first + i + 1))",
                            message: "is not a JSON lead object: \(error.description). Send one object per line.")
                    ]
                    return input
                }
            }
        case .csv:
            let header = CSVCells.parse(chunk.header)
            let snapshot = pipeline.registry.snapshot
            let model = (try? pipeline.registry.select(leadID: "", requested: options.model, in: snapshot)) ?? snapshot.primary
            do {
                let reader = try CSVLeads(header: header, manifest: model.manifest)
                return records.map { record in
                    let cells = CSVCells.parse(record)
                    var lead = reader.lead(cells, options: ScoreOptions())
                    if cells.count != header.count {
                        lead.issues.append(
                            FieldIssue(
                                field: "(record)", message: "has \(cells.count) cells; the header has \(header.count). Quote cells holding commas."))
                    }
                    return lead
                }
            } catch {
                return records.map { _ in
                    var input = LeadInput(leadID: nil, features: [:])
                    input.issues = error.errors
                    return input
                }
            }
        case .ids:
            let ids = records.map { String(decoding: $0, as: UTF8.self) }
            let found = await pipeline.store.liveScores(ids, timeout: .seconds(5))
            return ids.enumerated().map { i, id in
                var stored: LiveRecord?
                if case .success(let records) = found, i < records.count { stored = records[i] }
                if let text = stored?.input, let node = try? JSONReader.parse(bytes: Array(text.utf8)) {
                    return LeadInput(node)
                }
                var input = LeadInput(leadID: id, features: [:])
                let why: String
                if case .failure(let error) = found {
                    why = "the store did not answer (\(error.description)); submit the job again later"
                } else {
                    why = "has no stored input (no live score). Send its fields in an NDJSON or CSV job instead"
                }
                input.issues = [FieldIssue(field: "lead_ids[\(chunk.first + i)]", message: "`\(id)` \(why).")]
                return input
            }
        }
    }
}
