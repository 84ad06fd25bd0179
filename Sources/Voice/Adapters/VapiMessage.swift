import Foundation
public import JSON

/// Vapi's server message. For `tool-calls`, each call comes from `toolCallList`,
/// `toolWithToolCallList`, or the older `toolCalls`; its arguments arrive as an object or a JSON
/// string. Answered `{"results": [{"toolCallId", "name", "result" | "error"}]}`.
public enum VapiMessage {
    public struct ToolCall: Sendable {
        public var id: String
        public var name: String
        public var arguments: JSONNode
        /// Makes a retried call count once.
        public var eventID: String { "vapi:\(id)" }
    }

    /// The function calls of a `tool-calls` message; nil for any other message type (answered `{}`).
    public static func toolCalls(_ body: JSONNode) -> [ToolCall]? {
        guard let message = body["message"], message["type"]?.string == "tool-calls" else { return nil }
        var calls: [JSONNode] = []
        if case .array(let list)? = message["toolCallList"] { calls = list }
        if calls.isEmpty, case .array(let list)? = message["toolWithToolCallList"] { calls = list.compactMap { $0["toolCall"] } }
        if calls.isEmpty, case .array(let list)? = message["toolCalls"] { calls = list }
        return calls.map { call in
            let function = call["function"]
            var arguments = function?["arguments"] ?? call["parameters"]
            if let text = arguments?.string { arguments = try? JSONReader.parse(Data(text.utf8)) }
            return ToolCall(
                id: call["id"]?.string ?? "", name: function?["name"]?.string ?? call["name"]?.string ?? "", arguments: arguments ?? .object([]))
        }
    }
}
