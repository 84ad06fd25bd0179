import Evaluation
import Foundation
import Logging
import Records
import Scoring
import ServiceLifecycle

/// `learning.performance`: how often each loaded model's live performance is measured from the
/// records and appended to `model_performance` (and the `leadgate_model_performance` gauges).
public struct PerformanceSnapshotSettings: Sendable, Equatable {
    /// Seconds between snapshots; 0 turns them off.
    public var everySeconds = 3_600
    public var windowDays = 30

    public init() {}
}

/// Appends one `model_performance` row per model version every `everySeconds`.
struct PerformanceSnapshots: Service {
    let settings: PerformanceSnapshotSettings
    let store: any RecordStore
    let registry: ModelRegistry
    let metrics: GatewayMetrics
    let logger: Logger

    func run() async throws {
        guard settings.everySeconds > 0 else { return }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(settings.everySeconds)) } catch { return }
                for id in Set(registry.snapshot.models.map(\.id)).sorted() {
                    do {
                        try await snapshot(modelID: id)
                    } catch {
                        logger.error("performance snapshot failed; trying at the next interval", metadata: ["model": "\(id)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Measures every version of `modelID` over the window and appends the rows.
    @discardableResult
    func snapshot(modelID: String, now: Date = Date()) async throws -> [PerformanceRow] {
        let since = now.addingTimeInterval(-Double(settings.windowDays) * 86_400)
        let labeled = try await store.labeledDecisions(modelID: modelID, since: since, until: nil)
        var rows: [PerformanceRow] = []
        for (version, group) in Dictionary(grouping: labeled, by: \.modelVersion).sorted(by: { $0.key < $1.key }) {
            let s = PerformanceSummary.of(group.samples(positive: "converted"))
            rows.append(
                PerformanceRow(
                    modelID: modelID, version: version, accuracy: s.accuracy, precision: s.precision, recall: s.recall, f1: s.f1, testDate: now,
                    windowDays: settings.windowDays, leads: s.leads, converted: s.converted, auc: s.auc, prAUC: s.prAUC, ece: s.ece,
                    llmLift: s.lift?.delta, llmLiftLow: s.lift?.low, llmLiftHigh: s.lift?.high))
            metrics.performance(
                model: modelID, version: version,
                measures: [("auc", s.auc), ("pr_auc", s.prAUC), ("ece", s.ece), ("accuracy", s.accuracy), ("f1", s.f1), ("llm_lift", s.lift?.delta)])
        }
        try await store.insert(performance: rows)
        return rows
    }
}
