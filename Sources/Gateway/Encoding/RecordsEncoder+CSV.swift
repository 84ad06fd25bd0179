import Foundation
import JSON
import PromptOps
import Records
import TreeEnsemble

/// Decisions as CSV (`leadgate records export --format csv`): one row per decision, every field of
/// the record; the input and the explanation as JSON text in their cells.
extension RecordsEncoder {
    static let csvColumns = [
        "id", "request_id", "index", "lead_id", "decided_at", "kind", "caller", "gateway", "model_id", "model_version", "model_role",
        "probability", "base_score", "score", "base_badge", "badge", "confidence", "llm_status", "llm_reason", "llm_multiplier",
        "llm_reasoning", "prompt_id", "prompt_version", "prompt_hash", "llm_model", "llm_latency_ms", "prompt_tokens", "completion_tokens",
        "llm_raw_answer", "latency_ms", "expires_at", "unknown_fields", "input", "explanation",
    ]

    static var csvHeader: String { csvColumns.joined(separator: ",") }

    static func csvLine(_ d: DecisionRecord) -> String {
        func number(_ value: Double?, _ digits: Int) -> String {
            guard let value else { return "" }
            var w = JSONWriter(capacity: 24)
            w.number(value, digits: digits)
            return w.text
        }
        let llm = d.llm
        let fields: [String] = [
            d.id, d.requestID, String(d.index), d.leadID, Timestamp.iso8601(d.time), d.kind.rawValue, d.caller ?? "", d.gatewayInstance,
            d.model.id, d.model.version, d.model.role, number(d.probability, 6), String(d.baseScore), String(d.finalScore), d.baseBadge,
            d.finalBadge, number(d.confidence, 3), llm.status, llm.reason ?? "", number(llm.multiplier, 4), llm.reasoning ?? "",
            llm.promptID ?? "", llm.promptVersion ?? "", llm.promptHash ?? "", llm.model ?? "", number(llm.latencyMilliseconds, 3),
            llm.tokens.map { String($0.prompt) } ?? "", llm.tokens.map { String($0.completion) } ?? "", llm.rawAnswer ?? "",
            number(d.totalLatencyMilliseconds, 3), d.expiresAt.map(Timestamp.iso8601) ?? "", d.unknownFields.joined(separator: ";"),
            d.inputJSON.isEmpty ? "{}" : d.inputJSON, d.explanationJSON.isEmpty ? "{}" : d.explanationJSON,
        ]
        return fields.map(CSVField.quoted).joined(separator: ",")
    }
}
