import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Pipeline
import Telemetry

/// Request id, access log, metrics, and the last line of error handling: every error becomes a
/// problem response (a non-``Problem`` error is a 500 whose detail names the request id), and a
/// known path asked with a method it does not take is a 405 with `Allow`.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let metrics: GatewayMetrics
    let lifecycle: Lifecycle
    let routes: RouteTable

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        let start = Arrival.instant(request.headers[Arrival.header]) ?? ContinuousClock.now
        var context = context
        let id: String
        if let incoming = request.headers[.requestID], Self.isValidRequestID(incoming) {
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
            if lifecycle.isDraining { throw Problem.shuttingDown }
            response = try await next(request, context)
        } catch let problem as Problem {
            response = problem.response(for: request)
        } catch let error as any HTTPResponseError {
            response = problem(for: error.status, request: request).response(for: request)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": .string(String(describing: error))])
            response = Problem(
                .internalServerError, slug: "internal", title: "Internal error",
                detail: "The gateway failed to handle the request (request id \(id)). It has been logged; retry, and report the id if it persists."
            ).response(for: request)
        }
        response.headers[.requestID] = id
        let route = context.endpointPath ?? "unmatched"
        let duration = ContinuousClock.now - start
        metrics.requestFinished(method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        let level: Logger.Level = response.status.code >= 500 ? .error : .info
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "route": .string(route),
            "status": .stringConvertible(response.status.code), "duration_ms": .string(String(format: "%.3f", duration.seconds * 1000)),
        ]
        if let prompt = response.headers[.leadgatePrompt] { metadata["prompt"] = .string(prompt) }
        context.logger.log(level: level, "request", metadata: metadata)
        return response
    }

    /// The problem for a status Hummingbird raised: a 404 for a path that other methods take is a 405.
    func problem(for status: HTTPResponse.Status, request: Request) -> Problem {
        if status == .notFound {
            let allowed = routes.methods(for: request.uri.path)
            if !allowed.isEmpty { return .methodNotAllowed(request.method, path: request.uri.path, allowed: allowed) }
        }
        return .forStatus(status, request: request)
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
}
