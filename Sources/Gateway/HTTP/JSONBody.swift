import Foundation
import HTTPTypes
import Hummingbird
import JSON
import NIOCore
import Pipeline
import Scoring

/// Request bodies in (JSON only, bounded, parsed strictly) and JSON responses out.
enum JSONBody {
    /// Reads a JSON body of at most `limit` bytes: 415 for another content type, 413 when larger.
    static func read(_ request: Request, limit: Int) async throws -> Data {
        if let type = request.headers[.contentType]?.lowercased(), !type.hasPrefix("application/json"), !type.contains("+json") {
            throw Problem(
                .unsupportedMediaType, slug: "unsupported-media-type", title: "The body must be JSON",
                detail: "Content-Type is `\(type)`. Send the body as JSON with `Content-Type: application/json`.")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Problem.tooLarge(limit)
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Problem.tooLarge(limit)
        }
    }

    /// Parses a JSON body: 400 `malformed-json` naming the line and column when it is not JSON, 400
    /// `duplicate-key` when an object repeats a key.
    /// (Untyped on purpose: a `throws(Problem)` here, called from async handlers, crashed the Swift
    /// 6.3 optimizer while splitting their coroutines.)
    static func parse(_ data: Data) throws -> JSONNode {
        guard !data.isEmpty else { throw Problem.malformed("The body is empty. Send a JSON object.") }
        do {
            return try JSONReader.parse(data)
        } catch  where error.kind == .duplicateKey {
            throw Problem(
                .badRequest, slug: "duplicate-key", title: "A key appears twice",
                detail:
                    "The body repeats the key `\(error.key ?? "")` in one object (line \(error.line), column \(error.column)). Send each key once: readers disagree about which copy counts.",
                errors: [FieldIssue(field: error.key ?? "(body)", message: "appears more than once in the same object. Keep one.")])
        } catch {
            throw Problem.malformed("The body is not valid JSON: \(error.description). Check quotes, commas and brackets.")
        }
    }

    /// Reads and parses in one step.
    static func node(_ request: Request, limit: Int) async throws -> JSONNode {
        try parse(try await read(request, limit: limit))
    }

    /// A JSON response.
    static func response(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A large JSON body written in 256 KiB pieces under backpressure; a shutdown waits for its end.
    static func streamed(_ json: String, lifecycle: Lifecycle) -> Response {
        let bytes = Array(json.utf8)
        lifecycle.bodyStarted()
        let body = ResponseBody(contentLength: bytes.count) { writer in
            defer { lifecycle.bodyFinished() }
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 256 * 1024)
                try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }
}
