import Foundation
import HTTPTypes
public import Hummingbird
import Logging

/// The per-request context: Hummingbird's core storage plus the request id and the caller.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The id echoed in `X-Request-Id` and logged as `request_id`.
    public var requestID = ""
    /// Set by ``AuthMiddleware`` on protected routes.
    public var principal: Principal?
    /// When the request's head arrived (stamped on the event loop by ``RequestHeadHandler``): LLM
    /// budgets and logged durations count from here, so time spent queued behind other requests
    /// comes out of the budget instead of being added to it.
    public var receivedAt = ContinuousClock.now

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Request id, access log, metrics, and the last line of error handling: every error becomes a
/// problem response (a non-``Problem`` error is a 500 whose detail names the request id).
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let metrics: GatewayMetrics
    let lifecycle: Lifecycle

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        let start = Arrival.instant(request.headers[Arrival.header]) ?? ContinuousClock.now
        var context = context
        let incoming = request.headers[.requestID]
        let id: String
        if let incoming, Self.isValidRequestID(incoming) {
            id = incoming
        } else {
            id = context.id
        }
        context.requestID = id
        context.receivedAt = start
        context.logger[metadataKey: "hb.request.id"] = .string(id)
        metrics.requestStarted()
        lifecycle.requestStarted()
        defer { lifecycle.requestFinished() }
        var response: Response
        do {
            if lifecycle.isDraining {
                throw Problem(
                    .serviceUnavailable, slug: "shutting-down", title: "The gateway is shutting down",
                    detail: "This instance is draining before it stops. Retry; another instance (or this one after its restart) will answer.",
                    headers: [.connection: "close", .retryAfter: "1"])
            }
            response = try await next(request, context)
        } catch let problem as Problem {
            response = try problem.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            response = try Self.problem(for: error.status, request: request).response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": .string(String(describing: error))])
            response = try Problem(
                .internalServerError, slug: "internal", title: "Internal error",
                detail: "The gateway failed to handle the request (request id \(id)). It has been logged; retry, and report the id if it persists."
            ).response(from: request, context: context)
        }
        response.headers[.requestID] = id
        let route = context.endpointPath ?? "unmatched"
        let seconds = (ContinuousClock.now - start).seconds
        metrics.requestFinished(method: request.method.rawValue, route: route, status: response.status.code, seconds: seconds)
        let level: Logger.Level = response.status.code >= 500 ? .error : .info
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "route": .string(route),
            "status": .stringConvertible(response.status.code), "duration_ms": .string(String(format: "%.3f", seconds * 1000)),
        ]
        if let prompt = response.headers[.leadgatePrompt] { metadata["prompt"] = .string(prompt) }
        context.logger.log(level: level, "request", metadata: metadata)
        return response
    }

    /// 1–128 characters from `[A-Za-z0-9._:-]`, so a client's id is safe to log and echo.
    static func isValidRequestID(_ id: String) -> Bool {
        guard (1...128).contains(id.utf8.count) else { return false }
        for byte in id.utf8 {
            let isAlphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            guard isAlphanumeric || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x3A else { return false }
        }
        return true
    }

    static func problem(for status: HTTPResponse.Status, request: Request) -> Problem {
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
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Requires a caller with `scope`: 401 without valid credentials, 403 without the scope.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let authenticator: Authenticator
    let scope: Scope

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        try Self.authorize(request, context: &context, authenticator: authenticator, scope: scope)
        return try await next(request, context)
    }

    /// Checks the request's credentials for `scope` (401 or 403 when they fall short) and names the
    /// caller in the context.
    static func authorize(_ request: Request, context: inout GatewayContext, authenticator: Authenticator, scope: Scope) throws {
        let result = authenticator.authenticate(
            authorization: request.headers[.authorization], apiKey: request.headers[.apiKey])
        switch result {
        case .failure(let failure):
            throw Problem(
                .unauthorized, slug: "unauthenticated", title: "Authentication required", detail: failure.message,
                headers: [.wwwAuthenticate: authenticator.challenge])
        case .success(let principal):
            guard principal.scopes.contains(scope) else {
                throw Problem(
                    .forbidden, slug: "forbidden", title: "Missing scope",
                    detail: "This route needs the scope `\(scope.rawValue)`; the credentials of `\(principal.subject)` do not grant it.")
            }
            context.principal = principal
            context.logger[metadataKey: "subject"] = .string(principal.subject)
        }
    }
}

extension HTTPField.Name {
    // Both names are valid header tokens, so the initialiser cannot fail.
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let apiKey = HTTPField.Name("X-API-Key")!
    /// The prompt (`id@version hash`) that adjusted a score; the access log names it.
    static let leadgatePrompt = HTTPField.Name("X-LeadGate-Prompt")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
    static let retellSignature = HTTPField.Name("X-Retell-Signature")!
    static let vapiSecret = HTTPField.Name("X-Vapi-Secret")!
}
