import Evaluation
import Foundation
import Scoring
import Testing
import TreeEnsemble

@testable import Training

/// `leadgate train` on a small committed CSV (Tests/Fixtures/training/leads.csv, see make_leads.py),
/// with the real xgboost.
@Suite struct TrainerTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let leads = root.appendingPathComponent("Tests/Fixtures/training/leads.csv").path

    static func folder() -> String { NSTemporaryDirectory() + "leadgate-train-\(UUID().uuidString)" }

    static func options(_ out: String, _ change: (inout TrainingOptions) -> Void = { _ in }) -> TrainingOptions {
        var options = TrainingOptions(data: leads, label: "converted", out: out)
        options.threads = 2
        change(&options)
        return options
    }

    static func train(_ options: TrainingOptions) throws -> TrainingReport {
        try Trainer.run(options) { _ in }
    }

    @Test func writesAFolderTheGatewayLoadsAndInfersTheManifest() throws {
        let out = Self.folder()
        let holdout = out + "-holdout.csv"
        let report = try Self.train(Self.options(out) { $0.holdoutOut = holdout })
        for file in ["model.json", "manifest.yaml", "model-card.json", "MODEL_CARD.md"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let model = try LoadedModel.load(directory: out)
        #expect(model.ensemble.library == .xgboost)
        #expect(model.manifest.calibration?.method == "platt")

        // Identifier, constant and leaky columns are reported and left out, with their reasons.
        let excluded = Dictionary(uniqueKeysWithValues: report.schema.excluded.map { ($0.column, $0.reason) })
        #expect(excluded["lead_id"]?.contains("identifier") == true)
        #expect(excluded["country"]?.contains("constant") == true)
        #expect(excluded["closed_stage"]?.contains("leaky") == true)
        let fields = Dictionary(uniqueKeysWithValues: report.schema.fields.map { ($0.name, $0) })
        #expect(fields["mortgage_preapproved"]?.kind == .boolean)
        #expect(fields["pricing_page_views"]?.kind == .number)
        // A quoted category with a comma and one with doubled quotes survive; the rare one is not a column.
        guard case .oneHot(let categories)? = fields["lead_source"]?.kind else {
            Issue.record("lead_source is not one-hot: \(String(describing: fields["lead_source"]))")
            return
        }
        #expect(Set(categories) == ["Zillow", "Referral", "Open house", "Facebook, Instagram", #"Agent "walk-in""#])
        #expect(model.manifest.fields.first { $0.name == "lead_source" }?.label == "Lead Source")

        // The signal in the data is found, and the native evaluator agrees with xgboost exactly.
        #expect(report.holdoutAUC > 0.66, "holdout AUC \(report.holdoutAUC)")
        #expect(report.nativeAgreement < 1e-6)
        // Platt scaling keeps the ranking: the served AUC is xgboost's own.
        #expect(abs(report.holdoutAUC - report.xgboostHoldoutAUC) < 1e-9)
        #expect(report.trainRows + report.validationRows + report.holdoutRows == 800)
        #expect(report.holdoutRows == 160)

        let card = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/model-card.json"))) as? [String: Any])
        let holdoutCard = try #require(card["holdout"] as? [String: Any])
        #expect(abs((holdoutCard["auc"] as? Double ?? 0) - report.holdoutAUC) < 1e-6)
        for key in ["pr_auc", "log_loss", "brier", "ece", "at_k", "badges", "reliability"] { #expect(holdoutCard[key] != nil, "\(key)") }
        let reference = try #require(card["reference"] as? [String: Any])
        #expect(reference["probability"] != nil && reference["pricing_page_views"] != nil)
        #expect((card["mean_abs_shap"] as? [String: Any])?.count == report.schema.fields.count)
        #expect((card["split"] as? [String: Any])?["seed"] as? Int == 42)
        let markdown = try String(contentsOfFile: out + "/MODEL_CARD.md", encoding: .utf8)
        #expect(markdown.contains("| AUC |") && markdown.contains("Conversion per badge") && markdown.contains("`closed_stage`"))

        // Scoring the holdout file through the gateway's path gives the card's AUC.
        let stream = try CSVStream(path: holdout)
        let decoder = try RowDecoder(manifest: model.manifest, header: stream.header)
        let labelColumn = try #require(stream.header.firstIndex(of: "label"))
        var probabilities: [Double] = []
        var labels: [Bool] = []
        while let record = try stream.next() {
            let lead = try decoder.lead(record, id: record[0]).get()
            guard case .scored(let score) = model.scorer.score(lead, explain: false) else {
                Issue.record("holdout row did not score: \(record)")
                return
            }
            probabilities.append(score.probability)
            labels.append(record[labelColumn] == "1")
        }
        #expect(probabilities.count == 160)
        let auc = try #require(EvalMetrics.rocAUC(probabilities, labels))
        #expect(abs(auc - report.holdoutAUC) < 1e-9, "scored \(auc), card \(report.holdoutAUC)")
    }

    @Test func sameSeedSameModelOtherSeedOtherSplit() throws {
        let a = try Self.train(Self.options(Self.folder()) { $0.version = "1" })
        let b = try Self.train(Self.options(Self.folder()) { $0.version = "1" })
        let c = try Self.train(Self.options(Self.folder()) { $0.seed = 7 })
        #expect(a.split.holdout == b.split.holdout)
        #expect(a.holdoutAUC == b.holdoutAUC)
        let modelA = try Data(contentsOf: URL(fileURLWithPath: a.directory + "/model.json"))
        let modelB = try Data(contentsOf: URL(fileURLWithPath: b.directory + "/model.json"))
        #expect(modelA == modelB)
        #expect(a.split.holdout != c.split.holdout)
        // Stratified: every part has the data's conversion rate, within a lead.
        for rows in [a.split.train, a.split.validation, a.split.holdout] {
            let rate = Double(rows.filter { a.truth[$0] }.count) / Double(rows.count)
            #expect(abs(rate - 506.0 / 800) < 1.5 / Double(rows.count) + 0.002, "\(rate)")
        }
    }

    @Test func timeSplitHoldsOutTheLatestRows() throws {
        let report = try Self.train(Self.options(Self.folder()) { $0.timeColumn = "created_at" })
        let column = try #require(report.table.columnIndex("created_at"))
        let latestTrained = (report.split.train + report.split.validation).map { report.table.rows[$0][column] }.max() ?? ""
        let earliestHeld = report.split.holdout.map { report.table.rows[$0][column] }.min() ?? ""
        #expect(latestTrained <= earliestHeld)
        let latestTrain = report.split.train.map { report.table.rows[$0][column] }.max() ?? ""
        let earliestValidation = report.split.validation.map { report.table.rows[$0][column] }.min() ?? ""
        #expect(latestTrain <= earliestValidation)
        // The time column is not a feature.
        #expect(!report.schema.fields.contains { $0.column == "created_at" })
        guard case .time(let name, _, _, _) = report.split.method else {
            Issue.record("not a time split")
            return
        }
        #expect(name == "created_at")
    }

    @Test func calibrationTurnsWeightedScoresBackIntoRates() throws {
        // Weighting positives (forced on) pushes raw probabilities up; calibration on the
        // validation rows brings them back to conversion rates.
        let raw = try Self.train(
            Self.options(Self.folder()) {
                $0.imbalance = .on
                $0.calibration = .none
            })
        let platt = try Self.train(Self.options(Self.folder()) { $0.imbalance = .on })
        let isotonic = try Self.train(
            Self.options(Self.folder()) {
                $0.imbalance = .on
                $0.calibration = .isotonic
            })
        #expect(raw.scalePosWeight < 1, "negatives/positives is \(raw.scalePosWeight)")
        #expect(platt.holdoutLogLoss < raw.holdoutLogLoss, "platt \(platt.holdoutLogLoss), raw \(raw.holdoutLogLoss)")
        #expect(isotonic.holdoutLogLoss < raw.holdoutLogLoss + 0.02)
        #expect(abs(platt.holdoutAUC - raw.holdoutAUC) < 1e-9)
        let loaded = try LoadedModel.load(directory: isotonic.directory)
        guard case .isotonic(let x, let y)? = loaded.manifest.calibration else {
            Issue.record("no isotonic calibration in the manifest")
            return
        }
        #expect(x.count >= 2 && zip(x, x.dropFirst()).allSatisfy { $0 < $1 } && zip(y, y.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func anEditedManifestIsKeptWhenTrainingAgain() throws {
        let first = try Self.train(Self.options(Self.folder()))
        var text = try String(contentsOfFile: first.directory + "/manifest.yaml", encoding: .utf8)
        text = text.replacingOccurrences(of: #"label: "Lead Source""#, with: #"label: "Where the lead came from""#)
        let edited = NSTemporaryDirectory() + "leadgate-manifest-\(UUID().uuidString).yaml"
        try text.write(toFile: edited, atomically: true, encoding: .utf8)
        let second = try Self.train(
            Self.options(Self.folder()) {
                $0.manifest = edited
                $0.version = "2"
            })
        let model = try LoadedModel.load(directory: second.directory)
        #expect(model.manifest.version == "2")
        #expect(model.manifest.id == first.modelID)
        #expect(model.manifest.fields.first { $0.name == "lead_source" }?.label == "Where the lead came from")
        #expect(model.manifest.fields.map(\.name) == first.schema.fields.map(\.name))
        #expect(abs(second.holdoutAUC - first.holdoutAUC) < 1e-9)
    }

    /// The error a run stops with ("" when it does not stop).
    static func failure(_ change: (inout TrainingOptions) -> Void) -> String {
        do {
            _ = try Trainer.run(Self.options(Self.folder(), change)) { _ in }
            return ""
        } catch {
            return error.description
        }
    }

    @Test func mistakesAreSentencesThatNameTheFix() {
        let noColumn = Self.failure { $0.label = "Converted" }
        #expect(noColumn.contains("has no column `Converted`") && noColumn.contains("converted"), "\(noColumn)")
        let positive = Self.failure { $0.positive = "won" }
        #expect(positive.contains("--positive `won` never occurs"), "\(positive)")
        let ambiguous = Self.failure { $0.label = "Lead Source" }
        #expect(ambiguous.contains("Pass --positive"), "\(ambiguous)")
        let time = Self.failure { $0.timeColumn = "Lead Source" }
        #expect(time.contains("not a date"), "\(time)")
        let fraction = Self.failure { $0.holdoutFraction = 0 }
        #expect(fraction.contains("--holdout-fraction"), "\(fraction)")
    }
}
