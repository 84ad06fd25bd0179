import Dispatch
import Reranker
import Synchronization

/// Joins identical LLM calls in this process: while a call for a key is in flight, later requests
/// with the same key wait for its outcome instead of calling again. A follower whose own deadline
/// comes first stops waiting then, with `timeout`.
final class SingleFlight: Sendable {
    private struct Flight {
        var deadline: ContinuousClock.Instant
        var waiters: [@Sendable (RerankOutcome) -> Void] = []
    }

    private let flights = Mutex<[String: Flight]>([:])

    /// Calls in flight now (for tests and metrics).
    var count: Int { flights.withLock { $0.count } }

    /// Runs `call` for `key` unless one is in flight; the outcome says whether it was shared.
    func run(key: String, deadline: ContinuousClock.Instant, _ call: () async -> RerankOutcome) async -> RerankOutcome {
        let leaderDeadline = flights.withLock { f -> ContinuousClock.Instant? in
            if let flight = f[key] { return flight.deadline }
            f[key] = Flight(deadline: deadline)
            return nil
        }
        guard let leaderDeadline else {
            let outcome = await call()
            let waiters = flights.withLock { $0.removeValue(forKey: key)?.waiters ?? [] }
            for waiter in waiters { waiter(outcome) }
            return outcome
        }
        let start = ContinuousClock.now
        let joined: RerankOutcome? = await withCheckedContinuation { continuation in
            let once = Once(continuation)
            let added = flights.withLock { f -> Bool in
                guard f[key] != nil else { return false }
                f[key]?.waiters.append { once.resume($0) }
                return true
            }
            guard added else {
                once.resume(nil)  // the call ended between the two looks
                return
            }
            if deadline < leaderDeadline {
                let wait = max(Duration.zero, deadline - ContinuousClock.now)
                let nanoseconds = Int(wait.components.seconds) * 1_000_000_000 + Int(wait.components.attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
                    once.resume(.fallback(.timeout, "an identical call in flight did not answer within this request's budget", latency: wait))
                }
            }
        }
        guard var outcome = joined else { return await run(key: key, deadline: deadline, call) }
        outcome.shared = true
        outcome.latency = ContinuousClock.now - start
        outcome.usage = nil  // the tokens were counted once, by the call
        return outcome
    }

    private final class Once: Sendable {
        private let continuation: Mutex<CheckedContinuation<RerankOutcome?, Never>?>

        init(_ continuation: CheckedContinuation<RerankOutcome?, Never>) { self.continuation = Mutex(continuation) }

        func resume(_ outcome: RerankOutcome?) {
            let c = continuation.withLock { c -> CheckedContinuation<RerankOutcome?, Never>? in
                defer { c = nil }
                return c
            }
            c?.resume(returning: outcome)
        }
    }
}
