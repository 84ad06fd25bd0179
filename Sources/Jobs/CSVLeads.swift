import Foundation
import HTTPTypes
public import Pipeline
public import Scoring

/// Reads CSV records as leads of a model: a column per field, named like the field or like its
/// label (the original CSV header); `lead_id` (or `id`), `notes` and `consent` columns when there are
/// any. Numbers and booleans are typed by the field's kind; a cell that does not read as its kind is
/// passed on as text, so the lead gets the same problem as a JSON lead would. Other columns (names,
/// e-mails of a CRM export) are not lead facts and are left out.
public struct CSVLeads: Sendable {
    enum Kind: Sendable { case number, boolean, text }

    let bindings: [(column: Int, field: String, kind: Kind)]
    let idColumn: Int?
    let notesColumn: Int?
    let consentColumn: Int?
    static let missing: Set<String> = ["", "NA", "N/A", "na", "n/a", "null", "NULL", "None", "nan", "NaN"]

    /// - Throws: a problem naming the fix when no column is a field of the model.
    public init(header: [String], manifest: ModelManifest) throws(Problem) {
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        var bindings: [(Int, String, Kind)] = []
        for field in manifest.fields {
            guard let column = names.firstIndex(of: field.name) ?? names.firstIndex(of: field.label) else { continue }
            let kind: Kind
            switch field.kind {
            case .number: kind = .number
            case .boolean: kind = .boolean
            case .oneHot, .categorical: kind = .text
            }
            bindings.append((column, field.name, kind))
        }
        guard !bindings.isEmpty else {
            throw Problem(
                .unprocessableContent, slug: "csv-no-fields", title: "No CSV column is a field of the model",
                detail:
                    "The header names \(names.prefix(8).joined(separator: ", ")); model \(manifest.id)@\(manifest.version) reads \(manifest.fields.prefix(10).map(\.name).joined(separator: ", ")). Name the columns like the fields (or their labels).",
                errors: [FieldIssue(field: "(header)", message: "has no column named like a field of model \(manifest.id).")])
        }
        self.bindings = bindings
        idColumn = ["lead_id", "id", "Lead ID", "lead id"].lazy.compactMap { names.firstIndex(of: $0) }.first
        notesColumn = names.firstIndex(of: "notes")
        consentColumn = names.firstIndex(of: "consent")
    }

    /// The lead in one record; a record with the wrong number of cells is a problem of its own.
    public func lead(_ cells: [String], options: ScoreOptions) -> LeadInput {
        var features: [String: LeadValue] = [:]
        features.reserveCapacity(bindings.count)
        for (column, field, kind) in bindings where column < cells.count {
            let cell = cells[column].trimmingCharacters(in: .whitespaces)
            if Self.missing.contains(cell) {
                features[field] = .null
                continue
            }
            switch kind {
            case .number: features[field] = Double(cell).map(LeadValue.number) ?? .string(cell)
            case .boolean: features[field] = Self.boolean(cell).map(LeadValue.bool) ?? .string(cell)
            case .text: features[field] = .string(cell)
            }
        }
        let id = idColumn.flatMap { $0 < cells.count ? cells[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 }
        var input = LeadInput(
            leadID: id, features: features, notes: notesColumn.flatMap { $0 < cells.count && !cells[$0].isEmpty ? cells[$0] : nil }, options: options)
        if let column = consentColumn, column < cells.count { input.consent = Self.boolean(cells[column]) }
        return input
    }

    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "y", "1", "t": true
        case "false", "no", "n", "0", "f": false
        default: nil
        }
    }
}
