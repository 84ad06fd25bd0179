import ArgumentParser
import Foundation
import TreeEnsemble

/// `leadgate bench`: what a model costs on this machine, for one row at a time and for batches.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prediction and TreeSHAP speed of a model on this machine.",
        discussion: """
            Repeats the input rows to --rows rows, then times: one-row calls (margins of one row into a \
            reused buffer, the gateway's hot path), the batch path on --threads threads and, with \
            --contribs, TreeSHAP. Each figure is the median of --repeat runs after a warm-up.
            """
    )

    @Option(name: .long, help: "Model file (xgboost JSON, LightGBM text or JSON).")
    var model: String

    @Option(name: .long, help: "CSV of input rows whose header names the model's features.")
    var input: String

    @Option(name: .long, help: "Rows to score (the input is repeated to reach it).")
    var rows: Int = 10_000

    @Option(name: .long, help: "Threads for the batch path.")
    var threads: Int = 1

    @Option(name: .long, help: "Timed runs per figure; the median is reported.")
    var `repeat`: Int = 5

    @Flag(name: .long, help: "Also time TreeSHAP contributions.")
    var contribs = false

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1.") }
    }

    func run() throws {
        let ensemble = try CommandSupport.loadModel(model)
        let matrix = try CommandSupport.readMatrix(input, for: ensemble).tiled(toRows: rows)
        guard matrix.rowCount > 0 else { throw CommandFailure("\(input) has no rows.") }
        let loadSeconds = try median(3) { _ = try Ensemble(contentsOfFile: model) }

        // One row at a time, reusing the output buffer: no allocation per call.
        var sink = 0.0
        let singleSeconds = try median(`repeat`) {
            var out = [Double](repeating: 0, count: ensemble.outputCount)
            matrix.values.withUnsafeBufferPointer { values in
                out.withUnsafeMutableBufferPointer { o in
                    for r in 0..<matrix.rowCount {
                        let row = UnsafeBufferPointer(rebasing: values[(r * matrix.columnCount)..<((r + 1) * matrix.columnCount)])
                        ensemble.margins(row: row, into: o)
                        sink += o[0]
                    }
                }
            }
        }
        let batchSeconds = try median(`repeat`) { sink += try ensemble.margins(matrix, threads: threads)[0] }

        var result: [(String, Double)] = [
            ("rows", Double(matrix.rowCount)),
            ("threads", Double(threads)),
            ("trees", Double(ensemble.treeCount)),
            ("max_depth", Double(ensemble.maxDepth)),
            ("load_ms", loadSeconds * 1e3),
            ("single_row_ns", singleSeconds * 1e9 / Double(matrix.rowCount)),
            ("single_rows_per_s", Double(matrix.rowCount) / singleSeconds),
            ("predict_rows_per_s", Double(matrix.rowCount) / batchSeconds),
            ("predict_ns_per_row", batchSeconds * 1e9 / Double(matrix.rowCount)),
        ]
        if contribs {
            let shapRows = matrix
            let contribSeconds = try median(`repeat`) { sink += try ensemble.contributions(shapRows, threads: threads)[0] }
            let singleContribSeconds =
                try median(`repeat`) {
                    var out = [Double](repeating: 0, count: ensemble.contributionCount)
                    let count = min(shapRows.rowCount, 2_000)
                    shapRows.values.withUnsafeBufferPointer { values in
                        out.withUnsafeMutableBufferPointer { o in
                            for r in 0..<count {
                                let row = UnsafeBufferPointer(rebasing: values[(r * shapRows.columnCount)..<((r + 1) * shapRows.columnCount)])
                                ensemble.contributions(row: row, into: o)
                                sink += o[0]
                            }
                        }
                    }
                } / Double(min(shapRows.rowCount, 2_000))
            result += [
                ("contribs_rows_per_s", Double(shapRows.rowCount) / contribSeconds),
                ("contribs_ns_per_row", contribSeconds * 1e9 / Double(shapRows.rowCount)),
                ("contribs_single_row_ns", singleContribSeconds * 1e9),
            ]
        }
        if sink.isNaN { FileHandle.standardError.write(Data("(a prediction was NaN)\n".utf8)) }

        if json {
            let body = result.map { "\"\($0.0)\": \(Self.number($0.1))" }.joined(separator: ", ")
            print("{\"model\": \(Self.quoted(model)), \"library\": \"\(ensemble.library.rawValue)\", \(body)}")
        } else {
            print(
                "model \(model): \(ensemble.library.rawValue), \(ensemble.treeCount) trees, depth ≤ \(ensemble.maxDepth), \(ensemble.featureCount) features"
            )
            for (name, value) in result {
                print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + Self.number(value))
            }
        }
    }

    private func median(_ runs: Int, _ body: () throws -> Void) throws -> Double {
        try body()  // warm-up
        var times: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<runs {
            let elapsed = try clock.measure(body)
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        times.sort()
        return times[times.count / 2]
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.4g", value)
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
