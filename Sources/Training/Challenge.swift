import Evaluation
import Foundation
public import JSON
public import Scoring

/// Champion against challenger on the same labelled leads, and the promotion guard: promote only
/// on at least `minOutcomes` leads, when the challenger's AUC is at least the champion's and its
/// ECE at most the champion's plus `eceBound`.
public struct Challenge: Sendable {
    public struct Measures: Sendable {
        public var model: String
        public var auc: Double
        public var ece: Double
        public var logLoss: Double
    }

    public var leads: Int
    public var converted: Int
    public var champion: Measures
    public var challenger: Measures
    public var minOutcomes: Int
    public var eceBound: Double
    public var passed: Bool
    /// The rule with the figures, as one sentence (recorded in `model_events`).
    public var reason: String

    /// Scores every row of `path` (a CSV with the models' fields and a 0/1 `label` column, such as
    /// `leadgate train --holdout-out` writes) with both models through the gateway's own path.
    public static func run(
        champion: LoadedModel, challenger: LoadedModel, data path: String, label: String = "label", minOutcomes: Int, eceBound: Double
    ) throws(TrainingError) -> Challenge {
        let stream = try CSVStream(path: path)
        guard let labelColumn = stream.header.firstIndex(of: label) else {
            throw TrainingError("`\(path)` has no `\(label)` column (1 = converted, 0 = not). Pass --label.")
        }
        let decoders = (
            try RowDecoder(manifest: champion.manifest, header: stream.header), try RowDecoder(manifest: challenger.manifest, header: stream.header)
        )
        var labels: [Bool] = []
        var a: [Double] = []
        var b: [Double] = []
        while let record = try stream.next() {
            guard let y = BooleanText.parse(CellText.trimmed(record[labelColumn])) else {
                throw TrainingError("`\(path)` line \(stream.line): `\(label)` is `\(record[labelColumn])`; use 1 or 0.")
            }
            func probability(_ model: LoadedModel, _ decoder: RowDecoder) throws(TrainingError) -> Double {
                switch decoder.lead(record, id: "challenge") {
                case .failure(let error): throw TrainingError("`\(path)` line \(stream.line): \(error.description)")
                case .success(let lead):
                    guard case .scored(let score) = model.scorer.score(lead, explain: false) else {
                        throw TrainingError(
                            "`\(path)` line \(stream.line) does not score with \(model.id)@\(model.version) (a value out of its bounds?).")
                    }
                    return score.probability
                }
            }
            a.append(try probability(champion, decoders.0))
            b.append(try probability(challenger, decoders.1))
            labels.append(y)
        }
        func measures(_ model: LoadedModel, _ p: [Double]) -> Measures {
            Measures(
                model: "\(model.id)@\(model.version)", auc: EvalMetrics.rocAUC(p, labels) ?? .nan,
                ece: EvalMetrics.expectedCalibrationError(p, labels) ?? .nan, logLoss: EvalMetrics.logLoss(p, labels) ?? .nan)
        }
        let mc = measures(champion, a)
        let mx = measures(challenger, b)
        let converted = labels.filter { $0 }.count
        var passed = false
        let figures =
            "challenger AUC \(f(mx.auc)) vs champion \(f(mc.auc)), ECE \(f(mx.ece)) vs \(f(mc.ece)) (bound +\(f(eceBound))), on \(labels.count) leads (\(converted) converted)"
        let reason: String
        if labels.count < minOutcomes {
            reason = "refused: \(labels.count) labelled leads, fewer than min_outcomes \(minOutcomes); \(figures)"
        } else if converted == 0 || converted == labels.count {
            reason = "refused: the leads have only one outcome, so AUC says nothing; \(figures)"
        } else if !(mx.auc >= mc.auc) {
            reason = "refused: the challenger's AUC is below the champion's; \(figures)"
        } else if !(mx.ece <= mc.ece + eceBound) {
            reason = "refused: the challenger's ECE exceeds the champion's by more than the bound; \(figures)"
        } else {
            passed = true
            reason = "passed: \(figures)"
        }
        return Challenge(
            leads: labels.count, converted: converted, champion: mc, challenger: mx, minOutcomes: minOutcomes, eceBound: eceBound, passed: passed,
            reason: reason)
    }

    /// The figures as members of a `model_events` detail object the caller has begun.
    public func writeFigures(_ w: inout JSONWriter) {
        w.field("champion", champion.model)
        w.field("leads", leads)
        w.field("converted", converted)
        w.field("champion_auc", champion.auc)
        w.field("challenger_auc", challenger.auc)
        w.field("champion_ece", champion.ece)
        w.field("challenger_ece", challenger.ece)
        w.field("min_outcomes", minOutcomes)
        w.field("ece_bound", eceBound)
        w.field("passed", passed)
    }

    static func f(_ x: Double) -> String { String(format: "%.4f", x) }
}
