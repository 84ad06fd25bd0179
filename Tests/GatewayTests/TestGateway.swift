import Foundation
import Gateway
import Hummingbird
import Logging
import Scoring
import Synchronization
import Testing

enum Paths {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let models = repositoryRoot.appendingPathComponent("config/models")
    static let exampleLead = repositoryRoot.appendingPathComponent("examples/lead.json")
}

/// Runs a real gateway on a free loopback port for the duration of `body`, then shuts it down.
///
/// - Parameters:
///   - yaml: A configuration file's text (models default to the repository's `config/models`).
///   - environment: What `LEADGATE_*` and secret variables the gateway sees.
func withGateway<T: Sendable>(
    yaml: String = "", environment: [String: String] = [:], _ body: @Sendable (String) async throws -> T
) async throws -> T {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-\(UUID().uuidString).yaml")
    var text = yaml
    if !text.contains("models:") { text += "\nmodels:\n  directory: \(Paths.models.path)\n" }
    // Every test gateway keeps its decision records, in a SQLite file of its own, unless told otherwise.
    let records = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-records-\(UUID().uuidString)")
    if !text.contains("records:") { text += "\nrecords:\n  path: \(records.path)/leadgate.sqlite\n  journal_path: \(records.path)/records.journal\n" }
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer {
        try? FileManager.default.removeItem(at: file)
        try? FileManager.default.removeItem(at: records)
    }
    let config = try GatewayConfig.load(file: file.path, environment: environment, overrides: .init(host: "127.0.0.1", port: 0))
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let ports = AsyncStream.makeStream(of: Int.self)
    let app = try GatewayApplication.build(config: config, logger: logger) { port in ports.continuation.yield(port) }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HTTPClientError(message: "the server did not start") }
        do {
            let result = try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

func exampleLead(id: String = "L-1001", extra: String = "") throws -> String {
    var text = try String(contentsOf: Paths.exampleLead, encoding: .utf8)
    text = text.replacingOccurrences(of: "\"L-1001\"", with: "\"\(id)\"")
    if !extra.isEmpty, let brace = text.lastIndex(of: "}") { text.replaceSubrange(brace...brace, with: ", \(extra)}") }
    return text
}
