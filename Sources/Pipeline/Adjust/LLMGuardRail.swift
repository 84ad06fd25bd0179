public import Foundation
import Synchronization

/// The LLM guard rail (`learning.rerank_guard`): models whose LLM step is off because its measured
/// lift stayed below the bound, or because an operator turned it off. A lead of such a model gets
/// the base score with reason `disabled` and the guard's sentence. Kept in memory, per gateway
/// (every gateway measures the same records, so they agree).
public final class LLMGuardRail: Sendable {
    public struct State: Sendable, Equatable {
        public var modelID: String
        public var enabled: Bool
        /// Why it is off (or why it was turned back on).
        public var reason: String
        public var since: Date
        /// Who decided: `guard` (the measurement) or `operator`.
        public var by: String
        /// The lift measured when the guard decided: final − base AUC and its 95 % interval.
        public var lift: (delta: Double, low: Double, high: Double)?
        /// An operator's "on" holds until then: the guard does not turn the step off again before.
        public var holdUntil: Date?

        public init(
            modelID: String, enabled: Bool, reason: String, since: Date, by: String, lift: (delta: Double, low: Double, high: Double)?,
            holdUntil: Date?
        ) {
            self.modelID = modelID
            self.enabled = enabled
            self.reason = reason
            self.since = since
            self.by = by
            self.lift = lift
            self.holdUntil = holdUntil
        }

        public static func == (a: State, b: State) -> Bool {
            a.modelID == b.modelID && a.enabled == b.enabled && a.reason == b.reason && a.since == b.since && a.by == b.by
                && a.holdUntil == b.holdUntil && a.lift?.delta == b.lift?.delta && a.lift?.low == b.lift?.low && a.lift?.high == b.lift?.high
        }
    }

    private let states = Mutex<[String: State]>([:])
    /// How many models are off: every lead asks, so while none is (the usual case) the answer
    /// takes no lock.
    private let offCount = Atomic<Int>(0)

    public init() {}

    /// The sentence a lead's LLM step reports when the model's step is off; nil when it runs.
    public func offReason(modelID: String) -> String? {
        guard offCount.load(ordering: .relaxed) > 0 else { return nil }
        return states.withLock { table in
            guard let state = table[modelID], !state.enabled else { return nil }
            return "the LLM step is off for model \(modelID): \(state.reason)"
        }
    }

    /// Every model the guard or an operator has decided on, by id.
    public var snapshot: [State] { states.withLock { Array($0.values) }.sorted { $0.modelID < $1.modelID } }

    public func state(modelID: String) -> State? { states.withLock { $0[modelID] } }

    /// Records a decision; returns whether it changed whether the step runs.
    @discardableResult
    public func set(_ state: State) -> Bool {
        states.withLock { table in
            let wasEnabled = table[state.modelID]?.enabled ?? true
            table[state.modelID] = state
            offCount.store(table.values.filter { !$0.enabled }.count, ordering: .relaxed)
            return wasEnabled != state.enabled
        }
    }
}
