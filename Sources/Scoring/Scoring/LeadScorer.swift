import Foundation
public import TreeEnsemble

/// Scores leads with one model: probability, score, badge, confidence and the reasons.
///
/// **Confidence** measures how much training evidence backs the score. Every tree routes the lead to
/// a leaf; `cover(leaf) / cover(root)` is the share of that tree's training weight (xgboost: hessian
/// sum, the information behind the leaf's Newton step; LightGBM: row count) that fell in the same leaf.
/// The geometric mean of those shares over the trees is the lead's *leaf support* `s`, and
/// `confidence = 1 / (1 + (h / s)^k)`, with `h = confidence.half_support` and `k = confidence.steepness`
/// from the manifest. Set `h` to the median support of the training leads and `k` so that the 5th
/// percentile maps near 0.1: then confidence reads roughly as "the share of training leads backed by
/// less evidence than this one". A lead unlike anything in training (sparse leaves) approaches 0, one
/// in the best-populated regions approaches 1. It does not depend on how far the probability is
/// from 0.5.
public struct LeadScorer: Sendable {
    public let manifest: ModelManifest
    public let model: Ensemble
    public let encoder: LeadEncoder
    public let thresholds: ScoreThresholds
    /// How many reasons to return (the strongest positive and negative ones).
    public var reasonCount: Int

    public init(manifest: ModelManifest, model: Ensemble, defaults: ScoreThresholds = ScoreThresholds(), reasonCount: Int = 4)
        throws(ConfigurationError)
    {
        guard model.outputCount == 1, model.objective.isProbabilistic else {
            throw ConfigurationError(
                key: "model",
                "`\(manifest.modelFile)` is not a binary classifier (objective \(model.objective)). Lead scores need a binary:logistic (xgboost) or binary (LightGBM) model."
            )
        }
        self.manifest = manifest
        self.model = model
        self.encoder = try LeadEncoder(manifest: manifest, model: model)
        self.thresholds = ScoreThresholds(hotAbove: manifest.hotAbove ?? defaults.hotAbove, coldBelow: manifest.coldBelow ?? defaults.coldBelow)
        self.reasonCount = reasonCount
    }

    /// The outcome of scoring one lead: a score, or the problems that stop it.
    public enum Outcome: Sendable {
        case scored(LeadScore)
        case invalid([FieldIssue])
    }

