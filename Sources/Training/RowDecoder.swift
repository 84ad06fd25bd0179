import Foundation
public import Scoring

/// Turns CSV records into leads for a manifest: each field is read from the column named like the
/// field, or like its label (the original CSV header). Numbers parse as numbers, booleans accept
/// yes/no, true/false, y/n, 1/0; empty cells and the usual missing markers (`NA`, `null`, …) are missing.
public struct RowDecoder: Sendable {
    struct Binding: Sendable {
        let field: String
        let column: Int
        let kind: Kind
        enum Kind: Sendable { case number, boolean, text }
    }

    let bindings: [Binding]
    /// The column holding the lead's id (`lead_id`, `id`), when there is one.
    public let idColumn: Int?
    let missing: Set<String>

    public init(manifest: ModelManifest, header: [String], missingValues: [String] = []) throws(TrainingError) {
        var bindings: [Binding] = []
        var absent: [String] = []
        for field in manifest.fields {
            guard let column = header.firstIndex(of: field.name) ?? header.firstIndex(of: field.label) else {
                if field.required { absent.append(field.name) }
                continue
            }
            let kind: Binding.Kind
            switch field.kind {
            case .number: kind = .number
            case .boolean: kind = .boolean
            case .oneHot, .categorical: kind = .text
            }
            bindings.append(Binding(field: field.name, column: column, kind: kind))
        }
        guard absent.isEmpty else {
            throw TrainingError("the CSV has no column for the required field(s) \(absent.joined(separator: ", ")). Add them.")
        }
        guard !bindings.isEmpty else {
            throw TrainingError(
                "no CSV column matches a field of model \(manifest.id). Name the columns like the fields: \(manifest.fields.prefix(12).map(\.name).joined(separator: ", "))."
            )
        }
        self.bindings = bindings
        idColumn = ["lead_id", "id", "Lead ID", "lead id"].lazy.compactMap { header.firstIndex(of: $0) }.first
        missing = MissingValues.standard.union(missingValues)
    }

    /// How many of the manifest's fields the header supplies.
    public var boundFieldCount: Int { bindings.count }

    /// The lead in `record`, or the first cell that cannot be read, as a sentence.
    public func lead(_ record: [String], id: String) -> Result<Lead, TrainingError> {
        var features: [String: LeadValue] = [:]
        features.reserveCapacity(bindings.count)
        for binding in bindings {
            let cell = CellText.trimmed(record[binding.column])
            if missing.contains(cell) {
                features[binding.field] = .null
                continue
            }
            switch binding.kind {
            case .number:
                guard let x = Double(cell), x.isFinite else {
                    return .failure(TrainingError("`\(binding.field)` is `\(cell)`, not a number. Send a number or leave the cell empty."))
                }
                features[binding.field] = .number(x)
            case .boolean:
                guard let b = BooleanText.parse(cell) else {
                    return .failure(TrainingError("`\(binding.field)` is `\(cell)`, not yes/no, true/false or 1/0. Fix it or leave the cell empty."))
                }
                features[binding.field] = .bool(b)
            case .text:
                features[binding.field] = .string(cell)
            }
        }
        return .success(Lead(id: id, features: features))
    }
}
