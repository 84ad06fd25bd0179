/// Everything `leadgate train` takes. The defaults are the product's first model's: 200 rounds,
/// depth 6, learning rate 0.1, subsample and column sample 0.8; early stopping after 20 rounds
/// without a better validation AUC.
public struct TrainingOptions: Sendable {
    public enum CalibrationMethod: String, Sendable, CaseIterable {
        case platt, isotonic, none
    }

    /// Class imbalance: `auto` weighs positives by negatives/positives when they are under 25 % of
    /// the rows; `on` always; `off` never.
    public enum Imbalance: String, Sendable, CaseIterable {
        case auto, on, off
    }

    /// What early stopping watches on the validation rows: AUC (ranking, the default: calibration is
    /// fitted afterwards, and positive weighting skews log loss) or log loss.
    public enum StoppingMetric: String, Sendable, CaseIterable {
        case auc, logloss
    }

    public var data: String
    public var label: String
    public var positive: String?
    public var out: String
    public var holdoutFraction = 0.2
    /// The share of the non-holdout rows kept aside for early stopping and calibration.
    public var validationFraction = 0.2
    public var timeColumn: String?
    public var seed: UInt64 = 42
    public var manifest: String?
    public var holdoutOut: String?
    /// Writes the encoded train/validation/holdout matrices (for the Python peer benchmark).
    public var exportMatrices: String?
    public var exclude: [String] = []
    public var missingValues: [String] = []
    public var separator: UInt8?
    public var modelID: String?
    public var version: String?
    public var rounds = 200
    public var earlyStoppingRounds = 20
    public var stoppingMetric = StoppingMetric.auc
    public var maxDepth = 6
    public var learningRate = 0.1
    public var subsample = 0.8
    public var columnSample = 0.8
    public var minChildWeight = 1.0
    public var calibration = CalibrationMethod.platt
    public var imbalance = Imbalance.auto
    /// 0: all cores.
    public var threads = 0
    public var maxCategories = 30
    public var leakAUC = 0.9
    public var thresholds = (hotAbove: 80, coldBelow: 40)
    /// The command line, recorded in the model card.
    public var commandLine = ""

    public init(data: String, label: String, out: String) {
        self.data = data
        self.label = label
        self.out = out
    }
}

/// What a training run reports as it goes.
public enum TrainingProgress: Sendable {
    case reading(bytes: Int, of: Int)
    case note(String)
    /// One boosting round: its number (from 1), the maximum, the validation metrics, seconds so far.
    case round(Int, of: Int, metrics: [(name: String, value: Double)], elapsed: Double)
    case evaluating(done: Int, of: Int)
}