    /// Scores one lead. With `explain`, computes TreeSHAP reasons, the breakdown and the importance.
    public func score(_ lead: Lead, explain: Bool = true, rejectUnknownFields: Bool = false) -> Outcome {
        let width = model.featureCount
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: width + 1 + (explain ? width + 1 : 0)) { buffer in
            let row = UnsafeMutableBufferPointer(rebasing: buffer[0..<width])
            let (issues, unknown) = encoder.encode(lead.features, model: model, into: row)
            var problems = issues
            if rejectUnknownFields {
                for name in unknown {
                    problems.append(
                        FieldIssue(
                            field: "features.\(name)",
                            message: "is not a field of model \(manifest.id)@\(manifest.version). Remove it (GET /v1/models lists the fields)."))
                }
            }
            guard problems.isEmpty else { return .invalid(problems) }
            let input = UnsafeBufferPointer(row)
            let marginOut = UnsafeMutableBufferPointer(rebasing: buffer[width..<(width + 1)])
            model.margins(row: input, into: marginOut)
            let margin = marginOut[0]
            var probability = 0.0
            withUnsafeMutablePointer(to: &probability) { p in
                model.predictions(fromMargins: UnsafeBufferPointer(marginOut), into: UnsafeMutableBufferPointer(start: p, count: 1))
            }
            if let calibration = manifest.calibration { probability = calibration.apply(margin: margin, probability: probability) }
            let baseScore = Self.scoreValue(probability)
            let support = model.leafSupport(row: input)
            let confidence = 1 / (1 + Foundation.pow(manifest.halfSupport / support, manifest.steepness))
            var result = LeadScore(
                leadID: lead.id, margin: margin, probability: probability, baseScore: baseScore,
                baseBadge: thresholds.badge(for: baseScore), confidence: confidence, leafSupport: support, reasons: [],
                breakdown: [], importance: [], unknownFields: unknown)
            if explain {
                let contributions = UnsafeMutableBufferPointer(rebasing: buffer[(width + 1)..<(2 * width + 2)])
                model.contributions(row: input, into: contributions)
                explainScore(&result, lead: lead, contributions: UnsafeBufferPointer(contributions))
            }
            return .scored(result)
        }
    }

    /// `round(100 × p)`, clamped to 0–100.
    public static func scoreValue(_ probability: Double, multiplier: Double = 1) -> Int {
        let value = (100 * probability * multiplier).rounded()
        guard value.isFinite else { return 0 }
        return Int(Swift.min(100, Swift.max(0, value)))
    }

    private func explainScore(_ result: inout LeadScore, lead: Lead, contributions: UnsafeBufferPointer<Double>) {
        let fieldCount = encoder.fieldCount
        var perField = [Double](repeating: 0, count: fieldCount)
        for column in 0..<encoder.columnCount { perField[encoder.fieldOfColumn[column]] += contributions[column] }
        let total = perField.reduce(0) { $0 + abs($1) }
        result.importance = (0..<fieldCount).map { i in
            (encoder.field(at: i).name, total > 0 ? abs(perField[i]) / total : 0)
        }
        var groups: [String: (sum: Double, abs: Double)] = [:]
        for i in 0..<fieldCount {
            guard let group = encoder.field(at: i).group else { continue }
            groups[group, default: (0, 0)].sum += perField[i]
            groups[group, default: (0, 0)].abs += abs(perField[i])
        }
        result.breakdown = manifest.groups.map { group in
            let g = groups[group.id] ?? (0, 0)
            return LeadScore.GroupShare(group: group.id, label: group.label, contribution: g.sum, share: total > 0 ? g.abs / total : 0)
        }
        result.reasons = topReasons(perField: perField, lead: lead)
    }

    /// The strongest reasons: up to half from each side (positive and negative), the rest filled
    /// from whichever side has more, ordered by absolute contribution.
    private func topReasons(perField: [Double], lead: Lead) -> [LeadScore.Reason] {
        let limit = reasonCount
        guard limit > 0 else { return [] }
        let significant = perField.indices.filter { abs(perField[$0]) >= 1e-6 }
        let positive = significant.filter { perField[$0] > 0 }.sorted { perField[$0] > perField[$1] }
        let negative = significant.filter { perField[$0] < 0 }.sorted { perField[$0] < perField[$1] }
        var takePositive = Swift.min(positive.count, (limit + 1) / 2)
        var takeNegative = Swift.min(negative.count, limit - takePositive)
        takePositive = Swift.min(positive.count, limit - takeNegative)
        takeNegative = Swift.min(negative.count, limit - takePositive)
        let chosen = (positive.prefix(takePositive) + negative.prefix(takeNegative)).sorted { abs(perField[$0]) > abs(perField[$1]) }
        return chosen.map { i in
            let field = encoder.field(at: i)
            let value = lead.features[field.name] ?? .null
            let direction: LeadScore.Reason.Direction = perField[i] > 0 ? .up : .down
            return LeadScore.Reason(
                field: field.name, label: field.label, value: value, contribution: perField[i], direction: direction,
                text: Self.sentence(field: field, value: value, direction: direction))
        }
    }

    /// The manifest's sentence for a field, value and direction; `{value}` and `{label}` filled in.
    static func sentence(field: ModelManifest.Field, value: LeadValue, direction: LeadScore.Reason.Direction) -> String {
        let r = field.reason
        var template: String?
        switch value {
        case .null: template = r.missing
        case .bool(let b): template = b ? r.whenTrue : r.whenFalse
        default: break
        }
        if template == nil { template = direction == .up ? r.up : r.down }
        return fill(template ?? "{label}: {value}", value: value.displayText, label: field.label)
    }

    /// Replaces `{value}` and `{label}` in one pass (no Foundation string search on the hot path).
    static func fill(_ template: String, value: String, label: String) -> String {
        guard template.utf8.contains(UInt8(ascii: "{")) else { return template }
        var out = ""
        out.reserveCapacity(template.utf8.count + value.utf8.count)
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let tail = rest[open...]
            if tail.hasPrefix("{value}") {
                out += value
                rest = tail.dropFirst(7)
            } else if tail.hasPrefix("{label}") {
                out += label
                rest = tail.dropFirst(7)
            } else {
                out += "{"
                rest = tail.dropFirst()
            }
        }
        out += rest
        return out
    }
}
