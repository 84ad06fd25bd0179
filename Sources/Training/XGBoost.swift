import CXGBoost
import Foundation

/// The real xgboost, through its C API (Debian's `libxgboost-dev`): a dense matrix and a booster.
/// Both wrap C handles owned by one training run on one thread; neither is shared.
enum XGBoost {
    /// The library's version, e.g. `1.7.4`.
    static var version: String {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        XGBoostVersion(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    static func check(_ code: Int32, _ what: String) throws(TrainingError) {
        guard code != 0 else { return }
        let message = XGBGetLastError().map { String(cString: $0) } ?? "unknown error"
        throw TrainingError("xgboost could not \(what): \(message)")
    }
}

/// A dense row-major float matrix in xgboost, with labels, optional weights and feature names.
final class XGMatrix {
    let handle: DMatrixHandle

    init(values: [Float], rows: Int, columns: Int, labels: [Float], featureNames: [String], threads: Int) throws(TrainingError) {
        precondition(values.count == rows * columns && labels.count == rows, "matrix shape")
        var out: DMatrixHandle?
        try XGBoost.check(
            values.withUnsafeBufferPointer { XGDMatrixCreateFromMat_omp($0.baseAddress, UInt64(rows), UInt64(columns), .nan, &out, Int32(threads)) },
            "create a matrix")
        guard let out else { throw TrainingError("xgboost returned no matrix.") }
        handle = out
        try XGBoost.check(labels.withUnsafeBufferPointer { XGDMatrixSetFloatInfo(out, "label", $0.baseAddress, UInt64(rows)) }, "set labels")
        try Self.withCStrings(featureNames) { pointers throws(TrainingError) in
            try XGBoost.check(XGDMatrixSetStrFeatureInfo(out, "feature_name", pointers, UInt64(featureNames.count)), "set feature names")
        }
        let types = [String](repeating: "q", count: featureNames.count)
        try Self.withCStrings(types) { pointers throws(TrainingError) in
            try XGBoost.check(XGDMatrixSetStrFeatureInfo(out, "feature_type", pointers, UInt64(types.count)), "set feature types")
        }
    }

    deinit { XGDMatrixFree(handle) }

    static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) throws(TrainingError) -> R
    ) throws(TrainingError) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies.map { UnsafePointer($0) }
        return try pointers.withUnsafeMutableBufferPointer { buffer throws(TrainingError) -> R in
            guard let base = buffer.baseAddress else { throw TrainingError("no feature names.") }
            return try body(base)
        }
    }
}

/// A gradient-boosted tree model being trained.
final class XGBooster {
    let handle: BoosterHandle

    init(training: XGMatrix, evaluation: [XGMatrix]) throws(TrainingError) {
        var handles: [DMatrixHandle?] = [training.handle] + evaluation.map(\.handle)
        var out: BoosterHandle?
        try XGBoost.check(XGBoosterCreate(&handles, UInt64(handles.count), &out), "create a booster")
        guard let out else { throw TrainingError("xgboost returned no booster.") }
        handle = out
    }

    private init(handle: BoosterHandle) { self.handle = handle }

    deinit { XGBoosterFree(handle) }

    func set(_ name: String, _ value: String) throws(TrainingError) {
        try XGBoost.check(XGBoosterSetParam(handle, name, value), "set parameter \(name)=\(value)")
    }

    func update(iteration: Int, training: XGMatrix) throws(TrainingError) {
        try XGBoost.check(XGBoosterUpdateOneIter(handle, Int32(iteration), training.handle), "train round \(iteration)")
    }

    /// The evaluation line for one round, parsed: metric name (`valid-logloss`) → value.
    func evaluate(iteration: Int, on matrix: XGMatrix, name: String) throws(TrainingError) -> [(metric: String, value: Double)] {
        var handles: [DMatrixHandle?] = [matrix.handle]
        var out: UnsafePointer<CChar>?
        let code = name.withCString { cName -> Int32 in
            var names: [UnsafePointer<CChar>?] = [cName]
            return XGBoosterEvalOneIter(handle, Int32(iteration), &handles, &names, 1, &out)
        }
        try XGBoost.check(code, "evaluate round \(iteration)")
        guard let out else { return [] }
        // "[12]\tvalid-auc:0.91\tvalid-logloss:0.34"
        return String(cString: out).split(separator: "\t").dropFirst().compactMap { part in
            guard let colon = part.lastIndex(of: ":"), let value = Double(part[part.index(after: colon)...]) else { return nil }
            return (String(part[..<colon]), value)
        }
    }

    /// Probabilities (or margins) for every row of `matrix`.
    func predict(_ matrix: XGMatrix, margin: Bool = false) throws(TrainingError) -> [Double] {
        var length: UInt64 = 0
        var result: UnsafePointer<Float>?
        try XGBoost.check(XGBoosterPredict(handle, matrix.handle, margin ? 1 : 0, 0, 0, &length, &result), "predict")
        guard let result else { return [] }
        return UnsafeBufferPointer(start: result, count: Int(length)).map(Double.init)
    }

    /// The first `rounds` rounds as a booster of their own (early stopping keeps the best round).
    func slice(rounds: Int) throws(TrainingError) -> XGBooster {
        var out: BoosterHandle?
        try XGBoost.check(XGBoosterSlice(handle, 0, Int32(rounds), 1, &out), "keep the first \(rounds) rounds")
        guard let out else { throw TrainingError("xgboost returned no booster.") }
        return XGBooster(handle: out)
    }

    /// Names the model's columns (saved in the JSON model; the gateway binds manifest fields by them).
    func setFeatureNames(_ names: [String]) throws(TrainingError) {
        try XGMatrix.withCStrings(names) { pointers throws(TrainingError) in
            try XGBoost.check(XGBoosterSetStrFeatureInfo(handle, "feature_name", pointers, UInt64(names.count)), "name the features")
        }
        let types = [String](repeating: "q", count: names.count)
        try XGMatrix.withCStrings(types) { pointers throws(TrainingError) in
            try XGBoost.check(XGBoosterSetStrFeatureInfo(handle, "feature_type", pointers, UInt64(types.count)), "type the features")
        }
    }

    /// The model as xgboost's JSON format.
    func jsonModel() throws(TrainingError) -> [UInt8] {
        var length: UInt64 = 0
        var bytes: UnsafePointer<CChar>?
        try XGBoost.check(XGBoosterSaveModelToBuffer(handle, #"{"format": "json"}"#, &length, &bytes), "save the model")
        guard let bytes else { return [] }
        return UnsafeRawBufferPointer(start: bytes, count: Int(length)).map { $0 }
    }
}
