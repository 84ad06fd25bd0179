import Foundation
import Testing

@testable import TreeEnsemble

/// A small deterministic generator (SplitMix64), so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Invariants that hold for any input: TreeSHAP adds up, every path agrees with every other.
@Suite struct PropertyTests {
    static let models = [
        "xgb-binary", "xgb-multiclass", "xgb-categorical", "xgb-regression", "xgb-dart", "lgb-binary",
        "lgb-multiclass", "lgb-categorical", "lgb-zero-missing",
    ]

    static func load(_ name: String) throws -> (Ensemble, FeatureMatrix) {
        let dir = TestData.fixtures.appendingPathComponent(name)
        let file = FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.txt").path) ? "model.txt" : "model.json"
        let model = try Ensemble(contentsOfFile: dir.appendingPathComponent(file).path)
        let matrix = try FeatureMatrix(csv: TestData.table(dir.appendingPathComponent("inputs.csv")), for: model)
        return (model, matrix)
    }

    /// Random rows: values drawn from the fixture's own rows, NaN, zero, tiny, huge and negative values.
    static func randomRows(like matrix: FeatureMatrix, count: Int, seed: UInt64) throws -> FeatureMatrix {
        var rng = SeededGenerator(seed: seed)
        var out = FeatureMatrix(columnCount: matrix.columnCount)
        let specials: [Double] = [.nan, 0, -0.0, 1e-36, -1e-36, 1e30, -1e30, -1, 0.5, 3, 1e300]
        for _ in 0..<count {
            var row = [Double]()
            for c in 0..<matrix.columnCount {
                if Bool.random(using: &rng) {
                    row.append(matrix.values[Int.random(in: 0..<matrix.rowCount, using: &rng) * matrix.columnCount + c])
                } else {
                    row.append(specials.randomElement(using: &rng) ?? 0)
                }
            }
            try out.append(row: row)
        }
        return out
    }

    @Test(arguments: models)
    func contributionsAddUpToTheMargin(_ name: String) throws {
        let (model, fixture) = try Self.load(name)
        let rows = try Self.randomRows(like: fixture, count: 300, seed: 7)
        let margins = try model.margins(rows)
        let contributions = try model.contributions(rows)
        let width = model.featureCount + 1
        for r in 0..<rows.rowCount {
            for g in 0..<model.outputCount {
                let start = r * model.contributionCount + g * width
                let sum = contributions[start..<(start + width)].reduce(0, +)
                let margin = margins[r * model.outputCount + g]
                #expect(abs(sum - margin) <= 1e-4 * max(1, abs(margin)), "row \(r) group \(g): Σφ = \(sum), margin = \(margin)")
            }
        }
    }

    /// The per-leaf tables and the recursion are two ways to the same TreeSHAP values.
    @Test(arguments: models)
    func leafTablesMatchTheRecursion(_ name: String) throws {
        let (model, fixture) = try Self.load(name)
        let rows = try Self.randomRows(like: fixture, count: 200, seed: 23)
        let n = rows.rowCount * model.contributionCount
        var fast = [Double](repeating: 0, count: n)
        var slow = [Double](repeating: 0, count: n)
        var hasTables = false
        rows.values.withUnsafeBufferPointer { input in
            fast.withUnsafeMutableBufferPointer { a in
                slow.withUnsafeMutableBufferPointer { b in
                    guard let x = input.baseAddress, let f = a.baseAddress, let s = b.baseAddress else { return }
                    switch model.kernel {
                    case .xgboost(let forest):
                        hasTables = forest.leafTables.data != nil
                        forest.contributions(rows: x, count: rows.rowCount, into: f)
                        forest.contributions(rows: x, count: rows.rowCount, into: s, useTables: false)
                    case .lightgbm(let forest):
                        hasTables = forest.leafTables.data != nil
                        forest.contributions(rows: x, count: rows.rowCount, into: f)
                        forest.contributions(rows: x, count: rows.rowCount, into: s, useTables: false)
                    }
                }
            }
        }
        #expect(hasTables, "the fixture models are shallow enough for leaf tables")
        // The tables keep their terms in float32: agreement to float32 precision of each row's scale.
        let width = model.contributionCount
        var worst = 0.0
        for r in 0..<rows.rowCount {
            let scale = max(1, (0..<width).map { abs(slow[r * width + $0]) }.max() ?? 1)
            for i in (r * width)..<((r + 1) * width) { worst = max(worst, abs(fast[i] - slow[i]) / scale) }
        }
        #expect(worst <= 2e-6, "largest difference relative to the row's largest value: \(worst)")
    }

    @Test(arguments: models)
    func singleRowsBatchesAndThreadsAgree(_ name: String) throws {
        let (model, fixture) = try Self.load(name)
        let rows = try Self.randomRows(like: fixture, count: 257, seed: 11)
        let batch = try model.margins(rows, threads: 1)
        #expect(try model.margins(rows, threads: 2) == batch)
        #expect(try model.contributions(rows, threads: 2) == model.contributions(rows, threads: 1))
        for r in stride(from: 0, to: rows.rowCount, by: 17) {
            let single = try model.margins(for: Array(rows.row(r)))
            #expect(single == Array(batch[(r * model.outputCount)..<((r + 1) * model.outputCount)]))
            let contributions = try model.contributions(for: Array(rows.row(r)))
            #expect(contributions.count == model.contributionCount)
        }
    }

    @Test(arguments: models)
    func probabilitiesAreProbabilities(_ name: String) throws {
        let (model, fixture) = try Self.load(name)
        guard model.objective.isProbabilistic else { return }
        let rows = try Self.randomRows(like: fixture, count: 200, seed: 3)
        let predictions = model.predictions(fromMargins: try model.margins(rows))
        #expect(predictions.allSatisfy { $0 >= 0 && $0 <= 1 })
        if model.objective.link == .softmax {
            for r in 0..<rows.rowCount {
                let sum = predictions[(r * model.outputCount)..<((r + 1) * model.outputCount)].reduce(0, +)
                #expect(abs(sum - 1) < 1e-5)
            }
        }
    }

    /// Random damage to a model file either fails to load with a ``ModelError`` or loads a model that
    /// evaluates without crashing.
    @Test(arguments: ["xgb-categorical/model.json", "lgb-categorical/model.txt", "lgb-binary/model.json"])
    func damagedModelsNeverCrash(_ file: String) throws {
        let original = try TestData.bytes(TestData.fixtures.appendingPathComponent(file))
        var rng = SeededGenerator(seed: 42)
        let alphabet = Array("0123456789-.eE,[]{}\":tfn ".utf8) + [0, 0xFF]
        var loaded = 0
        for _ in 0..<150 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = alphabet.randomElement(using: &rng) ?? 0
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet.randomElement(using: &rng) ?? 0, at: at)
                }
            }
            guard let model = try? Ensemble(bytes: bytes) else { continue }
            loaded += 1
            let row = [Double](repeating: .nan, count: model.featureCount)
            _ = try model.margins(for: row)
            _ = try model.contributions(for: row)
            _ = try model.margins(for: [Double](repeating: 1, count: model.featureCount))
            _ = try model.contributions(for: [Double](repeating: -1e30, count: model.featureCount))
        }
        // Some damage (inside a number) leaves a valid model; most of it must be refused.
        #expect(loaded < 150)
    }
}
