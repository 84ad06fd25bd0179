public import Foundation
import JSON
public import Records
import TreeEnsemble

/// `leadgate train --from-records`: the recorded decisions joined to their outcomes, as a training
/// CSV. Each lead's latest outcome labels the decision it is linked to (the last decision for the
/// lead at or before the outcome): its input as received is one row, `converted` is 1 when the
/// outcome is the positive one. Decisions without an outcome are not rows (their result is unknown).
public enum RecordsDataset {
    public struct Summary: Sendable {
        public var decisions: Int
        public var leadsWithOutcomes: Int
        public var rows: Int
        public var positives: Int
    }

    /// The columns written besides the lead's fields.
    public static let labelColumn = "converted"
    public static let timeColumn = "decided_at"

    public static func write(
        store: any RecordStore, since: Date?, until: Date?, positive: String, to path: String,
        progress: @Sendable (String, Int, Int) -> Void
    ) async throws -> Summary {
        // Pass 1: which leads there are.
        let total = try await store.countDecisions(since: since, until: until)
        var leads: [String] = []
        var decisionsOf: [String: [(id: String, time: Date)]] = [:]
        var count = 0
        for try await decision in store.export(since: since, until: until) {
            count += 1
            if decisionsOf[decision.leadID] == nil { leads.append(decision.leadID) }
            decisionsOf[decision.leadID, default: []].append((decision.id, decision.time))
            if count % 1000 == 0 { progress("decisions read", count, total) }
        }
        progress("decisions read", count, total)
        // Their latest outcome, and the decision it follows: every outcome since the window's start,
        // in one query (an outcome before it follows no decision of the window).
        var latestOf: [String: OutcomeRecord] = [:]
        for outcome in try await store.outcomes(occurredSince: since) where decisionsOf[outcome.leadID] != nil {
            latestOf[outcome.leadID] = outcome  // oldest first per lead: the last one stays
        }
        var labelOf: [String: Bool] = [:]
        for (lead, latest) in latestOf {
            // The store links an outcome when it arrives; one that arrived before its decision was
            // written is linked here, to the lead's last decision at or before it.
            if let decision = latest.linkedDecisionID ?? decisionsOf[lead]?.last(where: { $0.time <= latest.occurredAt })?.id {
                labelOf[decision] = latest.outcome == positive
            }
        }
        progress("leads' outcomes read", latestOf.count, leads.count)
        // Pass 2: the labelled decisions' inputs.
        var fieldNames: Set<String> = []
        var rows: [(lead: String, time: Date, model: String, features: [(String, JSONNode)], label: Bool)] = []
        for try await decision in store.export(since: since, until: until) {
            guard let label = labelOf[decision.id] else { continue }
            guard case .object(let members)? = try? JSONReader.parse(bytes: Array(decision.inputJSON.utf8))["features"] else { continue }
            for member in members { fieldNames.insert(member.key) }
            rows.append((decision.leadID, decision.time, "\(decision.model.id)@\(decision.model.version)", members.map { ($0.key, $0.value) }, label))
        }
        let fields = fieldNames.sorted()
        var text = (["lead_id", timeColumn, "model"] + fields + [labelColumn]).map(CSVField.quoted).joined(separator: ",") + "\n"
        for row in rows {
            let values = Dictionary(row.features, uniquingKeysWith: { a, _ in a })
            var cells = [CSVField.quoted(row.lead), Timestamp.iso8601(row.time), CSVField.quoted(row.model)]
            for field in fields { cells.append(CSVField.quoted(values[field].map(cell) ?? "")) }
            cells.append(row.label ? "1" : "0")
            text += cells.joined(separator: ",") + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw TrainingError("cannot write `\(path)`.")
        }
        return Summary(decisions: count, leadsWithOutcomes: labelOf.count, rows: rows.count, positives: rows.filter(\.label).count)
    }

    static func cell(_ node: JSONNode) -> String {
        switch node {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .number(let x): x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
        case .string(let s): s
        case .array, .object: ""
        }
    }
}
