import Synchronization

/// Tracks the requests and response bodies in flight so a shutdown can drain them.
///
/// On SIGTERM/SIGINT the gateway stops taking new requests (503 `shutting-down`, `Connection: close`),
/// waits until every request in flight has written its whole response, then stops the server. Waiting
/// for the bodies matters: Hummingbird closes a connection as soon as a response's end is queued, so a
/// large batch response still in the socket buffers would be cut short.
public final class Lifecycle: Sendable {
    private struct State {
        var draining = false
        var forced = false
        var requests = 0
        var bodies = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var isDraining: Bool { state.withLock { $0.draining } }

    func beginDraining() { state.withLock { $0.draining = true } }
    /// Ends any wait for idleness at once (a second signal).
    func forceStop() { state.withLock { $0.forced = true } }

    func requestStarted() { state.withLock { $0.requests += 1 } }
    func requestFinished() { state.withLock { $0.requests -= 1 } }
    func bodyStarted() { state.withLock { $0.bodies += 1 } }
    func bodyFinished() { state.withLock { $0.bodies -= 1 } }

    var isIdle: Bool { state.withLock { $0.requests <= 0 && $0.bodies <= 0 } }

    /// Waits until a drain begins; `false` when cancelled first.
    func waitForDrain() async -> Bool {
        while !isDraining {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return false }
        }
        return true
    }

    /// Waits until nothing is in flight. Returns `false` when `timeout` passes, a stop is forced, or
    /// the task is cancelled first.
    func waitUntilIdle(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !isIdle {
            if ContinuousClock.now >= deadline || state.withLock({ $0.forced }) { return false }
            do { try await Task.sleep(for: .milliseconds(10)) } catch { return false }
        }
        return true
    }
}
