import ArgumentParser
import Foundation
import Gateway
import JSON
import Logging
import PromptOps
import Records
import Scoring

/// `leadgate records`: reads the system of record.
struct RecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "Read the system of record: export decisions, or replay them with another model or prompt.",
        subcommands: [Export.self, Replay.self, Bench.self]
    )

    /// Where the records are and which of them: shared by the subcommands.
    struct Selection: ParsableArguments {
        @Option(help: "The YAML configuration file (default: LEADGATE_CONFIG, else config/leadgate.yaml when present).")
        var config: String?

        @Option(help: "The records: a postgres:// URL or an SQLite file (default: the configuration's records.url or records.path).")
        var records: String?

        @Option(help: "Only decisions at or after this time: 2026-12-01 or 2026-12-01T08:00:00Z (UTC unless an offset is given).")
        var since: String?

        @Option(help: "Only decisions before this time (same forms as --since).")
        var until: String?

        func range() throws -> (Date?, Date?) {
            let range = (try since.map { try Self.time($0, "--since") }, try until.map { try Self.time($0, "--until") })
            if let since = range.0, let until = range.1, until <= since {
                throw ValidationError("--until must be after --since.")
            }
            return range
        }

        static func time(_ text: String, _ option: String) throws -> Date {
            let full = text.count == 10 ? text + "T00:00:00Z" : text
            guard let ms = RFC3339.milliseconds(full) else {
                throw ValidationError("\(option) must be a date (2026-12-01) or an RFC 3339 time (2026-12-01T08:00:00Z), not `\(text)`.")
            }
            return Date(timeIntervalSince1970: Double(ms) / 1000)
        }

        func settings(models: String? = nil) throws -> GatewayConfig {
            var environment = ProcessInfo.processInfo.environment
            if let records { environment["LEADGATE_RECORDS_URL"] = records }
            do {
                return try GatewayConfig.load(file: config, environment: environment, overrides: .init(modelsDirectory: models))
            } catch {
                throw CommandFailure("invalid configuration: \(error.description)")
            }
        }

        /// Runs `body` on the store, turning its failures into one line.
        func withStore<T>(_ settings: GatewayConfig, _ body: (any RecordStore) async throws -> T) async throws -> T {
            var logger = Logger(label: "leadgate.records")
            logger.logLevel = .warning
            do {
                return try await RecordsCommands.withStore(settings, logger: logger, body)
            } catch let error as CommandFailure {
                throw error
            } catch let error as ConfigurationError {
                throw CommandFailure(error.description)
            } catch {
                throw CommandFailure("the records could not be read: \(error)")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write recorded decisions, oldest first, as NDJSON (one decision per line, as GET /v1/decisions/{id} answers) or CSV.",
            discussion: """
                Streams: decisions are read and written a page at a time, so any range fits in memory. Progress goes to \
                standard error; the decisions to standard output or --output.
                """)

        @OptionGroup var selection: Selection

        @Option(help: "ndjson or csv.")
        var format = "ndjson"

        func validate() throws {
            guard RecordsCommands.ExportFormat(rawValue: format) != nil else {
                throw ValidationError("--format must be ndjson or csv, not `\(format)`.")
            }
        }

        @Option(help: "Write here instead of standard output.")
        var output: String?

        func run() async throws {
            let (since, until) = try selection.range()
            let settings = try selection.settings()
            let format = RecordsCommands.ExportFormat(rawValue: self.format) ?? .ndjson
            let handle: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil), let file = FileHandle(forWritingAtPath: output) else {
                    throw CommandFailure("cannot write \(output).")
                }
                handle = file
            } else {
                handle = FileHandle.standardOutput
            }
            let started = ContinuousClock.now
            let progress = CommandSupport.progress("decisions")
            let written = try await selection.withStore(settings) { store in
                try await RecordsCommands.export(store: store, since: since, until: until, format: format, to: handle) { progress($0, $1) }
            }
            if output != nil { try handle.close() }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            CommandSupport.note(
                "exported \(written) decisions (\(format.rawValue)) in \(String(format: "%.1f", seconds)) s\(output.map { " to \($0)" } ?? "")")
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-score recorded inputs with another model or prompt and report what would change, touching nothing live.",
            discussion: """
                Each decision's input, as recorded, is scored again with --model (default: the models loaded now choose \
                as for a new request). With --prompt the configured LLM is asked with that prompt (the cache is not used); \
                without it each decision keeps its recorded LLM multiplier, so only the model's part changes. Reports score \
                deltas, badge flips (recorded → replayed) and changes by badge as markdown on standard output; --json and \
                --output write the same for machines. No live score, stream, webhook, cache entry or record is written.
                """)

        @OptionGroup var selection: Selection

        @Option(help: "The model to replay with: an id or id@version (GET /v1/models lists them).")
        var model: String?

        @Option(help: "A prompt id in the prompt folder to replay the LLM step with.")
        var prompt: String?

        @Option(help: "Folder of model folders (overrides models.directory).")
        var models: String?

        @Option(help: "Only decisions of these kinds, comma separated: single, batch, event, refresh, prewarm, adapter, job.")
        var kind: String?

        @Option(help: "Replay at most N decisions.")
        var limit: Int?

        @Option(help: "LLM calls at once (with --prompt).")
        var concurrency = 16

        @Option(help: "Write one CSV line per replayed decision here.")
        var output: String?

        @Option(help: "Write the report as JSON here.")
        var json: String?

        func validate() throws {
            guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1.") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
            _ = try kinds()
        }

        func kinds() throws -> Set<DecisionRecord.Kind>? {
            guard let kind else { return nil }
            var kinds = Set<DecisionRecord.Kind>()
            for name in kind.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard let k = DecisionRecord.Kind(rawValue: name) else {
                    throw ValidationError(
                        "--kind: `\(name)` is not a decision kind; use \(DecisionRecord.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                kinds.insert(k)
            }
            return kinds
        }

        func run() async throws {
            let (since, until) = try selection.range()
            let settings = try selection.settings(models: models)
            var request = RecordsCommands.ReplayRequest()
            request.model = model
            request.prompt = prompt
            request.since = since
            request.until = until
            request.kinds = try kinds()
            request.limit = limit
            request.concurrency = concurrency
            let progress = CommandSupport.progress("decisions")
            let report = try await selection.withStore(settings) { store in
                try await RecordsCommands.replay(config: settings, store: store, request: request, progress: progress)
            }
            print(report.markdown, terminator: "")
            if let json { try report.json.write(toFile: json, atomically: true, encoding: .utf8) }
            if let output { try report.csv.write(toFile: output, atomically: true, encoding: .utf8) }
        }
    }
}

