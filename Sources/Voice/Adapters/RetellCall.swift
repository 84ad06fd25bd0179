import Foundation
import Hashing
public import JSON

/// Retell's custom function: `{"name", "call", "args"}`. With Retell's "payload: args only" the body
/// is the arguments alone, and their `function` names the function (default `get_lead_score`).
/// Answered `{"result", "lead_id", "score", "badge", "stale", "as_of"}`; Retell hands the body to
/// its LLM as text.
public struct RetellCall: Sendable {
    public var name: String
    public var arguments: JSONNode
    /// Makes a retried call count once: a digest of the call id, the function and its arguments.
    public var eventID: String

    public init(_ body: JSONNode) {
        let wrapped = body["args"] != nil || body["name"] != nil
        arguments = wrapped ? (body["args"] ?? .object([])) : body
        name = (wrapped ? body["name"]?.string : arguments["function"]?.string) ?? "get_lead_score"
        let callID = body["call"]?["call_id"]?.string ?? ""
        let argumentsText = String(decoding: Self.canonical(arguments), as: UTF8.self)
        eventID = "retell:" + SHA256.hex(Array("\(callID)|\(name)|\(argumentsText)".utf8)).prefix(32)
    }

    /// Retell's scheme (its SDKs' `verify`): `v=<unix ms>,d=<hex digest>`, digest = HMAC-SHA256 keyed
    /// with the API key over the raw body followed by the decimal timestamp; at most 5 minutes skew.
    /// Returns why it fails, or nil.
    public static func verify(signature: String?, body: [UInt8], key: [UInt8], nowMS: Int64) -> String? {
        guard let signature else { return "`X-Retell-Signature` is missing. Check the Retell API key configured as LEADGATE_RETELL_API_KEY." }
        var stamp: String?
        var digest: String?
        for part in signature.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            if kv[0] == "v" { stamp = String(kv[1]) } else if kv[0] == "d" { digest = String(kv[1]) }
        }
        guard let stamp, let ms = Int64(stamp), let digest else { return "`X-Retell-Signature` is not `v=<timestamp>,d=<digest>`." }
        guard abs(nowMS - ms) <= 5 * 60_000 else {
            return "The signature is more than 5 minutes old (or ahead). Check the clocks; replays are refused."
        }
        let expected = HMAC.sha256Hex(key: key, message: body + Array(stamp.utf8))
        guard HMAC.constantTimeEqual(Array(expected.utf8), Array(digest.lowercased().utf8)) else {
            return "The signature does not match the body. Check that LEADGATE_RETELL_API_KEY is the Retell API key with the webhook badge."
        }
        return nil
    }

    /// JSON with sorted keys, so equal arguments give equal bytes.
    static func canonical(_ node: JSONNode) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        func write(_ node: JSONNode) {
            switch node {
            case .null: w.null()
            case .bool(let b): w.bool(b)
            case .number(let x): w.number(x, digits: 15)
            case .string(let s): w.string(s)
            case .array(let items):
                w.beginArray()
                for item in items { write(item) }
                w.endArray()
            case .object(let members):
                w.beginObject()
                for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                    w.key(key)
                    write(value)
                }
                w.endObject()
            }
        }
        write(node)
        return Array(w.text.utf8)
    }
}
