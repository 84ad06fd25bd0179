/// LightGBM's objective line (`binary sigmoid:1`, `multiclass num_class:3`, `regression`…).
enum LightGBMObjective {
    static func parse(_ line: String) throws(ModelError) -> Objective {
        let parts = line.split(separator: " ").map(String.init)
        guard let name = parts.first else { throw ModelError(.invalid, "The model has an empty objective.") }
        var sigmoid = 1.0
        for part in parts.dropFirst() {
            if part.hasPrefix("sigmoid:"), let s = Double(part.dropFirst("sigmoid:".count)), s.isFinite, s > 0 {
                sigmoid = s
            }
            if part == "sqrt" {
                throw ModelError(.unsupported, "The objective \"\(line)\" was trained with reg_sqrt, whose output transform is not supported.")
            }
        }
        let link: Objective.Link
        switch name {
        case "binary": link = .sigmoid(scale: sigmoid)
        case "cross_entropy", "xentropy": link = .sigmoid(scale: 1)
        case "multiclass", "softmax": link = .softmax
        case "multiclassova", "multiclass_ova", "ova", "ovr": link = .sigmoidPerGroup(scale: sigmoid)
        case "regression", "regression_l2", "l2", "mean_squared_error", "mse", "regression_l1", "l1", "mean_absolute_error",
            "mae", "huber", "fair", "quantile", "mape", "lambdarank", "rank_xendcg":
            link = .identity
        case "poisson", "gamma", "tweedie": link = .exp
        default:
            throw ModelError(.unsupported, "The LightGBM objective \"\(name)\" is not supported.")
        }
        return Objective(name: name, link: link)
    }
}
