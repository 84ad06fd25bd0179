import HTTPTypes
import Hummingbird
import NIOCore
import Pipeline
import Store

extension Problem {
    /// The problem as an `application/problem+json` response whose `instance` is the request's path.
    func response(for request: Request) -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        let body = json(instance: request.uri.path)
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// 503 `shutting-down`: this instance is draining.
    static let shuttingDown = Problem(
        .serviceUnavailable, slug: "shutting-down", title: "The gateway is shutting down",
        detail: "This instance is draining before it stops. Retry; another instance (or this one after its restart) will answer.",
        headers: [.connection: "close", .retryAfter: "1"])

    /// 413 `body-too-large`.
    static func tooLarge(_ limit: Int) -> Problem {
        Problem(
            .contentTooLarge, slug: "body-too-large", title: "The body is too large",
            detail: "The body exceeds \(limit) bytes. Send less (batches: split them), or raise the limit in limits.* of the configuration.")
    }

    /// 405 `method-not-allowed`, with the methods the path has in `Allow`.
    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [HTTPRequest.Method]) -> Problem {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem(
            .methodNotAllowed, slug: "method-not-allowed", title: "Method not allowed",
            detail: "`\(path)` does not take \(method.rawValue). It takes \(list); see GET /openapi.json.", headers: [.allow: list])
    }

    /// The problem for an error status Hummingbird raised itself (no route, a body over its limit).
    static func forStatus(_ status: HTTPResponse.Status, request: Request) -> Problem {
        switch status.code {
        case 404:
            return Problem(
                .notFound, slug: "not-found", title: "No such route",
                detail: "`\(request.method.rawValue) \(request.uri.path)` is not a route. See GET /openapi.json.")
        case 413:
            return Problem(
                .contentTooLarge, slug: "body-too-large", title: "The body is too large",
                detail: "The body exceeds the configured limit (limits.max_body_bytes / limits.max_batch_body_bytes). Send less, or split the batch.")
        default:
            return Problem(
                status, slug: "http-\(status.code)", title: status.reasonPhrase, detail: "The request could not be handled: \(status.reasonPhrase).")
        }
    }

    /// 503 `store-unavailable` for something the store could not do.
    static func storeUnavailable(_ error: StoreError, doing what: String) -> Problem {
        .storeUnavailable("Could not \(what): \(error.message). Retry shortly; /readyz shows the store's state.")
    }
}
