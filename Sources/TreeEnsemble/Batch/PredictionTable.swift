import Foundation

/// Writes predictions as CSV with the columns of the golden `expected.csv` files: `row`, then
/// `margin,prediction` (multiclass: `margin_c<k>…,prob_c<k>…`), then with contributions
/// `shap_<feature>…,shap_bias` (multiclass: `shap_c<k>_<feature>…,shap_c<k>_bias`).
///
/// Numbers are printed as the shortest text that reads back to the same value: float32 for xgboost
/// models (the precision they compute in), double for LightGBM.
public struct PredictionTable: Sendable {
    public let model: Ensemble
    public let margins: [Double]
    public let predictions: [Double]
    public let contributions: [Double]?

    public init(model: Ensemble, margins: [Double], predictions: [Double], contributions: [Double]?) {
        self.model = model
        self.margins = margins
        self.predictions = predictions
        self.contributions = contributions
    }

    public var header: [String] {
        let outputs = model.outputCount
        var columns = ["row"]
        if outputs == 1 {
            columns += ["margin", "prediction"]
        } else {
            columns += (0..<outputs).map { "margin_c\($0)" }
            columns += (0..<outputs).map { "prob_c\($0)" }
        }
        if contributions != nil {
            for k in 0..<outputs {
                let prefix = outputs == 1 ? "shap_" : "shap_c\(k)_"
                columns += model.featureNames.map { prefix + $0 }
                columns.append(prefix + "bias")
            }
        }
        return columns
    }

    /// The whole table as CSV bytes (LF line ends).
    public func csv() -> [UInt8] {
        let outputs = model.outputCount
        let rows = outputs == 0 ? 0 : margins.count / outputs
        let width = model.contributionCount
        var out: [UInt8] = []
        out.reserveCapacity(rows * (contributions == nil ? 3 : width + 3) * 12)
        out.append(contentsOf: header.map(Self.quoted).joined(separator: ",").utf8)
        out.append(0x0A)
        for r in 0..<rows {
            out.append(contentsOf: String(r).utf8)
            for k in 0..<outputs { append(margins[r * outputs + k], to: &out) }
            for k in 0..<outputs { append(predictions[r * outputs + k], to: &out) }
            if let contributions {
                for k in 0..<width { append(contributions[r * width + k], to: &out) }
            }
            out.append(0x0A)
        }
        return out
    }

    private func append(_ value: Double, to out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: format(value).utf8)
    }

    /// Shortest round-trip text in the model's precision.
    public func format(_ value: Double) -> String {
        switch model.library {
        case .xgboost: Float(value).description
        case .lightgbm: value.description
        }
    }

    private static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
