public import JSON
public import Scoring

/// `options` of a score request.
public struct ScoreOptions: Sendable {
    public var rerank: Bool?
    public var explain: Bool?
    public var model: String?

    public init() {}

    /// Reads the options object at `path`, adding a field issue for each problem.
    public init(_ node: JSONNode, path: String, issues: inout [FieldIssue]) {
        guard case .object(let members) = node else {
            if case .null = node { return }
            issues.append(FieldIssue(field: path, message: "must be an object (rerank, explain, model), not \(node.typeName)."))
            return
        }
        for (key, value) in members {
            switch (key, value) {
            case ("rerank", .null), ("explain", .null), ("model", .null): continue
            case ("rerank", .bool(let b)): rerank = b
            case ("explain", .bool(let b)): explain = b
            case ("model", .string(let s)): model = s
            case ("rerank", _), ("explain", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be true or false, not \(value.typeName)."))
            case ("model", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be a model version string, not \(value.typeName)."))
            default:
                issues.append(FieldIssue(field: "\(path).\(key)", message: "is not an option. Use rerank, explain or model."))
            }
        }
    }
}
