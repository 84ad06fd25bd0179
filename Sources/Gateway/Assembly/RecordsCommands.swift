public import Foundation
public import Logging
import Pipeline
public import PromptOps
public import Records
import Reranker
import Scoring

/// `leadgate records export|replay` on the configured system of record: the store opened (its
/// schema brought up to date), read, and closed. No recorder runs, and nothing is written to the
/// records, the live scores or the cache.
public enum RecordsCommands {
    public enum ExportFormat: String, CaseIterable, Sendable {
        case ndjson, csv
    }

    /// Runs `body` on the configured record store.
    ///
    /// - Throws: ``ConfigurationError`` when records are off or the URL does not parse; the store's
    ///   errors when it cannot be reached.
    public static func withStore<T>(_ config: GatewayConfig, logger: Logger, _ body: (any RecordStore) async throws -> T) async throws -> T {
        guard let opened = try RecordsRuntime.openStore(config.records, logger: logger) else {
            throw ConfigurationError(
                key: "records", "is off in this configuration, so there are no records to read. Set records.path or records.url.")
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            if let postgres = opened.postgres { group.addTask { await postgres.run() } }
            do {
                _ = try await opened.store.migrate()
                let result = try await body(opened.store)
                group.cancelAll()
                if let sqlite = opened.store as? SQLiteRecordStore { try? await sqlite.close() }
                return result
            } catch {
                group.cancelAll()
                if let sqlite = opened.store as? SQLiteRecordStore { try? await sqlite.close() }
                throw error
            }
        }
    }

    /// Writes the decisions in `[since, until)`, oldest first, to `output` in `format`, reading
    /// and writing a page at a time (memory stays bounded). `progress(done, total)` is called after
    /// every page. Returns how many decisions were written.
    public static func export(
        store: any RecordStore, since: Date?, until: Date?, format: ExportFormat, to output: FileHandle,
        progress: (Int, Int) -> Void = { _, _ in }
    ) async throws -> Int {
        let total = try await store.countDecisions(since: since, until: until)
        var buffer = ""
        buffer.reserveCapacity(1 << 17)
        if format == .csv { buffer += RecordsEncoder.csvHeader + "\n" }
        var written = 0
        progress(0, total)
        for try await decision in store.export(since: since, until: until, pageSize: 1000) {
            switch format {
            case .ndjson: buffer += RecordsEncoder.decision(decision)
            case .csv: buffer += RecordsEncoder.csvLine(decision)
            }
            buffer += "\n"
            written += 1
            if buffer.utf8.count >= 1 << 16 {
                try output.write(contentsOf: Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
            if written % 1000 == 0 { progress(written, max(total, written)) }
        }
        if !buffer.isEmpty { try output.write(contentsOf: Data(buffer.utf8)) }
        progress(written, max(total, written))
        return written
    }

    /// What `leadgate records replay` replays.
    public struct ReplayRequest: Sendable {
        public var model: String?
        /// A prompt id in the prompt folder, or nil to keep each decision's recorded multiplier.
        public var prompt: String?
        public var since: Date?
        public var until: Date?
        public var kinds: Set<DecisionRecord.Kind>?
        public var limit: Int?
        public var concurrency = 16

        public init() {}
    }

    /// Re-scores the recorded inputs in `request`'s range with the configured models (or
    /// `request.model`) and, with `request.prompt`, the configured LLM; reports what would change.
    public static func replay(
        config: GatewayConfig, store: any RecordStore, request: ReplayRequest, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> RecordsReplay.Report {
        var options = RecordsReplay.Options(model: request.model)
        options.kinds = request.kinds
        options.limit = request.limit
        options.concurrency = request.concurrency
        options.budget = .milliseconds(config.llmTimeoutMS)
        var reranker: LLMReranker?
        if let id = request.prompt {
            guard config.llmBaseURL != nil else {
                throw ConfigurationError(
                    key: "llm.base_url", "is not set: replaying a prompt asks the LLM. Set LEADGATE_LLM_BASE_URL (a test server works).")
            }
            guard let registry = try Components.makePrompts(config), let prompt = registry.snapshot.prompt(id) else {
                throw ConfigurationError(key: "--prompt", "no loaded prompt has id `\(id)` in the prompt folder of \(config.llmPrompt).")
            }
            options.prompt = prompt
            // Every decision gets its own call: an open breaker would say nothing about the prompt.
            var replayConfig = config
            replayConfig.llmBreakerFailures = 0
            reranker = try Components.makeReranker(replayConfig, prompt: prompt)
        }
        defer { reranker?.shutdown() }
        let pipeline = try PromptEval.offlinePipeline(config, reranker: reranker)
        var total = try await store.countDecisions(since: request.since, until: request.until)
        if let limit = request.limit { total = min(total, limit) }
        return try await RecordsReplay.run(
            store.export(since: request.since, until: request.until), total: total, pipeline: pipeline, options: options, progress: progress)
    }
}
