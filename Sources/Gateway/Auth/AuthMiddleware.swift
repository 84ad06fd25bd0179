import Hummingbird
import Logging
import Pipeline

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
        let result = authenticator.authenticate(authorization: request.headers[.authorization], apiKey: request.headers[.apiKey])
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
