import ArgumentParser
import Foundation
import Scoring
import Training
import TreeEnsemble

/// `leadgate score`: offline batch scoring of raw CSV rows with a model folder, streaming.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score raw CSV rows with a model folder (manifest + model), streaming, as the gateway would.",
        discussion: """
            The input's columns are the manifest's field names (or their labels, the original CSV headers); \
            a `lead_id` or `id` column is passed through. Output columns: lead_id (when the input has one), row, \
            probability, score, badge, confidence, error, and with --explain the top reasons. A row that cannot \
            be read gets its error in the `error` column and no score; the run goes on.
            """
    )

    @Option(name: .long, help: "The model folder (manifest.yaml and its model file).") var model: String
    @Option(name: .long, help: "The CSV to score.") var input: String
    @Option(name: .long, help: "Write the scores here (default: standard output).") var output: String?
    @Flag(name: .long, help: "Add the top reasons (TreeSHAP, as the API gives them).") var explain = false
    @Option(name: .long, help: "How many reasons with --explain (default 4).") var reasons = 4
    @Option(name: .long, help: "Treat this cell value as missing too (repeatable).") var missingValue: [String] = []

    func run() throws {
        let loaded: LoadedModel
        do {
            loaded = try LoadedModel.load(directory: model, reasonCount: reasons)
        } catch {
            throw CommandFailure(error.description)
        }
        do {
            let stream = try CSVStream(path: input)
            let decoder = try RowDecoder(manifest: loaded.manifest, header: stream.header, missingValues: missingValue)
            if decoder.boundFieldCount < loaded.manifest.fields.count {
                CommandSupport.note(
                    "note: \(loaded.manifest.fields.count - decoder.boundFieldCount) of the model's \(loaded.manifest.fields.count) fields have no column; they are scored as missing"
                )
            }
            let sink = try OutputSink(path: output)
            let written = try Self.score(stream: stream, decoder: decoder, scorer: loaded.scorer, explain: explain, sink: sink)
            try sink.close()
            CommandSupport.note(
                "scored \(written.scored) rows with \(loaded.id)@\(loaded.version)\(written.failed > 0 ? "; \(written.failed) rows could not be read (see the error column)" : "")"
            )
        } catch let error as TrainingError {
            throw CommandFailure(error.description)
        }
    }

    static func score(stream: CSVStream, decoder: RowDecoder, scorer: LeadScorer, explain: Bool, sink: OutputSink) throws -> (
        scored: Int, failed: Int
    ) {
        let progress = CommandSupport.progress("bytes scored")
        var header = decoder.idColumn == nil ? [String]() : ["lead_id"]
        header += ["row", "probability", "score", "badge", "confidence", "error"]
        if explain { header += ["reasons", "reason_fields"] }
        try sink.write(header.joined(separator: ",") + "\n")
        var scored = 0
        var failed = 0
        var row = 0
        while let record = try stream.next() {
            row += 1
            var cells: [String] = []
            let id = decoder.idColumn.map { record[$0] } ?? "row-\(row)"
            if decoder.idColumn != nil { cells.append(CSVField.quoted(id)) }
            cells.append("\(row)")
            switch decoder.lead(record, id: id) {
            case .failure(let error):
                failed += 1
                cells += ["", "", "", "", CSVField.quoted("line \(stream.line): \(error.description)")]
                if explain { cells += ["", ""] }
            case .success(let lead):
                switch scorer.score(lead, explain: explain) {
                case .invalid(let issues):
                    failed += 1
                    cells += [
                        "", "", "", "", CSVField.quoted("line \(stream.line): " + issues.map { "\($0.field) \($0.message)" }.joined(separator: "; ")),
                    ]
                    if explain { cells += ["", ""] }
                case .scored(let s):
                    scored += 1
                    cells += [
                        String(format: "%.6f", s.probability), "\(s.baseScore)", s.baseBadge.rawValue, String(format: "%.4f", s.confidence), "",
                    ]
                    if explain {
                        cells.append(CSVField.quoted(s.reasons.map(\.text).joined(separator: " | ")))
                        cells.append(
                            CSVField.quoted(s.reasons.map { "\($0.field):\(String(format: "%+.4f", $0.contribution))" }.joined(separator: " ")))
                    }
                }
            }
            try sink.write(cells.joined(separator: ",") + "\n")
            if row % 2048 == 0 { progress(stream.bytesRead, stream.fileSize) }
        }
        progress(stream.fileSize, stream.fileSize)
        return (scored, failed)
    }
}

/// A buffered writer to a file or standard output.
final class OutputSink {
    private let handle: FileHandle
    private let ownsHandle: Bool
    private var buffer: [UInt8] = []

    init(path: String?) throws {
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw CommandFailure("cannot write `\(path)`. Check the folder exists and is writable.")
            }
            self.handle = handle
            ownsHandle = true
        } else {
            handle = FileHandle.standardOutput
            ownsHandle = false
        }
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        if ownsHandle { try handle.close() }
    }
}
