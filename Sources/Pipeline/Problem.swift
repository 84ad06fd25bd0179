public import HTTPTypes
public import JSON
public import Scoring

/// An RFC 9457 problem: what any part of LeadGate answers when it cannot do what was asked, sent by
/// the gateway as `application/problem+json` (and kept inside batch and job results per lead).
public struct Problem: Error, Sendable {
    public var status: HTTPResponse.Status
    /// A stable identifier of the kind of problem: `urn:leadgate:problem:<slug>`.
    public var type: String
    public var title: String
    /// What is wrong and what to do about it.
    public var detail: String
    /// The fields at fault, for validation problems.
    public var errors: [FieldIssue]
    /// Extra headers (`WWW-Authenticate`, `Retry-After`, `Allow`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, slug: String, title: String, detail: String, errors: [FieldIssue] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.type = "urn:leadgate:problem:\(slug)"
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    /// 422 `invalid-lead`: the fields at fault, each with its fix.
    public static func invalid(_ errors: [FieldIssue], detail: String? = nil) -> Problem {
        Problem(
            .unprocessableContent, slug: "invalid-lead", title: "The request has invalid fields",
            detail: detail ?? errors.map { "`\($0.field)` \($0.message)" }.joined(separator: " "), errors: errors)
    }

    /// 400 `malformed-json`.
    public static func malformed(_ detail: String) -> Problem {
        Problem(.badRequest, slug: "malformed-json", title: "The body is not valid JSON", detail: detail)
    }

    /// 503 `store-unavailable`: the store did not answer; retrying is safe.
    public static func storeUnavailable(_ detail: String) -> Problem {
        Problem(.serviceUnavailable, slug: "store-unavailable", title: "The store did not answer", detail: detail, headers: [.retryAfter: "1"])
    }

    /// `{"type", "title", "status", "detail", "instance"?, "errors"?}`.
    public func json(instance: String?) -> String {
        var w = JSONWriter(capacity: 256)
        write(to: &w, instance: instance)
        return w.text
    }

    /// Writes the problem object at the writer's position.
    public func write(to w: inout JSONWriter, instance: String?) {
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
    }

    /// A batch's entry for a lead that could not be scored: `{"index", "lead_id", "error": {problem}}`.
    public func writeEntry(to w: inout JSONWriter, index: Int, leadID: String?) {
        w.beginObject()
        w.field("index", index)
        if let leadID { w.field("lead_id", leadID) } else { w.key("lead_id"); w.null() }
        w.key("error")
        write(to: &w, instance: nil)
        w.endObject()
    }
}
