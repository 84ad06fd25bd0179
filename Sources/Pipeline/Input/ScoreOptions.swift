public import JSON
public import Scoring

/// `options` of a score request.
public struct ScoreOptions: Sendable {
    public var rerank: Bool?
    public var explain: Bool?
    public var model: String?
    /// Answer `202 Accepted` at once and score the lead as a job (`POST /v1/leads/score`).
    public var async: Bool?
    /// Where an async score's result is posted, signed like the webhooks.
    public var callbackURL: String?

    public init() {}

    /// Reads the options object at `path`, adding a field issue for each problem.
    public init(_ node: JSONNode, path: String, issues: inout [FieldIssue]) {
        guard case .object(let members) = node else {
            if case .null = node { return }
            issues.append(FieldIssue(field: path, message: "must be an object (rerank, explain, model, async, callback_url), not \(node.typeName)."))
            return
        }
        for (key, value) in members {
            switch (key, value) {
            case ("rerank", .null), ("explain", .null), ("model", .null), ("async", .null), ("callback_url", .null): continue
            case ("async", .bool(let b)): async = b
            case ("callback_url", .string(let s)):
                if let problem = Self.callbackProblem(s) {
                    issues.append(FieldIssue(field: "\(path).\(key)", message: problem))
                } else {
                    callbackURL = s
                }
            case ("async", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be true or false, not \(value.typeName)."))
            case ("callback_url", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be an http(s) URL string, not \(value.typeName)."))
            case ("rerank", .bool(let b)): rerank = b
            case ("explain", .bool(let b)): explain = b
            case ("model", .string(let s)): model = s
            case ("rerank", _), ("explain", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be true or false, not \(value.typeName)."))
            case ("model", _):
                issues.append(FieldIssue(field: "\(path).\(key)", message: "must be a model version string, not \(value.typeName)."))
            default:
                issues.append(FieldIssue(field: "\(path).\(key)", message: "is not an option. Use rerank, explain, model, async or callback_url."))
            }
        }
    }

    /// Why `url` cannot be a callback, or nil when it can.
    public static func callbackProblem(_ url: String) -> String? {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            return "must be an http:// or https:// URL; `\(url.prefix(40))` is not."
        }
        guard url.count <= 2_048, url.allSatisfy({ $0.isASCII && $0 > " " && $0 != "\u{7F}" }) else {
            return "must be a URL of at most 2,048 ASCII characters without spaces (percent-encode the rest)."
        }
        let rest = url.drop { $0 != ":" }.dropFirst(3)
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.[]:_~%-")
        guard !host.isEmpty, host.allSatisfy({ hostCharacters.contains($0) }) else {
            return "must name a host of letters, digits, dots and dashes: http(s)://host[:port]/path."
        }
        return nil
    }
}
