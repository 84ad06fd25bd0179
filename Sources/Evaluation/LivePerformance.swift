/// How a model did on the leads whose outcome came back: ranking, calibration, conversion per
/// badge, and whether the LLM step's adjustment helped (final vs base score AUC, paired bootstrap).
public struct PerformanceSummary: Sendable, Equatable {
    public struct BadgeRate: Sendable, Equatable {
        public var badge: String
        public var leads: Int
        public var converted: Int
    }

    public struct Lift: Sendable, Equatable {
        /// Leads whose final score differs from the base score (the LLM step changed them).
        public var adjusted: Int
        public var baseAUC: Double
        public var finalAUC: Double
        /// finalAUC − baseAUC and its 95 % paired bootstrap interval.
        public var delta: Double
        public var low: Double
        public var high: Double
    }

    public var leads: Int
    public var converted: Int
    public var auc: Double?
    public var prAUC: Double?
    public var precisionAt20: Double?
    public var precisionAt100: Double?
    public var ece: Double?
    public var badges: [BadgeRate]
    public var lift: Lift?
    /// Classifying "converts" at probability ≥ 0.5 (the CRM's columns); nil without leads, or
    /// (precision) without a lead predicted to convert, (recall) without a converted one.
    public var accuracy: Double?
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
}

/// One labelled decision, as the measures need it.
public struct PerformanceSample: Sendable {
    public var probability: Double
    public var baseScore: Int
    public var finalScore: Int
    public var finalBadge: String
    public var converted: Bool

    public init(probability: Double, baseScore: Int, finalScore: Int, finalBadge: String, converted: Bool) {
        self.probability = probability
        self.baseScore = baseScore
        self.finalScore = finalScore
        self.finalBadge = finalBadge
        self.converted = converted
    }
}

extension PerformanceSummary {
    /// The measures of `samples`; AUC-type measures are nil without both outcomes.
    public static func of(_ samples: [PerformanceSample], resamples: Int = 500, seed: UInt64 = 2026) -> PerformanceSummary {
        let labels = samples.map(\.converted)
        let probabilities = samples.map(\.probability)
        var badges: [String: (Int, Int)] = [:]
        for s in samples {
            badges[s.finalBadge, default: (0, 0)].0 += 1
            if s.converted { badges[s.finalBadge, default: (0, 0)].1 += 1 }
        }
        let order = ["hot", "warm", "cold"]
        let rates = (order + badges.keys.filter { !order.contains($0) }.sorted()).map { badge in
            BadgeRate(badge: badge, leads: badges[badge]?.0 ?? 0, converted: badges[badge]?.1 ?? 0)
        }
        var lift: Lift?
        let base = samples.map { Double($0.baseScore) + $0.probability * 1e-3 }  // the probability breaks score ties
        let final = samples.map { Double($0.finalScore) + $0.probability * 1e-3 }
        let adjusted = samples.filter { $0.finalScore != $0.baseScore }.count
        if adjusted > 0, let baseAUC = EvalMetrics.rocAUC(base, labels), let finalAUC = EvalMetrics.rocAUC(final, labels),
            let interval = EvalMetrics.bootstrapDelta(base, final, labels, resamples: resamples, seed: seed, metric: EvalMetrics.rocAUC)
        {
            lift = Lift(adjusted: adjusted, baseAUC: baseAUC, finalAUC: finalAUC, delta: interval.delta, low: interval.low, high: interval.high)
        }
        var tp = 0
        var fp = 0
        var fn = 0
        var tn = 0
        for s in samples {
            switch (s.probability >= 0.5, s.converted) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            case (false, false): tn += 1
            }
        }
        let precision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : nil
        let recall = tp + fn > 0 ? Double(tp) / Double(tp + fn) : nil
        var f1: Double?
        if let p = precision, let r = recall { f1 = p + r > 0 ? 2 * p * r / (p + r) : 0 }
        return PerformanceSummary(
            leads: samples.count, converted: labels.filter { $0 }.count, auc: EvalMetrics.rocAUC(probabilities, labels),
            prAUC: EvalMetrics.averagePrecision(probabilities, labels), precisionAt20: EvalMetrics.precision(at: 20, probabilities, labels),
            precisionAt100: EvalMetrics.precision(at: 100, probabilities, labels),
            ece: EvalMetrics.expectedCalibrationError(probabilities, labels), badges: rates, lift: lift,
            accuracy: samples.isEmpty ? nil : Double(tp + tn) / Double(samples.count), precision: precision, recall: recall, f1: f1)
    }
}
