public import Scoring

/// Everything a training run learned and measured; the model card is written from it.
public struct TrainingReport: Sendable {
    public var modelID: String
    public var version: String
    public var directory: String
    public var xgboostVersion: String
    public var parameters: [(String, String)]
    public var rowsRead: Int
    public var unlabeledRows: Int
    public var positiveValue: String
    var split: Split
    var truth: [Bool]
    public var schema: Schema
    public var bestRound: Int
    public var roundsRun: Int
    public var stoppedEarly: Bool
    public var validationAUC: Double
    public var validationLogLoss: Double
    /// Seconds in xgboost's boosting rounds (what the Python peer's `train` call times).
    public var trainingSeconds: Double
    public var totalSeconds: Double
    public var scalePosWeight: Double
    public var calibration: Calibration?
    public var confidence: (halfSupport: Double, steepness: Double)
    /// The largest |xgboost − LeadGate| probability over the validation rows.
    public var nativeAgreement: Double
    var holdout: HoldoutEvaluation
    /// The holdout AUC of xgboost's own (uncalibrated) predictions.
    public var xgboostHoldoutAUC: Double
    var reference: [ReferenceHistogram]
    var table: DataTable
    var options: TrainingOptions
    public var featureCount: Int

    public var holdoutAUC: Double { holdout.auc }
    public var holdoutRows: Int { holdout.rows }
    public var holdoutPRAUC: Double { holdout.prAUC }
    public var holdoutLogLoss: Double { holdout.logLoss }
    public var holdoutBrier: Double { holdout.brier }
    public var holdoutECE: Double { holdout.ece }
    /// Converted leads among the labeled rows.
    public var labeledPositives: Int { (split.train + split.validation + split.holdout).lazy.filter { truth[$0] }.count }
    public var trainRows: Int { split.train.count }
    public var validationRows: Int { split.validation.count }
    /// Precision at 20 on the holdout, when it has 20 rows.
    public var precisionAt20: Double? { holdout.atK.first { $0.k == 20 && $0.label == "top 20" }?.precision }
    /// (badge, leads, converted) on the holdout at the manifest's thresholds.
    public var badgeRates: [(badge: Badge, leads: Int, converted: Int)] { holdout.badges.map { ($0.badge, $0.leads, $0.converted) } }
}
