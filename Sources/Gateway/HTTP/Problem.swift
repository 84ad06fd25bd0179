public import Hummingbird
import JSON
import Reranker
public import Scoring

/// An RFC 9457 problem: every 4xx/5xx the gateway sends, as `application/problem+json`.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A stable identifier of the kind of problem: `urn:leadgate:problem:<slug>`.
    public var type: String
    public var title: String
    /// What is wrong and what to do about it.
    public var detail: String
    /// The fields at fault, for validation problems.
    public var errors: [FieldIssue]
    /// Extra headers (`WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, slug: String, title: String, detail: String, errors: [FieldIssue] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.type = "urn:leadgate:problem:\(slug)"
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    public static func invalid(_ errors: [FieldIssue], detail: String? = nil) -> Problem {
        Problem(
            .unprocessableContent, slug: "invalid-lead", title: "The request has invalid fields",
            detail: detail ?? errors.map { "`\($0.field)` \($0.message)" }.joined(separator: " "), errors: errors)
    }

    public static func malformed(_ detail: String) -> Problem {
        Problem(.badRequest, slug: "malformed-json", title: "The body is not valid JSON", detail: detail)
    }

    func json(instance: String?) -> String {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.field("type", type)
        w.field("title", title)
        w.field("status", status.code)
        w.field("detail", detail)
        if let instance { w.field("instance", instance) }
        if !errors.isEmpty {
            w.key("errors")
            w.beginArray()
            for issue in errors {
                w.beginObject()
                w.field("field", issue.field)
                w.field("message", issue.message)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        return w.text
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        let body = json(instance: request.uri.path)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
