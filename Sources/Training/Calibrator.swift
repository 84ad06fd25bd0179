import Foundation
import Scoring

/// Fits the calibration stored with the model, on rows the trees did not train on.
enum Calibrator {
    static func fit(_ method: TrainingOptions.CalibrationMethod, margins: [Double], probabilities: [Double], labels: [Bool]) -> Calibration? {
        switch method {
        case .none: return nil
        case .platt: return platt(margins: margins, labels: labels)
        case .isotonic: return isotonic(probabilities: probabilities, labels: labels)
        }
    }

    /// Platt scaling: logistic regression of the label on the margin, by Newton's method, with
    /// Platt's smoothed targets so that a separable set keeps a finite slope.
    static func platt(margins: [Double], labels: [Bool]) -> Calibration {
        let positives = Double(labels.lazy.filter { $0 }.count)
        let negatives = Double(labels.count) - positives
        let high = (positives + 1) / (positives + 2)
        let low = 1 / (negatives + 2)
        let targets = labels.map { $0 ? high : low }
        func loss(_ a: Double, _ b: Double) -> Double {
            var total = 0.0
            for (m, t) in zip(margins, targets) {
                let z = a * m + b
                // log(1 + e^z) − t·z, computed without overflow.
                total += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - t * z
            }
            return total
        }
        var a = 1.0
        var b = 0.0
        var current = loss(a, b)
        for _ in 0..<100 {
            var g0 = 0.0
            var g1 = 0.0
            var h00 = 1e-12
            var h01 = 0.0
            var h11 = 1e-12
            for (m, t) in zip(margins, targets) {
                let p = 1 / (1 + exp(-(a * m + b)))
                let w = max(p * (1 - p), 1e-12)
                g0 += (p - t) * m
                g1 += p - t
                h00 += w * m * m
                h01 += w * m
                h11 += w
            }
            let det = h00 * h11 - h01 * h01
            guard det.isFinite, abs(det) > 1e-18 else { break }
            let da = (h11 * g0 - h01 * g1) / det
            let db = (h00 * g1 - h01 * g0) / det
            // Newton's step, halved until the loss goes down (a full step can overshoot).
            var step = 1.0
            var accepted = false
            while step > 1e-6 {
                let candidate = loss(a - step * da, b - step * db)
                if candidate <= current {
                    a -= step * da
                    b -= step * db
                    current = candidate
                    accepted = true
                    break
                }
                step /= 2
            }
            if !accepted || (abs(step * da) < 1e-10 && abs(step * db) < 1e-10) { break }
        }
        if !(a.isFinite && a > 0 && b.isFinite) { return .platt(a: 1, b: 0) }
        return .platt(a: a, b: b)
    }

    /// Isotonic regression by pool-adjacent-violators; each pooled block becomes one point at its
    /// mean probability, so the curve interpolates between block centres.
    static func isotonic(probabilities: [Double], labels: [Bool]) -> Calibration {
        let order = probabilities.indices.sorted { probabilities[$0] < probabilities[$1] }
        var blocks: [(sumX: Double, sumY: Double, count: Double)] = []
        for i in order {
            blocks.append((probabilities[i], labels[i] ? 1 : 0, 1))
            while blocks.count > 1 {
                let last = blocks[blocks.count - 1]
                let prev = blocks[blocks.count - 2]
                guard prev.sumY / prev.count >= last.sumY / last.count else { break }
                blocks.removeLast(2)
                blocks.append((prev.sumX + last.sumX, prev.sumY + last.sumY, prev.count + last.count))
            }
        }
        var x: [Double] = []
        var y: [Double] = []
        for block in blocks {
            let cx = block.sumX / block.count
            // Half a lead of smoothing keeps the end blocks off exactly 0 and 1 (a lead scored
            // "certain" that goes the other way would cost an unbounded log loss).
            let cy = max(y.last ?? 0, (block.sumY + 0.5) / (block.count + 1))
            if let lastX = x.last, cx <= lastX {
                y[y.count - 1] = cy
                continue
            }
            x.append(cx)
            y.append(cy)
        }
        guard !x.isEmpty else { return .isotonic(x: [0, 1], y: [0, 1]) }
        return .isotonic(x: x, y: y)
    }
}
