import Evaluation
import Foundation
import JSON
import Logging
import Pipeline
import Records
import Scoring
import ServiceLifecycle

/// `learning.rerank_guard`: when the LLM step's measured lift on real outcomes stays below
/// `min_lift` — its whole 95 % interval below, not on noise — over the last `after_days` days, the
/// step is turned off for that model.
public struct RerankGuardSettings: Sendable, Equatable {
    /// Off unless the section is in the configuration.
    public var enabled = false
    public var minLift = 0.05
    public var afterDays = 30
    public var everySeconds = 3_600
    /// Fewer labelled decisions than this decide nothing.
    public var minOutcomes = 200

    public init() {}
}

/// Measures the lift of every loaded model's LLM step from the system of record and turns the step
/// off through the pipeline's ``LLMGuardRail``; says so in logs, `leadgate_llm_step_enabled` and a
/// `llm.guard` webhook.
final class RerankGuard: Sendable {
    let settings: RerankGuardSettings
    /// Nil with `records: off`: nothing to measure, but operators can still turn the step off and on.
    let store: (any RecordStore)?
    let rail: LLMGuardRail
    let metrics: GatewayMetrics
    let webhooks: WebhookSender?
    let logger: Logger

    init(
        settings: RerankGuardSettings, store: (any RecordStore)?, rail: LLMGuardRail, metrics: GatewayMetrics, webhooks: WebhookSender?,
        logger: Logger
    ) {
        self.settings = settings
        self.store = store
        self.rail = rail
        self.metrics = metrics
        self.webhooks = webhooks
        self.logger = logger
    }

    /// Measures one model now; turns its step off when the rule says so. Returns the summary used.
    @discardableResult
    func check(modelID: String, now: Date = Date()) async throws -> PerformanceSummary {
        let since = settings.afterDays > 0 ? now.addingTimeInterval(-Double(settings.afterDays) * 86_400) : nil
        let rows = try await store?.labeledDecisions(modelID: modelID, since: since, until: nil) ?? []
        let summary = PerformanceSummary.of(rows.samples(positive: "converted"))
        let current = rail.state(modelID: modelID)
        if let hold = current?.holdUntil, hold > now { return summary }
        guard current?.enabled ?? true, summary.leads >= settings.minOutcomes, let lift = summary.lift, lift.high < settings.minLift else {
            return summary
        }
        // The evidence must span the window: the oldest labelled decision is about `after_days` old.
        if let since, let oldest = rows.first?.decidedAt, oldest > since.addingTimeInterval(86_400) { return summary }
        let reason =
            "its lift (final vs base score AUC) is \(Self.format(lift.delta)) [95 % \(Self.format(lift.low)), \(Self.format(lift.high))] over \(summary.leads) outcomes, below min_lift \(settings.minLift)"
        let state = LLMGuardRail.State(
            modelID: modelID, enabled: false, reason: reason, since: now, by: "guard", lift: (lift.delta, lift.low, lift.high), holdUntil: nil)
        if rail.set(state) { announce(state) }
        return summary
    }

    /// An operator's decision (`POST /v1/admin/models/{id}/llm`): "on" holds for `after_days` (at
    /// least a day), so the guard does not turn the step off again on the evidence just overruled.
    func operatorSets(modelID: String, enabled: Bool, reason: String?, now: Date = Date()) -> LLMGuardRail.State {
        let hold = enabled ? now.addingTimeInterval(Double(max(1, settings.afterDays)) * 86_400) : nil
        let state = LLMGuardRail.State(
            modelID: modelID, enabled: enabled, reason: reason ?? (enabled ? "turned on by an operator" : "turned off by an operator"),
            since: now, by: "operator", lift: nil, holdUntil: hold)
        if rail.set(state) { announce(state) }
        return state
    }

    private func announce(_ state: LLMGuardRail.State) {
        metrics.llmStep(model: state.modelID, enabled: state.enabled)
        logger.notice(
            state.enabled ? "LLM step on" : "LLM step off",
            metadata: ["model": "\(state.modelID)", "by": "\(state.by)", "reason": "\(state.reason)"])
        webhooks?.send(eventID: "llm-guard-\(state.modelID)-\(Int(state.since.timeIntervalSince1970 * 1000))", body: GuardEncoder.webhook(state))
    }

    func run(registry: ModelRegistry) async {
        guard settings.enabled, settings.everySeconds > 0, store != nil else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(settings.everySeconds)) } catch { return }
            for id in Set(registry.snapshot.models.map(\.id)).sorted() {
                do {
                    try await check(modelID: id)
                } catch {
                    logger.error("LLM guard check failed; trying at the next interval", metadata: ["model": "\(id)", "error": "\(error)"])
                }
            }
        }
    }

    static func format(_ x: Double) -> String { String(format: "%+.3f", x) }
}

struct RerankGuardChecks: Service {
    let guardRail: RerankGuard
    let registry: ModelRegistry

    func run() async throws {
        await cancelWhenGracefulShutdown { await guardRail.run(registry: registry) }
    }
}