extension RecordsCommand {
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the write path on a store: decisions/s through the recorder, and the journal's replay rate.",
            discussion: """
                Writes --count synthetic decisions (the size of a scored lead with an LLM answer) through the recorder \
                as the gateway does (batches of records.batch_size), then journals as many with the store unreachable and \
                measures their replay into the store. Use a scratch database: the decisions stay there.
                """)

        @Option(help: "The records: a postgres:// URL or an SQLite file.")
        var records: String

        @Option(help: "The YAML configuration file (batch size, pool size, timeouts).")
        var config: String?

        @Option(help: "Decisions per phase.")
        var count = 200_000

        func validate() throws {
            guard count >= 1_000 else { throw ValidationError("--count must be at least 1000.") }
        }

        func run() async throws {
            let selection = try Selection.parse(["--records", records] + (config.map { ["--config", $0] } ?? []))
            let settings = try selection.settings()
            var logger = Logger(label: "leadgate.records.bench")
            logger.logLevel = .error
            let folder = NSTemporaryDirectory() + "leadgate-records-bench-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let count = self.count
            try await selection.withStore(settings) { store in
                var configuration = Recorder.Configuration(journalPath: folder + "/direct.journal")
                configuration.batchSize = settings.records.batchSize
                configuration.queueCapacity = count
                configuration.journalMaxBytes = Int.max
                let direct = try await Self.measure(
                    Recorder(store: store, configuration: configuration, logger: logger), count: count, expected: count
                ) {
                    $0.written >= count
                }
                CommandSupport.note(
                    "insert: \(count) decisions in \(String(format: "%.2f", direct)) s = \(Int(Double(count) / direct)) decisions/s (batch \(settings.records.batchSize))"
                )
                // The journal, filled with the store away (an SQLite file that cannot be created), then replayed.
                configuration.journalPath = folder + "/replay.journal"
                let away = SQLiteRecordStore(path: "/proc/leadgate-unreachable/records.sqlite", logger: logger)
                _ = try await Self.measure(Recorder(store: away, configuration: configuration, logger: logger), count: count, expected: count) {
                    $0.journaled >= count
                }
                let replay = try await Self.measure(Recorder(store: store, configuration: configuration, logger: logger), count: 0, expected: count) {
                    $0.replayed >= count
                }
                CommandSupport.note(
                    "journal replay: \(count) decisions in \(String(format: "%.2f", replay)) s = \(Int(Double(count) / replay)) decisions/s")
                print("{\"count\":\(count),\"insert_per_s\":\(Int(Double(count) / direct)),\"replay_per_s\":\(Int(Double(count) / replay))}")
            }
        }

        /// Runs `recorder`, records `count` synthetic decisions, and returns the seconds until `done`
        /// (progress: records written or journaled, of `expected`).
        static func measure(
            _ recorder: Recorder, count: Int, expected: Int, until done: @escaping @Sendable (RecorderStats) -> Bool
        ) async throws -> Double {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await recorder.run() }
                let request = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                let decisions = (0..<count).map { synthetic(request: request, index: $0) }
                let started = ContinuousClock.now
                for start in stride(from: 0, to: decisions.count, by: 1_000) {
                    recorder.record(contentsOf: Array(decisions[start..<min(decisions.count, start + 1_000)]))
                }
                let progress = CommandSupport.progress("decisions")
                while !done(recorder.stats) {
                    let stats = recorder.stats
                    progress(max(stats.written, stats.journaled), expected)
                    try await Task.sleep(for: .milliseconds(5))
                }
                let elapsed = ContinuousClock.now - started
                group.cancelAll()
                try await group.waitForAll()
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
        }

        /// A decision the size of a scored lead with an LLM answer (about 2.5 KB of JSON).
        static func synthetic(request: String, index: Int) -> DecisionRecord {
            let lead = "bench-\(index % 50_000)"
            let input =
                #"{"lead_id":"\#(lead)","features":{"budget_to_price_ratio":1.08,"call_sentiment":0.6,"days_since_last_activity":\#(index % 30),"#
                + #""email_clicks":5,"email_opens":14,"lead_source":"zillow","listing_views":48,"mortgage_preapproved":false,"#
                + #""pricing_page_views":\#(index % 9),"property_searches":31,"property_type":"single_family","saved_listings":9,"tour_requested":true},"#
                + #""notes":"Asked about school districts; wants to move before spring."}"#
            let reasons = (0..<4).map {
                #"{"field":"f\#($0)","label":"Feature \#($0)","value":\#($0),"contribution":0.\#($0 + 1)2,"direction":"up","text":"Feature \#($0) raises the score"}"#
            }
            let explanation =
                #"{"feature_importance":{"pricing_page_views":0.41,"tour_requested":0.33,"days_since_last_activity":-0.12,"listing_views":0.08},"#
                + #""final_score":72,"confidence":0.81,"reasons":[\#(reasons.joined(separator: ","))]}"#
            let reasoning = "Tour requested and repeated pricing-page visits point to intent; recent activity supports a modest lift."
            return DecisionRecord(
                requestID: request, index: index, leadID: lead, time: Date(), kind: .single, caller: "bench", gatewayInstance: "bench",
                model: .init(id: "realestate", version: "2026.11.0", role: "default"), inputJSON: input, probability: 0.6543,
                baseScore: 65, finalScore: 72, baseBadge: "warm", finalBadge: "warm", confidence: 0.81, explanationJSON: explanation,
                llm: .init(
                    status: "accepted", multiplier: 1.1, reasoning: reasoning, promptID: "lead-adjust", promptVersion: "3",
                    promptHash: "9f2c4e1a", model: "gpt-4o-mini", rawAnswer: #"{"multiplier":1.1,"reasoning":"\#(reasoning)"}"#,
                    latencyMilliseconds: 212.5, tokens: .init(prompt: 412, completion: 38)),
                totalLatencyMilliseconds: 214.1, expiresAt: Date().addingTimeInterval(604_800))
        }
    }
}
