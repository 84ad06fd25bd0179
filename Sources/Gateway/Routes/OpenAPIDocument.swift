/// The OpenAPI 3.1 description of the gateway, served at `GET /openapi.json`.
enum OpenAPIDocument {
    static let json = #"{"openapi":"3.1.0","info":{"title":"LeadGate","version":"0"},"paths":{}}"#
}
