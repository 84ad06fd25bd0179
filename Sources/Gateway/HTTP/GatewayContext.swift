public import Hummingbird

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
