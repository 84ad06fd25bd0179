import Evaluation
import Foundation
import Scoring
import Testing

@testable import Training

@Suite struct CalibrationTests {
    static let manifest = """
        id: m
        version: "1"
        model: model.json
        fields: { x: { type: number } }

        """

    @Test func manifestCalibrationIsReadAndCheckedByKey() throws {
        let platt = try ModelManifest(yaml: Self.manifest + "calibration: {method: platt, a: 2, b: -1}\n")
        #expect(platt.calibration == .platt(a: 2, b: -1))
        let p = try #require(platt.calibration).apply(margin: 0.5, probability: 0.6)
        #expect(abs(p - 0.5) < 1e-12)  // 1 / (1 + e^-(2 × 0.5 − 1))

        let isotonic = try ModelManifest(yaml: Self.manifest + "calibration: {method: isotonic, x: [0.2, 0.6], y: [0.1, 0.5]}\n")
        let curve = try #require(isotonic.calibration)
        #expect(curve.apply(margin: 0, probability: 0.1) == 0.1)  // flat below the first point
        #expect(abs(curve.apply(margin: 0, probability: 0.4) - 0.3) < 1e-12)  // linear between
        #expect(curve.apply(margin: 0, probability: 0.9) == 0.5)  // flat above the last

        for (text, key) in [
            ("calibration: {method: magic}\n", "calibration.method"),
            ("calibration: {method: platt, a: -1, b: 0}\n", "calibration.a"),
            ("calibration: {method: isotonic, x: [0.5, 0.2], y: [0.1, 0.2]}\n", "calibration.x"),
            ("calibration: {method: isotonic, x: [0.1, 0.2], y: [0.1, 1.5]}\n", "calibration.y"),
        ] {
            #expect {
                _ = try ModelManifest(yaml: Self.manifest + text)
            } throws: { error in
                (error as? ConfigurationError)?.key == key
            }
        }
    }

    @Test func plattRecoversAKnownSlopeAndIntercept() {
        // Labels drawn from p = σ(0.5 m − 1): the fit finds about that.
        var generator = SplitMix64(seed: 3)
        var margins: [Double] = []
        var labels: [Bool] = []
        for _ in 0..<20_000 {
            let m = Double.random(in: -6...6, using: &generator)
            margins.append(m)
            labels.append(Double.random(in: 0..<1, using: &generator) < 1 / (1 + exp(-(0.5 * m - 1))))
        }
        guard case .platt(let a, let b) = Calibrator.platt(margins: margins, labels: labels) else {
            Issue.record("not platt")
            return
        }
        #expect(abs(a - 0.5) < 0.05 && abs(b + 1) < 0.08, "a \(a), b \(b)")
    }

    @Test func isotonicPoolsViolatorsAndStaysOffTheEnds() {
        let probabilities = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
        let labels = [false, true, false, false, true, true]
        guard case .isotonic(let x, let y) = Calibrator.isotonic(probabilities: probabilities, labels: labels) else {
            Issue.record("not isotonic")
            return
        }
        // (0.1: 0) then (0.2, 0.3, 0.4: 1 of 3 pooled) then (0.5, 0.6: 2 of 2), smoothed by half a lead.
        #expect(x.count == 3)
        #expect(abs(x[1] - 0.3) < 1e-12 && abs(x[2] - 0.55) < 1e-12)
        #expect(abs(y[0] - 0.25) < 1e-12 && abs(y[1] - 1.5 / 4) < 1e-12 && abs(y[2] - 2.5 / 3) < 1e-12)
        #expect(y.allSatisfy { $0 > 0 && $0 < 1 })
    }
}

@Suite struct ProbabilityScoreTests {
    @Test func logLossAndBrierOfKnownCases() throws {
        #expect(abs(try #require(EvalMetrics.logLoss([0.5, 0.5], [true, false])) - log(2)) < 1e-12)
        #expect(abs(try #require(EvalMetrics.brier([0.8, 0.1], [true, false])) - 0.025) < 1e-12)
        // A certain miss is large but finite.
        let miss = try #require(EvalMetrics.logLoss([0], [true]))
        #expect(miss.isFinite && miss > 30)
        #expect(EvalMetrics.logLoss([], []) == nil && EvalMetrics.brier([], []) == nil)
    }
}
