import Benchmark
import Foundation
import TreeEnsemble

/// The seed-config model (200 trees, depth 6) from ../shared/golden when present, else the committed
/// xgb-binary fixture; its input rows repeated to 10,000.
private struct Workload {
    let model: Ensemble
    let rows: FeatureMatrix

    static func load() throws -> Workload {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let root = here.deletingLastPathComponent().deletingLastPathComponent()
        let golden = root.deletingLastPathComponent().appendingPathComponent("shared/golden/seed-config")
        let dir = FileManager.default.fileExists(atPath: golden.path) ? golden : root.appendingPathComponent("Tests/Fixtures/xgb-binary")
        let model = try Ensemble(contentsOfFile: dir.appendingPathComponent("model.json").path)
        let data = try Data(contentsOf: dir.appendingPathComponent("inputs.csv"))
        let table = try CSVTable(bytes: [UInt8](data))
        return Workload(model: model, rows: try FeatureMatrix(csv: table, for: model).tiled(toRows: 10_000))
    }

    /// Calls `body` with row `i % rowCount` for each `i` in `iterations`, and a reused output buffer.
    func forEachRow(
        _ iterations: Range<Int>, outputCount: Int,
        _ body: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
    ) {
        var out = [Double](repeating: 0, count: outputCount)
        let columns = rows.columnCount
        rows.values.withUnsafeBufferPointer { values in
            out.withUnsafeMutableBufferPointer { o in
                for i in iterations {
                    let r = i % rows.rowCount
                    body(UnsafeBufferPointer(rebasing: values[(r * columns)..<((r + 1) * columns)]), o)
                    blackHole(o[0])
                }
            }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    let workload: Workload
    do {
        workload = try Workload.load()
    } catch {
        fatalError("cannot load the benchmark workload: \(error)")
    }
    let model = workload.model
    let rows = workload.rows
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3))

    // Target: ≤ 5 µs p50 and no allocation per call.
    Benchmark("predict one row (seed-config)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        workload.forEachRow(benchmark.scaledIterations, outputCount: model.outputCount) { row, out in
            model.margins(row: row, into: out)
        }
    }

    // Target: ≥ 1.5× xgboost inplace_predict with nthread=1 (Benchmarks/compare.py measures both).
    Benchmark("predict 10,000 rows, 1 thread") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try model.margins(rows, threads: 1)) }
    }

    Benchmark("predict 10,000 rows, 2 threads") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try model.margins(rows, threads: 2)) }
    }

    // Target: ≥ 2× xgboost pred_contribs with nthread=1.
    Benchmark("TreeSHAP one row (seed-config)") { benchmark in
        workload.forEachRow(benchmark.scaledIterations, outputCount: model.contributionCount) { row, out in
            model.contributions(row: row, into: out)
        }
    }
}
