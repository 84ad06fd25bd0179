import Foundation
import Scoring
import Testing
import TreeEnsemble

/// The embedded default model, fed through its manifest, against what the real xgboost computed for
/// the same leads (`scripts/make_default_model.py` wrote the fixture).
@Suite struct DefaultModelTests {
    static let model: LoadedModel? = try? LoadedModel.load(directory: Paths.defaultModel.path)

    @Test func fixtureIsThere() throws {
        #expect(FixtureLead.all().count >= 20)
        #expect(Self.model != nil)
    }

    @Test(arguments: FixtureLead.all())
    func matchesXGBoost(_ lead: FixtureLead) throws {
        let model = try #require(Self.model)
        let ensemble = model.ensemble
        var row = [Double](repeating: 0, count: ensemble.featureCount)
        let (issues, unknown) = row.withUnsafeMutableBufferPointer { model.scorer.encoder.encode(lead.features, model: ensemble, into: $0) }
        #expect(issues.isEmpty)
        #expect(unknown.isEmpty)
        let margin = try ensemble.margins(for: row)[0]
        #expect(abs(margin - lead.expected.margin) <= 1e-6 * max(1, abs(lead.expected.margin)))
        let contributions = try ensemble.contributions(for: row)
        for (name, expected) in lead.expected.contributions {
            let index = name == "bias" ? ensemble.featureCount : try #require(ensemble.featureIndex(named: name))
            #expect(abs(contributions[index] - expected) <= 1e-5, "column \(name)")
        }
        let support = row.withUnsafeBufferPointer { ensemble.leafSupport(row: $0) }
        #expect(abs(support - lead.expected.leaf_support) <= 1e-6 * lead.expected.leaf_support)

        guard case .scored(let score) = model.scorer.score(Lead(id: lead.lead_id, features: lead.features)) else {
            Issue.record("not scored")
            return
        }
        #expect(abs(score.probability - lead.expected.probability) <= 1e-6)
        #expect(score.baseScore == Int((100 * lead.expected.probability).rounded()))
        // Folded reasons add up to the column contributions of their field.
        let leadSource = lead.expected.contributions.filter { $0.key.hasPrefix("lead_source=") }.values.reduce(0, +)
        if let reason = score.reasons.first(where: { $0.field == "lead_source" }) {
            #expect(abs(reason.contribution - leadSource) <= 1e-5)
        }
        #expect(abs(score.importance.map(\.share).reduce(0, +) - 1) <= 1e-9)
        #expect(abs(score.breakdown.map(\.share).reduce(0, +) - 1) <= 1e-9)
        let total = score.breakdown.map(\.contribution).reduce(0, +)
        let columns = lead.expected.contributions.filter { $0.key != "bias" }.values.reduce(0, +)
        #expect(abs(total - columns) <= 1e-4)
        #expect(score.confidence > 0 && score.confidence < 1)
    }

    @Test func reasonsAreBalancedAndWorded() throws {
        let model = try #require(Self.model)
        let lead = try #require(FixtureLead.all().first { $0.lead_id == "fx-hot-referral" })
        guard case .scored(let score) = model.scorer.score(Lead(id: lead.lead_id, features: lead.features)) else {
            Issue.record("not scored")
            return
        }
        #expect(score.reasons.count == 4)
        #expect(score.reasons.map { abs($0.contribution) } == score.reasons.map { abs($0.contribution) }.sorted(by: >))
        for reason in score.reasons {
            #expect(!reason.text.contains("{"))
            #expect((reason.contribution > 0) == (reason.direction == .up))
        }
        let tour = try #require(score.reasons.first { $0.field == "tour_requested" } ?? nil)
        #expect(tour.text == "Requested a property tour")
    }

    @Test func confidenceFollowsLeafSupport() throws {
        let model = try #require(Self.model)
        var scores: [(Double, Double)] = []
        for lead in FixtureLead.all() {
            if case .scored(let s) = model.scorer.score(Lead(id: lead.lead_id, features: lead.features), explain: false) {
                scores.append((s.leafSupport, s.confidence))
                let h = model.manifest.halfSupport
                #expect(abs(s.confidence - 1 / (1 + pow(h / s.leafSupport, model.manifest.steepness))) < 1e-12)
            }
        }
        let sorted = scores.sorted { $0.0 < $1.0 }
        #expect(sorted.map(\.1) == sorted.map(\.1).sorted())
        #expect((sorted.last?.1 ?? 0) - (sorted.first?.1 ?? 0) > 0.2, "confidence should spread across the fixture leads")
    }

    @Test func scoreMathRoundsAndClamps() {
        #expect(LeadScorer.scoreValue(0.805) == 81)
        #expect(LeadScorer.scoreValue(0.804) == 80)
        #expect(LeadScorer.scoreValue(0.99, multiplier: 1.2) == 100)
        #expect(LeadScorer.scoreValue(0.004) == 0)
        let t = ScoreThresholds()
        #expect(t.badge(for: 81) == .hot)
        #expect(t.badge(for: 80) == .warm)
        #expect(t.badge(for: 40) == .warm)
        #expect(t.badge(for: 39) == .cold)
    }
}
