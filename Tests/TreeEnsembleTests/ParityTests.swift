import Foundation
import Testing

@testable import TreeEnsemble

/// Outputs of the native evaluator against the outputs of the real xgboost and LightGBM.
@Suite struct ParityTests {
    static let goldenCases = ParityCase.all(in: TestData.golden)
    static let fixtureCases = ParityCase.all(in: TestData.fixtures)

    @Test("the shared golden cases (when ../shared/golden exists)", arguments: goldenCases)
    func golden(_ parityCase: ParityCase) throws {
        try check(parityCase)
    }

    @Test("the committed fixtures", arguments: fixtureCases)
    func fixture(_ parityCase: ParityCase) throws {
        try check(parityCase)
    }

    @Test func everyGoldenCaseIsCovered() throws {
        guard let golden = TestData.golden else { return }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: golden.appendingPathComponent("cases.json")))
        let names = ((summary as? [String: Any])?["cases"] as? [String: Any])?.keys.sorted() ?? []
        #expect(!names.isEmpty)
        let covered = Set(Self.goldenCases.map(\.name))
        for name in names {
            #expect(covered.contains(name), "golden case \(name) has no parity test")
        }
    }

    @Test func fixturesAreThere() {
        #expect(Self.fixtureCases.count >= 14, "the committed fixtures are missing; run scripts/make_fixtures.py")
    }

    private func check(_ parityCase: ParityCase) throws {
        let modelURL = parityCase.directory.appendingPathComponent(parityCase.modelFile)
        let model: Ensemble
        do {
            model = try Ensemble(contentsOfFile: modelURL.path)
        } catch {
            // Optional extensions may be rejected, but only with a clear reason.
            if parityCase.name.contains("vector-leaf") {
                #expect(error.code == .unsupported)
                #expect(error.message.contains("vector leaves"))
                return
            }
            throw error
        }
        let inputs = try TestData.table(parityCase.directory.appendingPathComponent(parityCase.inputs))
        let matrix = try FeatureMatrix(csv: inputs, for: model)
        let expected = try TestData.table(parityCase.directory.appendingPathComponent(parityCase.expected))
        #expect(expected.rows.count == matrix.rowCount)

        let margins = try model.margins(matrix, threads: 2)
        let predictions = model.predictions(fromMargins: margins)
        let columns = Dictionary(uniqueKeysWithValues: expected.header.enumerated().map { ($1, $0) })
        let hasShap = columns.keys.contains { $0.hasPrefix("shap_") }
        let contributions = hasShap ? try model.contributions(matrix, threads: 2) : []
        let tolerance = Tolerance.of(model)
        let outputs = model.outputCount
        let names = model.featureNames
        var failures = 0

        func compare(_ got: Double, _ column: String, _ row: Int, _ bound: Double) {
            guard let index = columns[column] else {
                Issue.record("expected.csv has no column \(column)")
                failures += 1
                return
            }
            let text = expected.rows[row][index]
            let want = text.isEmpty ? Double.nan : Double(text) ?? .nan
            if !tolerance.accepts(got, want, bound) {
                failures += 1
                if failures <= 5 {
                    Issue.record("\(parityCase.testDescription) row \(row) \(column): got \(got), want \(want)")
                }
            }
        }

        for row in 0..<matrix.rowCount {
            for k in 0..<outputs {
                let marginColumn = outputs == 1 ? "margin" : "margin_c\(k)"
                let predictionColumn = outputs == 1 ? "prediction" : "prob_c\(k)"
                compare(margins[row * outputs + k], marginColumn, row, tolerance.margin)
                compare(predictions[row * outputs + k], predictionColumn, row, tolerance.prediction)
            }
            guard hasShap else { continue }
            let width = model.contributionCount
            for k in 0..<outputs {
                let prefix = outputs == 1 ? "shap_" : "shap_c\(k)_"
                for (f, name) in names.enumerated() {
                    compare(contributions[row * width + k * (names.count + 1) + f], prefix + name, row, tolerance.shap)
                }
                compare(contributions[row * width + k * (names.count + 1) + names.count], prefix + "bias", row, tolerance.shap)
            }
        }
        #expect(failures == 0, "\(failures) values out of tolerance")
    }

    @Test(
        "xgboost margins are bit-exact (float32 accumulation)",
        arguments: goldenCases.filter { $0.modelFile == "model.json" && !$0.name.hasPrefix("lightgbm") && !$0.name.contains("vector") })
    func bitExactMargins(_ parityCase: ParityCase) throws {
        let model = try Ensemble(contentsOfFile: parityCase.directory.appendingPathComponent(parityCase.modelFile).path)
        let matrix = try FeatureMatrix(csv: TestData.table(parityCase.directory.appendingPathComponent(parityCase.inputs)), for: model)
        let expected = try TestData.table(parityCase.directory.appendingPathComponent(parityCase.expected))
        let margins = try model.margins(matrix)
        let marginColumns = expected.header.enumerated().filter { $0.element == "margin" || $0.element.hasPrefix("margin_c") }.map(\.offset)
        var mismatches = 0
        for row in 0..<matrix.rowCount {
            for (k, column) in marginColumns.enumerated() {
                if Float(margins[row * marginColumns.count + k]) != Float(expected.rows[row][column]) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }
}
