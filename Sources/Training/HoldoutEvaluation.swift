import Evaluation
import Foundation
import Scoring
import TreeEnsemble

/// The held-out rows scored through the gateway's own path (manifest → encoder → trees →
/// calibration), so what the card reports is what serving and `leadgate score` give.
struct HoldoutEvaluation: Sendable {
    struct AtK: Sendable {
        var label: String
        var k: Int
        var precision: Double
        var lift: Double
    }

    struct BadgeRate: Sendable {
        var badge: Badge
        var leads: Int
        var converted: Int
    }

    struct ReliabilityBin: Sendable {
        var lower: Double
        var upper: Double
        var leads: Int
        var meanProbability: Double
        var conversionRate: Double
    }

    var rows: Int
    var positives: Int
    var probabilities: [Double]
    var labels: [Bool]
    var auc: Double
    var prAUC: Double
    var logLoss: Double
    var brier: Double
    var ece: Double
    var atK: [AtK]
    var badges: [BadgeRate]
    var reliability: [ReliabilityBin]
    /// Mean |TreeSHAP| per field (log-odds), largest first, over `shapRows` holdout rows.
    var meanAbsSHAP: [(field: String, value: Double)]
    var shapRows: Int

    static func run(
        model: LoadedModel, table: DataTable, rows: [Int], truth: [Bool], fields: [FieldPlan], progress: (TrainingProgress) -> Void
    ) throws(TrainingError) -> HoldoutEvaluation {
        let scorer = model.scorer
        // Bind each field to the column it was trained from, whatever its label says now.
        var header = table.header
        for field in fields { if let c = table.columnIndex(field.column) { header[c] = field.name } }
        let decoder = try RowDecoder(manifest: model.manifest, header: header, missingValues: Array(table.missing))
        var probabilities: [Double] = []
        var labels: [Bool] = []
        var badges: [Badge: (Int, Int)] = [:]
        for (i, r) in rows.enumerated() {
            let lead: Lead
            switch decoder.lead(table.rows[r], id: "row-\(r + 2)") {
            case .success(let l): lead = l
            case .failure(let error): throw TrainingError("holdout line \(r + 2): \(error.description)")
            }
            guard case .scored(let score) = scorer.score(lead, explain: false) else {
                throw TrainingError("holdout line \(r + 2) does not score through the manifest; please report this.")
            }
            probabilities.append(score.probability)
            labels.append(truth[r])
            badges[score.baseBadge, default: (0, 0)].0 += 1
            if truth[r] { badges[score.baseBadge, default: (0, 0)].1 += 1 }
            if i % 1024 == 0 { progress(.evaluating(done: i, of: rows.count)) }
        }
        progress(.evaluating(done: rows.count, of: rows.count))
        // Mean |SHAP| over at most 2,000 rows (evenly spaced): plenty for a ranking of fields.
        let step = max(1, (rows.count + 1999) / 2000)
        let shapRows = stride(from: 0, to: rows.count, by: step).map { rows[$0] }
        let meanAbs = try Self.meanAbsoluteSHAP(model: model, table: table, rows: shapRows, decoder: decoder)
        let positives = labels.filter { $0 }.count
        var atK: [AtK] = []
        let tenth = max(1, rows.count / 10)
        for (label, k) in [("top 20", 20), ("top 100", 100), ("top 10 % (\(tenth))", tenth)] where k <= rows.count {
            atK.append(
                AtK(
                    label: label, k: k, precision: EvalMetrics.precision(at: k, probabilities, labels) ?? 0,
                    lift: EvalMetrics.lift(at: k, probabilities, labels) ?? 0))
        }
        var bins: [ReliabilityBin] = []
        for b in 0..<10 {
            let lower = Double(b) / 10
            let upper = Double(b + 1) / 10
            let members = probabilities.indices.filter { Swift.min(9, Int(probabilities[$0] * 10)) == b }
            guard !members.isEmpty else { continue }
            let mean = members.map { probabilities[$0] }.reduce(0, +) / Double(members.count)
            let rate = Double(members.filter { labels[$0] }.count) / Double(members.count)
            bins.append(ReliabilityBin(lower: lower, upper: upper, leads: members.count, meanProbability: mean, conversionRate: rate))
        }
        return HoldoutEvaluation(
            rows: rows.count, positives: positives, probabilities: probabilities, labels: labels,
            auc: EvalMetrics.rocAUC(probabilities, labels) ?? .nan, prAUC: EvalMetrics.averagePrecision(probabilities, labels) ?? .nan,
            logLoss: EvalMetrics.logLoss(probabilities, labels) ?? .nan, brier: EvalMetrics.brier(probabilities, labels) ?? .nan,
            ece: EvalMetrics.expectedCalibrationError(probabilities, labels) ?? .nan, atK: atK,
            badges: Badge.allCases.map { BadgeRate(badge: $0, leads: badges[$0]?.0 ?? 0, converted: badges[$0]?.1 ?? 0) },
            reliability: bins, meanAbsSHAP: meanAbs, shapRows: shapRows.count)
    }

    static func meanAbsoluteSHAP(model: LoadedModel, table: DataTable, rows: [Int], decoder: RowDecoder) throws(TrainingError) -> [(
        field: String, value: Double
    )] {
        let scorer = model.scorer
        let ensemble = model.ensemble
        var sums = [Double](repeating: 0, count: scorer.encoder.fieldCount)
        var perField = sums
        var row = [Double](repeating: .nan, count: ensemble.featureCount)
        var contributions = [Double](repeating: 0, count: ensemble.contributionCount)
        for r in rows {
            guard case .success(let lead) = decoder.lead(table.rows[r], id: "") else { continue }
            row.withUnsafeMutableBufferPointer { buffer in _ = scorer.encoder.encode(lead.features, model: ensemble, into: buffer) }
            row.withUnsafeBufferPointer { input in contributions.withUnsafeMutableBufferPointer { ensemble.contributions(row: input, into: $0) } }
            for i in perField.indices { perField[i] = 0 }
            for column in 0..<scorer.encoder.columnCount { perField[scorer.encoder.fieldOfColumn[column]] += contributions[column] }
            for i in sums.indices { sums[i] += abs(perField[i]) }
        }
        let n = Double(max(1, rows.count))
        return sums.indices.map { (scorer.encoder.field(at: $0).name, sums[$0] / n) }.sorted { $0.value > $1.value }
    }
}
