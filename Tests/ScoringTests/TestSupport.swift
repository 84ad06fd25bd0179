import Foundation
import Scoring
import Testing

enum Paths {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let defaultModel = repositoryRoot.appendingPathComponent("config/models/realestate")
    static let fixture = repositoryRoot.appendingPathComponent("Tests/Fixtures/default-model/leads.json")
}

/// A fresh folder under the temporary directory, removed after `body`.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Copies the default model folder to `destination/name`, optionally rewriting its manifest.
func copyDefaultModel(to destination: URL, as name: String, manifest edit: (String) -> String = { $0 }) throws {
    let folder = destination.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
        at: Paths.defaultModel.appendingPathComponent("model.json"), to: folder.appendingPathComponent("model.json"))
    let text = try String(contentsOf: Paths.defaultModel.appendingPathComponent("manifest.yaml"), encoding: .utf8)
    try edit(text).write(to: folder.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
}

/// One fixture lead with what the real xgboost computed for it.
struct FixtureLead: Decodable, Sendable, CustomTestStringConvertible {
    struct Expected: Decodable, Sendable {
        var probability: Double
        var margin: Double
        var contributions: [String: Double]
        var leaf_support: Double
    }
    var lead_id: String
    var features: [String: LeadValue]
    var expected: Expected
    var testDescription: String { lead_id }

    static func all() -> [FixtureLead] {
        guard let data = try? Data(contentsOf: Paths.fixture) else { return [] }
        return (try? JSONDecoder().decode([FixtureLead].self, from: data)) ?? []
    }
}
