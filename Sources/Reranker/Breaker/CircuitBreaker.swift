import Synchronization

/// The breaker's decisions as a pure state machine: no clock, no lock, no I/O (time comes in).
///
/// Closed: calls go through; it opens after `consecutiveFailures` failures in a row, or when at least
/// `minimumCalls` of the last `window` outcomes include more than `failureRate` failures. Open: calls
/// are refused (`breaker_open`) until the cool-down ends (a `Retry-After` hint may lengthen it, up to
/// `maxCoolDown`). Half-open: one probe goes through; its success closes the breaker, its failure
/// opens it again.
public struct BreakerStateMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        public var consecutiveFailures = 5
        public var window = 20
        public var minimumCalls = 10
        public var failureRate = 0.5
        public var coolDown: Duration = .seconds(5)
        public var maxCoolDown: Duration = .seconds(60)
        public init() {}
    }

    public enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    public let settings: Settings
    public private(set) var state = State.closed
    private var consecutive = 0
    private var recent: [Bool] = []  // true = failure
    private var openUntil: ContinuousClock.Instant?
    private var probeInFlight = false

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// Whether a call may go out now. In half-open, only one probe at a time.
    public mutating func allow(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed:
            return true
        case .open:
            guard let until = openUntil, now >= until else { return false }
            state = .halfOpen
            probeInFlight = true
            return true
        case .halfOpen:
            if probeInFlight { return false }
            probeInFlight = true
            return true
        }
    }

    /// A call that was allowed but never went out (shed by the bulkhead): it says nothing about the
    /// upstream, so it counts neither way, but a half-open breaker may send its probe again.
    public mutating func release() {
        if state == .halfOpen { probeInFlight = false }
    }

    /// Records a call's outcome. `retryAfter` (from a 429/503) is a hint for the cool-down.
    public mutating func record(failure: Bool, now: ContinuousClock.Instant, retryAfter: Duration? = nil) {
        switch state {
        case .halfOpen:
            probeInFlight = false
            if failure { open(now: now, retryAfter: retryAfter) } else { close() }
        case .open:
            break  // a straggler from before the breaker opened
        case .closed:
            consecutive = failure ? consecutive + 1 : 0
            recent.append(failure)
            if recent.count > settings.window { recent.removeFirst(recent.count - settings.window) }
            let failures = recent.filter { $0 }.count
            let rateTripped = recent.count >= settings.minimumCalls && Double(failures) / Double(recent.count) > settings.failureRate
            if consecutive >= settings.consecutiveFailures || rateTripped { open(now: now, retryAfter: retryAfter) }
        }
    }

    private mutating func open(now: ContinuousClock.Instant, retryAfter: Duration?) {
        state = .open
        var coolDown = settings.coolDown
        if let retryAfter, retryAfter > coolDown { coolDown = min(retryAfter, settings.maxCoolDown) }
        openUntil = now.advanced(by: coolDown)
        probeInFlight = false
    }

    private mutating func close() {
        state = .closed
        consecutive = 0
        recent.removeAll()
        openUntil = nil
    }
}

/// A thread-safe ``BreakerStateMachine`` on the continuous clock.
public final class CircuitBreaker: Sendable {
    private let machine: Mutex<BreakerStateMachine>

    public init(settings: BreakerStateMachine.Settings = .init()) { machine = Mutex(BreakerStateMachine(settings: settings)) }

    public func allow() -> Bool { machine.withLock { $0.allow(now: .now) } }
    public func release() { machine.withLock { $0.release() } }
    public func record(failure: Bool, retryAfter: Duration? = nil) {
        machine.withLock { $0.record(failure: failure, now: .now, retryAfter: retryAfter) }
    }
    public var state: BreakerStateMachine.State { machine.withLock { $0.state } }
}
