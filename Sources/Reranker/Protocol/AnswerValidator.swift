import Foundation
import JSON

/// Decides whether a chat-completions reply is an acceptable adjustment (ARCHITECTURE §3): HTTP 200,
/// `finish_reason == "stop"`, no refusal, and content that is exactly
/// `{"multiplier": number, "reasoning": string}` with 0.8 ≤ multiplier ≤ 1.2 and a bounded reasoning.
/// A markdown code fence around the JSON is tolerated; unknown envelope fields are ignored. The
/// decision is by HTTP status; error bodies may be in any shape or absent.
public struct AnswerValidator: Sendable {
    public var minimum = 0.8
    public var maximum = 1.2
    /// Longest reasoning accepted, in characters.
    public var maxReasoning = 600

    public init() {}

    public enum Verdict: Sendable, Equatable {
        case accepted(Adjustment, TokenUsage?)
        case rejected(ReasonCode, String)
    }

    public func judge(status: Int, body: [UInt8]) -> Verdict {
        switch status {
        case 200: break
        case 429: return .rejected(.rateLimited, "HTTP 429")
        case 500...599: return .rejected(.upstreamError, "HTTP \(status)")
        case 400...499: return .rejected(.clientError, "HTTP \(status)")
        default: return .rejected(.upstreamError, "unexpected HTTP \(status)")
        }
        guard let envelope = try? JSONReader.parse(Data(body)), case .object = envelope else {
            return .rejected(.invalidJSON, "the response body is not a JSON object")
        }
        var usage: TokenUsage?
        if let p = envelope["usage"]?["prompt_tokens"]?.number, let c = envelope["usage"]?["completion_tokens"]?.number {
            usage = TokenUsage(prompt: Int(p), completion: Int(c))
        }
        guard case .array(let choices)? = envelope["choices"], let choice = choices.first else {
            return .rejected(.schema, "the response has no choices")
        }
        switch choice["finish_reason"]?.string {
        case "stop": break
        case "length": return .rejected(.truncated, "finish_reason length")
        case "content_filter": return .rejected(.contentFilter, "finish_reason content_filter")
        case let other: return .rejected(.schema, "finish_reason \(other ?? "missing")")
        }
        let message = choice["message"]
        if let refusal = message?["refusal"]?.string, !refusal.isEmpty {
            return .rejected(.refusal, "the model refused")
        }
        guard let content = message?["content"]?.string, !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .rejected(.refusal, "the answer has no content")
        }
        switch judge(content: content) {
        case .accepted(let adjustment, _): return .accepted(adjustment, usage)
        case .rejected(let code, let why): return .rejected(code, why)
        }
    }

    /// Judges the message content alone.
    public func judge(content: String) -> Verdict {
        guard let object = try? JSONReader.parse(Data(Self.unfenced(content).utf8)) else {
            return .rejected(.invalidJSON, "the content is not JSON")
        }
        guard case .object(let members) = object else { return .rejected(.schema, "the content is not a JSON object") }
        guard members.count == 2, Set(members.map(\.key)) == ["multiplier", "reasoning"] else {
            return .rejected(.schema, "the content must have exactly multiplier and reasoning")
        }
        guard let multiplier = object["multiplier"]?.number else { return .rejected(.schema, "multiplier is not a number") }
        guard let reasoning = object["reasoning"]?.string else { return .rejected(.schema, "reasoning is not a string") }
        guard reasoning.count <= maxReasoning else { return .rejected(.schema, "reasoning is longer than \(maxReasoning) characters") }
        guard multiplier >= minimum, multiplier <= maximum else {
            return .rejected(.outOfRange, "multiplier \(multiplier) is outside \(minimum)–\(maximum)")
        }
        let clean = String(String.UnicodeScalarView(reasoning.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" }))
        return .accepted(Adjustment(multiplier: multiplier, reasoning: clean), nil)
    }

    /// The JSON inside a markdown code fence (```json … ```), or the text itself.
    static func unfenced(_ content: String) -> String {
        var text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("```") else { return text }
        text.removeFirst(3)
        if let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        if text.hasSuffix("```") { text.removeLast(3) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
