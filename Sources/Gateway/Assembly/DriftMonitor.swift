import Evaluation
import Foundation
import JSON
import Logging
import Pipeline
import Records
import Scoring
import ServiceLifecycle
import Synchronization

/// `learning.drift`: how often and over which window live inputs are compared with a model's
/// training distribution, and where the population stability index turns to warn and alert.
public struct DriftSettings: Sendable, Equatable {
    public var windowDays = 7
    /// Seconds between checks of every loaded model with a model card; 0 turns the checks off
    /// (`GET /v1/models/{id}/drift` still answers). Each check reads the window's decisions from the
    /// records, so the default is hourly.
    public var everySeconds = 3_600
    public var warn = 0.1
    public var alert = 0.25
    /// Fewer decisions than this in the window say `insufficient` instead of a status.
    public var minDecisions = 100

    public init() {}
}

/// One drift check of one model version.
struct DriftReport: Sendable {
    enum Status: String, Sendable { case ok, warn, alert, insufficient }

    var modelID: String
    var version: String
    var windowDays: Int
    var decisions: Int
    var checkedAt: Date
    /// PSI per field, in the card's order.
    var fields: [(name: String, psi: Double)]
    var probabilityPSI: Double?
    var status: Status

    var worst: (name: String, psi: Double)? {
        (fields + (probabilityPSI.map { [("probability", $0)] } ?? [])).max { $0.psi < $1.psi }
    }
}

/// Compares recent decisions' inputs (from the system of record) with the reference histograms in
/// each model's `model-card.json`, keeps the latest report per model version for `/readyz`,
/// sets `leadgate_model_drift_psi`, and sends a `model.drift` webhook when a model's status changes
/// to warn or alert.
final class DriftMonitor: Sendable {
    let settings: DriftSettings
    let store: any RecordStore
    let metrics: GatewayMetrics
    let webhooks: WebhookSender?
    let logger: Logger
    private let latest = Mutex<[String: DriftReport]>([:])
    private let references = Mutex<[String: DriftReference?]>([:])

    init(settings: DriftSettings, store: any RecordStore, metrics: GatewayMetrics, webhooks: WebhookSender?, logger: Logger) {
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.webhooks = webhooks
        self.logger = logger
    }

    var reports: [DriftReport] { latest.withLock { Array($0.values) }.sorted { ($0.modelID, $0.version) < ($1.modelID, $1.version) } }

    /// The model card's reference, read once per model version; nil without a card (a model not
    /// trained by `leadgate train`) or with a card that has no usable reference.
    func reference(for model: LoadedModel) -> DriftReference? {
        let key = "\(model.id)@\(model.version)"
        if let cached = references.withLock({ $0[key] }) { return cached }
        var reference: DriftReference?
        let path = (model.directory as NSString).appendingPathComponent("model-card.json")
        if let data = FileManager.default.contents(atPath: path) {
            do {
                reference = try DriftReference(card: try JSONReader.parse(bytes: [UInt8](data)))
            } catch {
                logger.warning("model card has no usable drift reference", metadata: ["model": "\(key)", "error": "\(error)"])
            }
        }
        references.withLock { $0[key] = reference }
        return reference
    }

    /// Checks one model version over the last `windowDays` days of its decisions.
    func check(model: LoadedModel, reference: DriftReference, windowDays: Int) async throws -> DriftReport {
        let since = Date().addingTimeInterval(-Double(windowDays) * 86_400)
        var counts = reference.fields.map { [Int](repeating: 0, count: $0.expected.count) }
        var probabilityCounts = [Int](repeating: 0, count: reference.probability?.expected.count ?? 0)
        var decisions = 0
        for try await decision in store.export(since: since, until: nil) {
            guard decision.model.id == model.id, decision.model.version == model.version else { continue }
            guard let input = try? JSONReader.parse(bytes: Array(decision.inputJSON.utf8)) else { continue }
            decisions += 1
            let features = input["features"]
            for (i, field) in reference.fields.enumerated() {
                counts[i][field.bin(features?[field.name].flatMap { $0.isNull ? nil : $0 })] += 1
            }
            if let p = reference.probability { probabilityCounts[p.bin(.number(decision.probability))] += 1 }
        }
        var fields: [(String, Double)] = []
        for (i, field) in reference.fields.enumerated() {
            fields.append((field.name, PSI.of(expected: field.expected, actual: PSI.shares(counts[i]))))
        }
        let probability = reference.probability.map { PSI.of(expected: $0.expected, actual: PSI.shares(probabilityCounts)) }
        var report = DriftReport(
            modelID: model.id, version: model.version, windowDays: windowDays, decisions: decisions, checkedAt: Date(), fields: fields,
            probabilityPSI: probability, status: .ok)
        let worst = report.worst?.psi ?? 0
        report.status = decisions < settings.minDecisions ? .insufficient : worst >= settings.alert ? .alert : worst >= settings.warn ? .warn : .ok
        publish(report)
        return report
    }

    private func publish(_ report: DriftReport) {
        let key = "\(report.modelID)@\(report.version)"
        let previous = latest.withLock { table -> DriftReport? in
            defer { table[key] = report }
            return table[key]
        }
        metrics.drift(model: report.modelID, version: report.version, fields: report.fields, probability: report.probabilityPSI)
        guard report.status == .warn || report.status == .alert, previous?.status != report.status else { return }
        logger.warning(
            "input drift", metadata: ["model": "\(key)", "status": "\(report.status.rawValue)", "field": "\(report.worst?.name ?? "")"])
        webhooks?.send(eventID: "drift-\(key)-\(Int(report.checkedAt.timeIntervalSince1970))", body: DriftEncoder.webhook(report))
    }

    /// Checks every loaded model with a reference, every `everySeconds`, until shutdown.
    func run(registry: ModelRegistry) async {
        guard settings.everySeconds > 0 else { return }
        var wait: Duration = .seconds(5)
        while !Task.isCancelled {
            do { try await Task.sleep(for: wait) } catch { return }
            wait = .seconds(settings.everySeconds)
            for model in registry.snapshot.models {
                guard let reference = reference(for: model) else { continue }
                do {
                    _ = try await check(model: model, reference: reference, windowDays: settings.windowDays)
                } catch {
                    logger.error("drift check failed; trying at the next interval", metadata: ["model": "\(model.id)", "error": "\(error)"])
                }
            }
        }
    }
}

/// Runs the drift checks as a service of the application.
struct DriftChecks: Service {
    let monitor: DriftMonitor
    let registry: ModelRegistry

    func run() async throws {
        // Stops at graceful shutdown (the loop's sleep is cancelled), so it never holds the drain up.
        await cancelWhenGracefulShutdown { await monitor.run(registry: registry) }
    }
}
