import ArgumentParser
import Foundation
import TreeEnsemble

/// `leadgate predict`: scores a CSV of feature rows with a model file.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Score a CSV of feature rows with an xgboost JSON or LightGBM model.",
        discussion: """
            The CSV header names the model's features (any order; empty cell = missing). Categorical columns \
            take integer codes or the category names stored in the model file. The output has a `row` column, \
            then margin,prediction (multiclass: margin_c<k>…, prob_c<k>…) and, with --contribs, one TreeSHAP \
            column per feature plus shap_bias.
            """
    )

    @Option(name: .long, help: "Model file: xgboost save_model JSON, LightGBM model.txt or dump_model JSON.")
    var model: String

    @Option(name: .long, help: "CSV of input rows whose header names the model's features.")
    var input: String

    @Flag(name: .long, help: "Add TreeSHAP contributions (one column per feature, then the bias).")
    var contribs = false

    @Option(name: .long, help: "Write the CSV here instead of standard output.")
    var output: String?

    @Option(name: .long, help: "Threads for the batch (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        let ensemble = try CommandSupport.loadModel(model)
        let matrix = try CommandSupport.readMatrix(input, for: ensemble)
        let margins = try ensemble.margins(matrix, threads: threads)
        let predictions = ensemble.predictions(fromMargins: margins)
        let contributions = contribs ? try ensemble.contributions(matrix, threads: threads) : nil
        let table = PredictionTable(model: ensemble, margins: margins, predictions: predictions, contributions: contributions)
        let bytes = Data(table.csv())
        if let output {
            do {
                try bytes.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CommandFailure("Cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(bytes)
        }
    }
}
