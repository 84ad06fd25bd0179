import Foundation

/// The measures `leadgate prompts eval` reports, as plain functions of scores and outcomes.
public enum EvalMetrics {
    /// ROC AUC: the chance that a random converted lead scores above a random other one (ties count
    /// half). Nil without both classes.
    public static func rocAUC(_ scores: [Double], _ labels: [Bool]) -> Double? {
        let positives = labels.filter { $0 }.count
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        // Mann–Whitney U from average ranks (ties share their mean rank).
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] { rankSum += rank }
            i = j + 1
        }
        let u = rankSum - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }

    /// Average precision (the area under the precision–recall curve as a step function): the sum,
    /// over score thresholds from high to low, of precision × the recall gained there. Nil without a
    /// converted lead.
    public static func averagePrecision(_ scores: [Double], _ labels: [Bool]) -> Double? {
        let positives = labels.filter { $0 }.count
        guard positives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0
        var seen = 0
        var area = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let gained = (i...j).filter { labels[order[$0]] }.count
            truePositives += gained
            seen += j - i + 1
            if gained > 0 { area += Double(truePositives) / Double(seen) * Double(gained) / Double(positives) }
            i = j + 1
        }
        return area
    }

    /// The share of converted leads among the `k` highest scores (ties broken by input order).
    public static func precision(at k: Int, _ scores: [Double], _ labels: [Bool]) -> Double? {
        guard k > 0, k <= scores.count else { return nil }
        let top = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(k)
        return Double(top.filter { labels[$0] }.count) / Double(k)
    }

    /// Precision at `k` over the base rate: how many times better than picking leads at random.
    public static func lift(at k: Int, _ scores: [Double], _ labels: [Bool]) -> Double? {
        let rate = Double(labels.filter { $0 }.count) / Double(max(1, labels.count))
        guard rate > 0, let p = precision(at: k, scores, labels) else { return nil }
        return p / rate
    }

    /// Expected calibration error over `bins` equal-width probability bins: the gap between the mean
    /// probability and the conversion rate in each bin, weighted by the bin's share of leads.
    /// Mean negative log-likelihood of the outcomes, probabilities clamped to [1e-15, 1 − 1e-15]
    /// so a "certain" miss costs a large but finite amount. Nil without leads.
    public static func logLoss(_ probabilities: [Double], _ labels: [Bool]) -> Double? {
        guard !probabilities.isEmpty else { return nil }
        var total = 0.0
        for (p, y) in zip(probabilities, labels) {
            let q = min(1 - 1e-15, max(1e-15, p))
            total -= y ? log(q) : log(1 - q)
        }
        return total / Double(probabilities.count)
    }

    /// Mean squared difference between the probability and the outcome (0 or 1). Nil without leads.
    public static func brier(_ probabilities: [Double], _ labels: [Bool]) -> Double? {
        guard !probabilities.isEmpty else { return nil }
        var total = 0.0
        for (p, y) in zip(probabilities, labels) { total += (p - (y ? 1 : 0)) * (p - (y ? 1 : 0)) }
        return total / Double(probabilities.count)
    }

    public static func expectedCalibrationError(_ probabilities: [Double], _ labels: [Bool], bins: Int = 10) -> Double? {
        guard !probabilities.isEmpty, bins > 0 else { return nil }
        var count = [Int](repeating: 0, count: bins)
        var confidence = [Double](repeating: 0, count: bins)
        var converted = [Int](repeating: 0, count: bins)
        for (p, label) in zip(probabilities, labels) {
            let b = min(bins - 1, max(0, Int(p * Double(bins))))
            count[b] += 1
            confidence[b] += p
            if label { converted[b] += 1 }
        }
        var error = 0.0
        for b in 0..<bins where count[b] > 0 {
            error += abs(confidence[b] / Double(count[b]) - Double(converted[b]) / Double(count[b])) * Double(count[b])
        }
        return error / Double(probabilities.count)
    }

    /// The `p`-th percentile (0–100) by nearest rank.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    /// A paired bootstrap of `metric(b) − metric(a)` over the same leads: the delta on all leads and
    /// its 95% interval from `resamples` resamples (seeded, so a report can be reproduced).
    public static func bootstrapDelta(
        _ a: [Double], _ b: [Double], _ labels: [Bool], resamples: Int = 1_000, seed: UInt64 = 2026,
        metric: ([Double], [Bool]) -> Double?
    ) -> (delta: Double, low: Double, high: Double)? {
        guard let ma = metric(a, labels), let mb = metric(b, labels), !labels.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)
        var deltas: [Double] = []
        deltas.reserveCapacity(resamples)
        var sa = [Double](repeating: 0, count: labels.count)
        var sb = sa
        var sl = [Bool](repeating: false, count: labels.count)
        for _ in 0..<resamples {
            for i in 0..<labels.count {
                let j = Int(rng.next() % UInt64(labels.count))
                sa[i] = a[j]
                sb[i] = b[j]
                sl[i] = labels[j]
            }
            if let x = metric(sa, sl), let y = metric(sb, sl) { deltas.append(y - x) }
        }
        guard let low = percentile(deltas, 2.5), let high = percentile(deltas, 97.5) else { return nil }
        return (mb - ma, low, high)
    }
}

/// A small, fast, seedable generator (SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
