import Foundation
import JSON
import Logging
import Pipeline
import Records
import Scoring
import ServiceLifecycle
import Training

/// Every `learning.retrain.check_s`: follows a promotion another gateway (or `leadgate models
/// promote`) wrote into the models folder, ends a challenger's trial when it is over, and retrains
/// when the period's lease is free. Runs on every gateway; the leases make one do each step.
struct RetrainLoop: Service {
    let settings: RetrainSettings
    let retrainer: Retrainer?
    let registry: ModelRegistry
    let reload: @Sendable () -> Result<ModelRegistry.Snapshot, ConfigurationError>
    let webhooks: WebhookSender?
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            let directory = registry.selection.directory
            var seen = Rollout.modified(directory: directory)
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(settings.checkSeconds)) } catch { return }
                let now = Rollout.modified(directory: directory)
                if now != seen {
                    logger.notice("the models folder's rollout changed; reloading", metadata: ["file": "\(Rollout.path(in: directory))"])
                    _ = reload()
                    seen = now
                }
                guard let retrainer else { continue }
                do {
                    for outcome in try await retrainer.tick() { send(outcome, webhooks: webhooks) }
                } catch {
                    logger.error("retraining step failed; trying at the next check", metadata: ["error": "\(error)"])
                }
                seen = Rollout.modified(directory: directory)
            }
        }
    }
}

/// A `model.*` webhook for a step that changed or refused something (skips are only recorded).
func send(_ outcome: RetrainOutcome, webhooks: WebhookSender?) {
    guard let webhooks, outcome.action != "model.retrain" else { return }
    let time = Date()
    webhooks.send(
        eventID: "\(outcome.action)-\(outcome.model)-\(Int(time.timeIntervalSince1970))",
        body: RetrainEncoder.outcome(outcome, time: time))
}
