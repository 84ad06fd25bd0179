import Foundation
import Testing

@testable import TreeEnsemble

/// Where the test data lives: the committed fixtures, and the shared golden cases beside the checkout.
enum TestData {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    /// `../shared/golden` beside the repository, or `LEADGATE_GOLDEN_DIR`; `nil` when absent.
    static let golden: URL? = {
        let candidates = [
            ProcessInfo.processInfo.environment["LEADGATE_GOLDEN_DIR"].map { URL(fileURLWithPath: $0) },
            repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/golden"),
        ].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("cases.json").path) }
    }()

    static func bytes(_ url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    static func table(_ url: URL) throws -> CSVTable {
        try CSVTable(bytes: bytes(url))
    }
}

/// One model with its inputs and the outputs the real library produced for them.
struct ParityCase: CustomTestStringConvertible, Sendable {
    let name: String
    let directory: URL
    let modelFile: String
    let inputs: String
    let expected: String

    var testDescription: String { "\(name)/\(modelFile) on \(inputs)" }

    /// Every model file of every case folder under `root` (cases without expected outputs are skipped).
    static func all(in root: URL?) -> [ParityCase] {
        guard let root,
            let names = try? FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        else { return [] }
        var cases: [ParityCase] = []
        for name in names {
            let dir = root.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("expected.csv").path) else { continue }
            for model in ["model.json", "model.txt"]
            where FileManager.default.fileExists(atPath: dir.appendingPathComponent(model).path) {
                cases.append(ParityCase(name: name, directory: dir, modelFile: model, inputs: "inputs.csv", expected: "expected.csv"))
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("inputs_f64.csv").path) {
                    cases.append(
                        ParityCase(name: name, directory: dir, modelFile: model, inputs: "inputs_f64.csv", expected: "expected_f64.csv"))
                }
            }
        }
        return cases
    }
}

/// Tolerances: those the golden README recommends, tightened where the issue asks for more.
struct Tolerance {
    var margin: Double
    var prediction: Double
    var shap: Double
    /// Margins and predictions are compared relative to their size (regression targets in the 100s).
    var relative: Bool

    static func of(_ model: Ensemble) -> Tolerance {
        switch model.library {
        case .lightgbm:
            return Tolerance(margin: 1e-9, prediction: 1e-9, shap: 1e-9, relative: false)
        case .xgboost:
            if model.objective.link == .identity || model.objective.link == .exp {
                return Tolerance(margin: 1e-5, prediction: 1e-5, shap: 5e-3, relative: true)
            }
            return Tolerance(margin: 1e-5, prediction: 1e-6, shap: 1e-4, relative: false)
        }
    }

    func accepts(_ got: Double, _ want: Double, _ bound: Double) -> Bool {
        if got.isNaN || want.isNaN { return got.isNaN && want.isNaN }
        let scale = relative ? max(1, abs(want)) : 1
        return abs(got - want) <= bound * scale
    }
}
