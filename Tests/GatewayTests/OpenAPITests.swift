import Foundation
import Gateway
import HTTPTypes
import Logging
import Testing

/// The checked-in OpenAPI document against the router: every route is documented, every documented
/// operation is routed, and both forms are served. (`scripts/openapi-check.py` validates the
/// document as OpenAPI 3.1 and its examples against their schemas; schemathesis drives the server
/// with it.)
@Suite struct OpenAPITests {
    static func documentedOperations() throws -> Set<String> {
        let document = try OpenAPIDocument.bundled()
        let root = try #require(try JSONSerialization.jsonObject(with: Data(document.json.utf8)) as? [String: Any])
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var operations = Set<String>()
        for (path, item) in paths {
            for method in item.keys where methods.contains(method) { operations.insert("\(method.uppercased()) \(path)") }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryOperationRouted() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-openapi-\(UUID().uuidString).yaml")
        try "models:\n  directory: \(Paths.models.path)\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let config = try GatewayConfig.load(file: file.path, environment: [:], overrides: .init(host: "127.0.0.1", port: 0))
        let table = RouteTable()
        _ = try GatewayApplication.build(config: config, logger: Logger(label: "test"), routes: table)
        let routed = Set(table.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(routed.count > 20, "\(routed)")
        let documented = try Self.documentedOperations()
        #expect(routed.subtracting(documented).isEmpty, "routed but not in openapi.yaml: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "in openapi.yaml but not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func bothFormsAreServed() async throws {
        try await withGateway { base in
            let json = try await HTTPClient.send("GET", "\(base)/openapi.json")
            #expect(json.status == 200)
            #expect(json.header("content-type") == "application/json")
            let document = try json.json()
            #expect((document["openapi"] as? String)?.hasPrefix("3.1.") == true)
            #expect((document["info"] as? [String: Any])?["title"] as? String == "LeadGate")
            let yaml = try await HTTPClient.send("GET", "\(base)/openapi.yaml")
            #expect(yaml.status == 200)
            #expect(yaml.header("content-type") == "application/yaml")
            let file = Paths.repositoryRoot.appendingPathComponent("Sources/Gateway/Resources/openapi.yaml")
            #expect(yaml.text == (try String(contentsOf: file, encoding: .utf8)), "the served YAML is not the checked-in file")
        }
    }

    @Test func numbersAndStringsKeepTheirTypes() throws {
        let document = try OpenAPIDocument(yaml: "a: 1\nb: '1'\nc: 0.5\nd: true\ne: ~\nf: [x, 2]\ng: {h: null}\n")
        #expect(document.json == #"{"a":1,"b":"1","c":0.5,"d":true,"e":null,"f":["x",2],"g":{"h":null}}"#)
    }
}
