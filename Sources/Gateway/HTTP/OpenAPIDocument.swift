import Foundation
import JSON
public import Scoring
import Yams

/// The OpenAPI 3.1 description of the gateway: `Resources/openapi.yaml`, checked in and served as it
/// is at `GET /openapi.yaml`, and as JSON (converted once, keys in the file's order) at
/// `GET /openapi.json`.
public struct OpenAPIDocument: Sendable {
    public let yaml: String
    public let json: String

    /// The document bundled with the gateway.
    public static func bundled() throws(ConfigurationError) -> OpenAPIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigurationError(
                key: "openapi.yaml",
                "the OpenAPI document is missing from the gateway's resources (leadgate_Gateway.resources next to the binary). Reinstall or rebuild.")
        }
        return try OpenAPIDocument(yaml: text)
    }

    /// Parses `yaml` and converts it to JSON.
    public init(yaml: String) throws(ConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(key: "openapi.yaml", "is not valid YAML: \(error)")
        }
        guard let root else { throw ConfigurationError(key: "openapi.yaml", "is empty.") }
        var w = JSONWriter(capacity: yaml.utf8.count)
        Self.write(root, to: &w)
        self.yaml = yaml
        json = w.text
    }

    /// Writes a YAML node as JSON: plain scalars by their resolved tag (null, bool, int, float),
    /// every other scalar as a string.
    static func write(_ node: Node, to w: inout JSONWriter) {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else {
                w.string(scalar.string)
                return
            }
            if node.null != nil {
                w.null()
            } else if let bool = node.bool {
                w.bool(bool)
            } else if let int = node.int {
                w.int(int)
            } else if let double = node.float, double.isFinite {
                w.number(double, digits: 15)
            } else {
                w.string(scalar.string)
            }
        case .mapping(let mapping):
            w.beginObject()
            for (key, value) in mapping {
                w.key(key.string ?? "")
                write(value, to: &w)
            }
            w.endObject()
        case .sequence(let sequence):
            w.beginArray()
            for item in sequence { write(item, to: &w) }
            w.endArray()
        case .alias:
            w.null()
        }
    }
}
