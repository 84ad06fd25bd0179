import ArgumentParser
import Foundation
import Scoring
import Synchronization
import Training

/// `leadgate train`: a model folder the gateway serves as it is, trained with the real xgboost.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a lead-scoring model on a CSV with xgboost; write a folder the gateway serves.",
        discussion: """
            Reads FILE.csv (`,` or `;` sniffed, quotes allowed), splits it (by --time-column when given, else \
            stratified with --seed), infers a manifest (numbers, yes/no booleans, categories one-hot; identifiers, \
            constant and leaky columns reported and left out) unless --manifest gives one, trains with early \
            stopping on a validation part of the training rows, calibrates on it, and writes model.json, \
            manifest.yaml, model-card.json and MODEL_CARD.md into --out. Progress goes to standard error, a \
            summary table to standard output. With --from-records it trains on the recorded decisions joined to \
            their outcomes (the latest outcome per lead labels the decision it follows; --positive names the \
            converting outcome, default `converted`), split by decision time.
            """
    )

    @Option(name: .long, help: "The training CSV.") var data: String?
    @Option(name: .long, help: "The column that says whether the lead converted.") var label: String?
    @Flag(name: .long, help: "Train on the system of record: decisions joined to their outcomes (instead of --data).")
    var fromRecords = false
    @OptionGroup var selection: RecordsCommand.Selection
    @Option(name: .long, help: "The label value that means converted (default: 1, yes or true when the column has two values).")
    var positive: String?
    @Option(name: .long, help: "The model folder to write.") var out: String
    @Option(name: .long, help: "Share of rows held out for the model card (default 0.2).") var holdoutFraction = 0.2
    @Option(name: .long, help: "Share of the remaining rows for early stopping and calibration (default 0.2).") var validationFraction = 0.2
    @Option(name: .long, help: "Split by this date/time column: the latest rows are held out.") var timeColumn: String?
    @Option(name: .long, help: "Seed for the stratified split and xgboost's sampling (default 42).") var seed: UInt64 = 42
    @Option(name: .long, help: "Use this manifest's fields instead of inferring them (its reasons, groups and events are kept).")
    var manifest: String?
    @Option(name: .long, help: "Write the held-out rows here (field names as columns), for `leadgate score`.") var holdoutOut: String?
    @Option(name: .long, help: "Leave this column out (repeatable).") var exclude: [String] = []
    @Option(name: .long, help: "Treat this cell value as missing too, e.g. Select (repeatable).") var missingValue: [String] = []
    @Option(name: .long, help: "Model id (default: the --out folder's name, or the manifest's).") var id: String?
    @Option(name: .long, help: "Model version (default: the training time, yyyy.MM.dd-HHmmss).") var modelVersion: String?
    @Option(name: .long, help: "Maximum boosting rounds (default 200).") var rounds = 200
    @Option(name: .long, help: "Stop after this many rounds without a better validation metric (default 20).") var earlyStopping = 20
    @Option(name: .long, help: "The validation metric early stopping watches: auc or logloss (default auc).") var stoppingMetric = "auc"
    @Option(name: .long, help: "Tree depth (default 6).") var maxDepth = 6
    @Option(name: .long, help: "Learning rate (default 0.1).") var learningRate = 0.1
    @Option(name: .long, help: "Row subsample per tree (default 0.8).") var subsample = 0.8
    @Option(name: .long, help: "Column subsample per tree (default 0.8).") var colsample = 0.8
    @Option(name: .long, help: "Calibration fitted on the validation rows: platt, isotonic or none (default platt).")
    var calibration = "platt"
    @Option(name: .long, help: "Weigh positives by negatives/positives: auto (when under 25 %), on, off.") var imbalance = "auto"
    @Option(name: .long, help: "A column whose single-column AUC reaches this is called leaky and left out (default 0.9).")
    var leakAuc = 0.9
    @Option(name: .long, help: "Threads for xgboost (default: all cores).") var threads = 0
    @Option(name: .long, help: "Also write the encoded train/valid/holdout matrices here (for benchmarks against Python xgboost).")
    var exportMatrices: String?

    func validate() throws {
        if fromRecords {
            guard data == nil, label == nil else { throw ValidationError("--from-records takes no --data or --label: the records are the data.") }
        } else {
            guard data != nil, label != nil else { throw ValidationError("give --data FILE.csv and --label COLUMN, or --from-records.") }
            guard selection.records == nil, selection.since == nil, selection.until == nil, selection.config == nil else {
                throw ValidationError("--records, --since, --until and --config choose the records: use them with --from-records.")
            }
        }
    }

    func run() async throws {
        var options: TrainingOptions
        if fromRecords {
            let file = NSTemporaryDirectory() + "leadgate-train-records-\(UUID().uuidString).csv"
            let summary = try await Self.exportRecords(selection: selection, positive: positive ?? "converted", to: file)
            CommandSupport.note(
                "records: \(summary.decisions) decisions, \(summary.leadsWithOutcomes) leads with an outcome → \(summary.rows) training rows, \(summary.positives) converted"
            )
            guard summary.rows > 0 else {
                throw CommandFailure("no recorded decision has an outcome yet. Send outcomes (POST /v1/outcomes) and train again.")
            }
            options = TrainingOptions(data: file, label: RecordsDataset.labelColumn, out: out)
            options.positive = "1"
            options.timeColumn = timeColumn ?? RecordsDataset.timeColumn
            options.exclude = exclude + ["model"]
        } else {
            options = TrainingOptions(data: data ?? "", label: label ?? "", out: out)
            options.positive = positive
            options.timeColumn = timeColumn
            options.exclude = exclude
        }
        options.holdoutFraction = holdoutFraction
        options.validationFraction = validationFraction
        options.seed = seed
        options.manifest = manifest
        options.holdoutOut = holdoutOut
        options.missingValues = missingValue
        options.modelID = id
        options.version = modelVersion
        options.rounds = rounds
        options.earlyStoppingRounds = earlyStopping
        options.maxDepth = maxDepth
        options.learningRate = learningRate
        options.subsample = subsample
        options.columnSample = colsample
        options.leakAUC = leakAuc
        options.threads = threads
        options.exportMatrices = exportMatrices
        guard let method = TrainingOptions.CalibrationMethod(rawValue: calibration) else {
            throw CommandFailure("--calibration is `\(calibration)`; use platt, isotonic or none.")
        }
        options.calibration = method
        guard let weighting = TrainingOptions.Imbalance(rawValue: imbalance) else {
            throw CommandFailure("--imbalance is `\(imbalance)`; use auto, on or off.")
        }
        options.imbalance = weighting
        guard let metric = TrainingOptions.StoppingMetric(rawValue: stoppingMetric) else {
            throw CommandFailure("--stopping-metric is `\(stoppingMetric)`; use auc or logloss.")
        }
        options.stoppingMetric = metric
        options.commandLine = (["leadgate"] + CommandLine.arguments.dropFirst()).map(Self.shellQuoted).joined(separator: " ")

        let reading = CommandSupport.progress("bytes read")
        let evaluating = CommandSupport.progress("holdout rows scored")
        let bar = RoundBar()
        let report: TrainingReport
        do {
            report = try Trainer.run(options) { event in
                switch event {
                case .reading(let done, let total): reading(done, total)
                case .note(let line): CommandSupport.note(line)
                case .round(let round, let total, let metrics, let elapsed): bar.show(round: round, of: total, metrics: metrics, elapsed: elapsed)
                case .evaluating(let done, let total):
                    bar.finish()
                    evaluating(done, total)
                }
            }
        } catch {
            throw CommandFailure(error.description)
        }
        print(Self.summary(report))
    }

    static func exportRecords(selection: RecordsCommand.Selection, positive: String, to file: String) async throws -> RecordsDataset.Summary {
        let (since, until) = try selection.range()
        let settings = try selection.settings()
        let progress = ProgressLines()
        return try await selection.withStore(settings) { store in
            try await RecordsDataset.write(store: store, since: since, until: until, positive: positive, to: file) { unit, done, total in
                progress.report(unit, done, total)
            }
        }
    }

    static func shellQuoted(_ s: String) -> String {
        s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:@".contains($0) }) ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func summary(_ r: TrainingReport) -> String {
        func f(_ x: Double, _ d: Int = 4) -> String { x.isFinite ? String(format: "%.\(d)f", x) : "–" }
        var rows: [(String, String)] = [
            ("model", "\(r.modelID)@\(r.version) → \(r.directory)"),
            ("xgboost", r.xgboostVersion),
            ("rows", "\(r.rowsRead) (train \(r.trainRows), validation \(r.validationRows), holdout \(r.holdoutRows))"),
            ("fields", "\(r.schema.fields.count) used (\(r.featureCount) model columns), \(r.schema.excluded.count) left out"),
            ("rounds", "best \(r.bestRound) of \(r.roundsRun)\(r.stoppedEarly ? " (early stop)" : "")"),
            ("boosting time", "\(f(r.trainingSeconds, 2)) s (whole run \(f(r.totalSeconds, 2)) s)"),
            ("holdout AUC", f(r.holdoutAUC)),
            ("holdout PR-AUC", f(r.holdoutPRAUC)),
            ("holdout log loss", f(r.holdoutLogLoss)),
            ("holdout Brier", f(r.holdoutBrier)),
            ("holdout ECE", f(r.holdoutECE)),
            ("calibration", r.calibration?.method ?? "none"),
        ]
        if let p = r.precisionAt20 { rows.append(("precision@20", f(p, 3))) }
        for b in r.badgeRates {
            rows.append(("\(b.badge.rawValue) leads", b.leads > 0 ? "\(b.leads), \(f(Double(b.converted) / Double(b.leads), 3)) converted" : "0"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}

/// One progress reporter per unit (the records export reports two in turn).
final class ProgressLines: Sendable {
    let reporters = Mutex([String: @Sendable (Int, Int) -> Void]())

    func report(_ unit: String, _ done: Int, _ total: Int) {
        let reporter = reporters.withLock { table in
            if let existing = table[unit] { return existing }
            let made = CommandSupport.progress(unit)
            table[unit] = made
            return made
        }
        reporter(done, total)
    }
}

/// The boosting progress line: round, validation metrics and the time left, redrawn in place on a
/// terminal, a line every tenth of the rounds otherwise.
final class RoundBar: Sendable {
    let terminal = isatty(STDERR_FILENO) == 1
    let drawn = Mutex(false)

    /// Ends the line drawn in place, once.
    func finish() {
        let end = drawn.withLock { value in
            defer { value = false }
            return value
        }
        if end { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    func show(round: Int, of total: Int, metrics: [(name: String, value: Double)], elapsed: Double) {
        let eta = round > 0 ? elapsed / Double(round) * Double(total - round) : 0
        let text = metrics.map { "\($0.name) \(String(format: "%.4f", $0.value))" }.joined(separator: "  ")
        let line = "round \(round)/\(total)  \(text)  \(String(format: "%.1f", elapsed)) s, at most \(String(format: "%.1f", eta)) s left"
        if terminal {
            drawn.withLock { $0 = true }
            FileHandle.standardError.write(Data(("\r" + line + "   ").utf8))
        } else if round == 1 || round % max(1, total / 10) == 0 {
            CommandSupport.note(line)
        }
    }
}
