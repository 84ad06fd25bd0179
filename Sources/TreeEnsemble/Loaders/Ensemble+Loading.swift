import Foundation
import JSON

/// The file formats ``Ensemble`` reads.
public enum ModelFormat: String, Sendable, CaseIterable {
    /// xgboost `save_model("model.json")` (xgboost 1.x–3.x).
    case xgboostJSON = "xgboost-json"
    /// LightGBM's native text format (`save_model("model.txt")`).
    case lightgbmText = "lightgbm-text"
    /// LightGBM `dump_model()` written as JSON.
    case lightgbmJSON = "lightgbm-json"
}

/// Limits applied while loading, so a hostile file costs bounded memory and time.
public struct LoadLimits: Sendable {
    /// Largest file accepted.
    public var maxFileBytes: Int
    /// Deepest tree accepted.
    public var maxDepth: Int
    /// Most trees accepted.
    public var maxTrees: Int
    /// Most nodes accepted in all trees together.
    public var maxTotalNodes: Int
    /// Most features accepted (a small file may declare millions; each costs memory per row).
    public var maxFeatures: Int

    public init(
        maxFileBytes: Int = 1 << 30, maxDepth: Int = 512, maxTrees: Int = 1 << 20, maxTotalNodes: Int = 1 << 27,
        maxFeatures: Int = 1 << 20
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxTrees = maxTrees
        self.maxTotalNodes = maxTotalNodes
        self.maxFeatures = min(maxFeatures, Node<Float>.maxFeatures)
    }

    /// Checks a declared feature count against ``maxFeatures``.
    func checkFeatureCount(_ count: Int) throws(ModelError) {
        guard count >= 1 else { throw ModelError(.invalid, "The model declares \(count) features; it needs at least 1.") }
        guard count <= maxFeatures else {
            throw ModelError(.tooLarge, "The model declares \(count) features; the limit is \(maxFeatures).")
        }
    }

    var forest: ForestLimits {
        var limits = ForestLimits()
        limits.maxDepth = maxDepth
        limits.maxTrees = maxTrees
        limits.maxTotalNodes = maxTotalNodes
        return limits
    }
}

extension Ensemble {
    /// Loads a model file, recognising its format from its content.
    ///
    /// - Throws: ``ModelError`` naming the file and what is wrong with it.
    public init(contentsOfFile path: String, limits: LoadLimits = LoadLimits()) throws(ModelError) {
        let bytes = try Self.readFile(path, limit: limits.maxFileBytes)
        do {
            try self.init(bytes: bytes, limits: limits)
        } catch {
            throw ModelError(error.code, "\(path): \(error.message)")
        }
    }

    private static func readFile(_ path: String, limit: Int) throws(ModelError) -> [UInt8] {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw ModelError(.io, "Cannot read the model file \(path): it does not exist or is not readable.")
        }
        guard size <= limit else {
            throw ModelError(.tooLarge, "The model file \(path) is \(size) bytes; the limit is \(limit).")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError(.io, "Cannot read the model file \(path).")
        }
        return [UInt8](data)
    }

    /// Loads a model from the bytes of a file in any supported format.
    public init(bytes: [UInt8], format: ModelFormat? = nil, limits: LoadLimits = LoadLimits()) throws(ModelError) {
        let detected: ModelFormat
        if let format { detected = format } else { detected = try Self.detectFormat(bytes) }
        switch detected {
        case .xgboostJSON:
            self = try XGBoostLoader.load(JSONDocument.model(bytes, maxBytes: limits.maxFileBytes), limits: limits)
        case .lightgbmJSON:
            self = try LightGBMJSONLoader.load(JSONDocument.model(bytes, maxBytes: limits.maxFileBytes), limits: limits)
        case .lightgbmText:
            guard bytes.count <= limits.maxFileBytes else {
                throw ModelError(.tooLarge, "The model is \(bytes.count) bytes; the limit is \(limits.maxFileBytes).")
            }
            self = try LightGBMTextLoader.load(bytes, limits: limits)
        }
    }

    /// Recognises the format from the first bytes: LightGBM text starts with `tree`; JSON with `{`,
    /// and an xgboost model has a `learner`, a LightGBM dump a `tree_info`.
    static func detectFormat(_ bytes: [UInt8]) throws(ModelError) -> ModelFormat {
        var i = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        guard i < bytes.count else { throw ModelError(.malformed, "The model file is empty.") }
        if bytes[i] == UInt8(ascii: "{") {
            let head = String(decoding: bytes.prefix(1 << 16), as: UTF8.self)
            if head.contains("\"learner\"") { return .xgboostJSON }
            if head.contains("\"tree_info\"") || head.contains("\"max_feature_idx\"") { return .lightgbmJSON }
            return .xgboostJSON
        }
        if bytes[i...].starts(with: Array("tree".utf8)) { return .lightgbmText }
        if bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") { return .xgboostJSON }
        throw ModelError(
            .unsupported,
            "The model file is neither JSON (xgboost save_model(\"model.json\"), LightGBM dump_model) nor a LightGBM text model; "
                + "binary formats (UBJSON, the legacy xgboost binary) are not read: re-save the model as JSON.")
    }
}
