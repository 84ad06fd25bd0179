import HTTPTypes
public import Hummingbird
import Synchronization

/// The routes the router has (method and path pattern), filled once the routes are registered: a
/// known path with a method it does not take answers 405 with `Allow`, and the OpenAPI tests
/// compare it with the document.
public final class RouteTable: Sendable {
    public struct Route: Sendable, Hashable {
        public var method: HTTPRequest.Method
        /// The pattern as the router spells it: `/v1/leads/{lead_id}/score`.
        public var path: String
    }

    private let entries = Mutex<[(path: RouterPath, methods: [HTTPRequest.Method])]>([])

    public init() {}

    /// Takes the routes of `router` (after every route is added).
    public func fill(from router: Router<some RequestContext>) {
        var byPath: [String: (RouterPath, [HTTPRequest.Method])] = [:]
        var order: [String] = []
        for route in router.routes {
            let key = route.path.description
            if byPath[key] == nil { order.append(key) }
            byPath[key, default: (route.path, [])].1.append(route.method)
        }
        entries.withLock { $0 = order.compactMap { byPath[$0] }.map { (path: $0.0, methods: $0.1) } }
    }

    /// Every route, in registration order of its path.
    public var routes: [Route] {
        entries.withLock { list in list.flatMap { entry in entry.methods.map { Route(method: $0, path: entry.path.description) } } }
    }

    /// The methods routed for a request path (empty when no route has the path). Like the router, a
    /// literal segment wins over a parameter: `/v1/leads/prewarm` takes what that route takes, not
    /// what `/v1/leads/{lead_id}` does.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return entries.withLock { list in
            var best: (literals: [Bool], methods: [HTTPRequest.Method])?
            for entry in list where entry.path.components.count == parts.count {
                guard zip(entry.path.components, parts).allSatisfy({ $0 ~= $1 }) else { continue }
                let literals = entry.path.components.map { $0.description.first != "{" && $0.description != "*" && $0.description != "**" }
                if let current = best, !Self.isMoreSpecific(literals, than: current.literals) { continue }
                best = (literals, entry.methods)
            }
            return (best?.methods ?? []).sorted { $0.rawValue < $1.rawValue }
        }
    }

    /// The first segment where the two differ decides: a literal beats a parameter.
    static func isMoreSpecific(_ a: [Bool], than b: [Bool]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x }
        return false
    }
}
