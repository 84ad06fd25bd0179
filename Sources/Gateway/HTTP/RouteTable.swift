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

    /// The methods routed for a request path (empty when no route has the path).
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var found: [HTTPRequest.Method] = []
        entries.withLock { list in
            for entry in list where entry.path.components.count == parts.count {
                guard zip(entry.path.components, parts).allSatisfy({ $0 ~= $1 }) else { continue }
                for method in entry.methods where !found.contains(method) { found.append(method) }
            }
        }
        return found.sorted { $0.rawValue < $1.rawValue }
    }
}
