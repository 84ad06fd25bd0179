import Evaluation
public import Foundation
public import JSON
public import Records
public import Scoring

/// `learning.retrain`: the scheduled retraining loop (off unless `every` is set).
public struct RetrainSettings: Sendable, Equatable {
    /// Seconds between retrainings; 0 is off.
    public var everySeconds = 0
    /// Days of decisions (by decision time) to train and evaluate on.
    public var windowDays = 90
    /// Never promote on fewer held-out outcomes than this (`learning.min_outcomes`).
    public var minOutcomes = 200
    /// The most recent share of the labelled decisions that both models are judged on.
    public var holdoutFraction = 0.2
    /// How much higher the challenger's ECE may be than the champion's.
    public var eceBound = 0.02
    /// The share of leads a passing challenger scores first; 0 promotes it fully at once.
    public var challengerShare = 0.1
    /// How long it serves that share before the full promotion.
    public var challengerHours = 24.0
    /// xgboost's threads while training (1 leaves the other cores to the requests).
    public var threads = 1
    /// Where the exports, the candidates and their model cards are kept.
    public var workDirectory = "data/retrain"
    /// The outcome that counts as converted.
    public var positive = "converted"
    /// Retrained versions kept in the models folder besides the serving and previous ones.
    public var keepVersions = 3
    /// Seconds between the gateway's checks: a trial's end, a due retraining, another gateway's promotion.
    public var checkSeconds = 60

    public init() {}
}

/// One step of the loop, as recorded in `model_events` (`audit_log`, action `model.*`).
public struct RetrainOutcome: Sendable {
    /// `model.retrain` (skipped or failed), `model.refuse`, `model.challenger`, `model.promote`,
    /// `model.rollback`.
    public var action: String
    public var model: String
    /// The candidate or promoted version, `id@version`.
    public var candidate: String?
    public var reason: String
    public var challenge: Challenge?
    /// The rollout after the step, when it changed.
    public var rollout: Rollout?

    /// The event's detail object.
    public var detailJSON: String {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        writeDetail(&w)
        w.endObject()
        return w.text
    }

    /// The detail's members, into an object the caller has begun.
    public func writeDetail(_ w: inout JSONWriter) {
        w.field("reason", reason)
        if let candidate { w.field("candidate", candidate) }
        challenge?.writeFigures(&w)
        if let r = rollout {
            w.field("default", r.defaultModel)
            if let challenger = r.challenger {
                w.field("challenger", challenger)
                w.field("challenger_share", r.challengerShare)
            }
            w.field("stage", r.stage.rawValue)
        }
    }

    public init(
        action: String, model: String, candidate: String? = nil, reason: String, challenge: Challenge? = nil, rollout: Rollout? = nil
    ) {
        self.action = action
        self.model = model
        self.candidate = candidate
        self.reason = reason
        self.challenge = challenge
        self.rollout = rollout
    }

    public func auditEntry(actor: String, time: Date) -> AuditEntry {
        AuditEntry(time: time, actor: actor, action: action, target: model, detailJSON: detailJSON)
    }
}

/// Trains a challenger from the records, judges it against the champion on the most recent
/// held-out outcomes, and moves it through the registry's challenger share to full promotion.
/// One gateway at a time: the work runs under a lease in the records store.
public struct Retrainer: Sendable {
    public let settings: RetrainSettings
    public let store: any RecordStore
    public let registry: ModelRegistry
    /// This gateway, as the lease holder.
    public let holder: String
    let note: @Sendable (String) -> Void

    public init(
        settings: RetrainSettings, store: any RecordStore, registry: ModelRegistry, holder: String,
        note: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.settings = settings
        self.store = store
        self.registry = registry
        self.holder = holder
        self.note = note
    }

    /// The scheduled step: ends a challenger's trial when it is over, and retrains when the period's
    /// lease is free (so N gateways retrain once per period between them). Every step is recorded.
    public func tick(now: Date = Date()) async throws -> [RetrainOutcome] {
        var outcomes: [RetrainOutcome] = []
        if let advanced = try await advance(now: now) { outcomes.append(advanced) }
        let model = registry.snapshot.primary.id
        // The period's lease is never renewed by its holder (each attempt is a holder of its own):
        // whoever takes it retrains, and nobody again until it expires.
        if settings.everySeconds > 0,
            try await store.acquireLease(
                name: "retrain-due:\(model)", holder: "\(holder)#\(now.timeIntervalSince1970)",
                expiresAt: now.addingTimeInterval(Double(settings.everySeconds) - 1), now: now)
        {
            outcomes.append(try await retrain(now: now, actor: "system"))
        }
        return outcomes
    }

    /// Trains a challenger now and applies the guard. Refused, without training, while another
    /// gateway retrains or a challenger is still on trial.
    public func retrain(now: Date = Date(), actor: String) async throws -> RetrainOutcome {
        let snapshot = registry.snapshot
        let champion = snapshot.primary
        let key = "\(champion.id)@\(champion.version)"
        func done(_ outcome: RetrainOutcome) async throws -> RetrainOutcome {
            try await store.append(audit: [outcome.auditEntry(actor: actor, time: now)])
            note("\(outcome.action) \(outcome.model): \(outcome.reason)")
            return outcome
        }
        if let trial = snapshot.rollout, trial.stage == .challenger, let challenger = trial.challenger {
            return try await done(
                RetrainOutcome(
                    action: "model.retrain", model: champion.id,
                    reason: "skipped: \(challenger) is still on trial (since \(Timestamp.iso8601(trial.updatedAt)))"
                ))
        }
        let lease = "retrain-run:\(champion.id)"
        guard try await store.acquireLease(name: lease, holder: holder, expiresAt: now.addingTimeInterval(4 * 3_600), now: now) else {
            return RetrainOutcome(action: "model.retrain", model: champion.id, reason: "skipped: another gateway is retraining this model")
        }
        do {
            let outcome = try await retrainHoldingLease(champion: champion, key: key, now: now, actor: actor)
            try? await store.releaseLease(name: lease, holder: holder)
            return try await done(outcome)
        } catch {
            try? await store.releaseLease(name: lease, holder: holder)
            return try await done(RetrainOutcome(action: "model.retrain", model: champion.id, reason: "failed: \(error)"))
        }
    }

    private func retrainHoldingLease(champion: LoadedModel, key: String, now: Date, actor: String) async throws -> RetrainOutcome {
        let stamp = ManifestFile.versionStamp(now)
        let work = (settings.workDirectory as NSString).appendingPathComponent("\(champion.id)-\(stamp)")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let data = (work as NSString).appendingPathComponent("records.csv")
        let since = now.addingTimeInterval(-Double(settings.windowDays) * 86_400)
        let summary = try await RecordsDataset.write(
            store: store, since: since, until: now, positive: settings.positive, to: data, progress: { _, _, _ in })
        let needed = Int((Double(settings.minOutcomes) / settings.holdoutFraction).rounded(.up))
        guard summary.rows >= needed else {
            try? FileManager.default.removeItem(atPath: work)
            return RetrainOutcome(
                action: "model.retrain", model: champion.id,
                reason:
                    "skipped: \(summary.rows) decisions with an outcome in the last \(settings.windowDays) days; the guard needs \(settings.minOutcomes) held out, so \(needed) in all"
            )
        }
        var options = TrainingOptions(data: data, label: RecordsDataset.labelColumn, out: (work as NSString).appendingPathComponent("model"))
        options.positive = "1"
        options.timeColumn = RecordsDataset.timeColumn
        options.holdoutFraction = settings.holdoutFraction
        options.manifest = (champion.directory as NSString).appendingPathComponent("manifest.yaml")
        options.modelID = champion.id
        options.version = stamp
        options.threads = settings.threads
        options.thresholds = (champion.scorer.thresholds.hotAbove, champion.scorer.thresholds.coldBelow)
        options.holdoutOut = (work as NSString).appendingPathComponent("holdout.csv")
        options.commandLine = "retraining loop (\(actor)) from \(summary.rows) recorded decisions with outcomes"
        let trainingOptions = options
        let report = try await Self.offThePool { () throws -> TrainingReport in try Trainer.run(trainingOptions) { _ in } }
        let candidate = try LoadedModel.load(directory: report.directory)
        let holdout = trainingOptions.holdoutOut ?? ""
        let challenge = try Challenge.run(
            champion: champion, challenger: candidate, data: holdout, minOutcomes: settings.minOutcomes, eceBound: settings.eceBound)
        let candidateKey = "\(candidate.id)@\(candidate.version)"
        guard challenge.passed else {
            return RetrainOutcome(action: "model.refuse", model: champion.id, candidate: candidateKey, reason: challenge.reason, challenge: challenge)
        }
        try install(candidate: report.directory, as: "\(champion.id)-\(stamp)")
        let stage: Rollout
        if settings.challengerShare > 0 && settings.challengerHours > 0 {
            stage = Rollout(
                defaultModel: key, challenger: candidateKey, challengerShare: settings.challengerShare, stage: .challenger,
                previous: registry.snapshot.rollout?.previous, updatedAt: now, actor: actor, reason: challenge.reason)
        } else {
            stage = Rollout(defaultModel: candidateKey, stage: .full, previous: key, updatedAt: now, actor: actor, reason: challenge.reason)
        }
        try apply(stage)
        return RetrainOutcome(
            action: stage.stage == .full ? "model.promote" : "model.challenger", model: champion.id, candidate: candidateKey,
            reason: challenge.reason, challenge: challenge, rollout: stage)
    }

    /// Ends the trial of a challenger that has served its share for `challengerHours`: promoted
    /// fully, unless its live outcomes in the trial (at least `minOutcomes` for each side) rank
    /// worse than the champion's, which rolls it back.
    public func advance(now: Date = Date()) async throws -> RetrainOutcome? {
        let snapshot = registry.snapshot
        guard let trial = snapshot.rollout, trial.stage == .challenger, let challenger = trial.challenger,
            now.timeIntervalSince(trial.updatedAt) >= settings.challengerHours * 3_600
        else { return nil }
        let model = snapshot.primary.id
        let lease = "retrain-run:\(model)"
        guard try await store.acquireLease(name: lease, holder: holder, expiresAt: now.addingTimeInterval(600), now: now) else { return nil }
        do {
            let outcome = try await endTrial(trial, challenger: challenger, model: model, now: now)
            try? await store.releaseLease(name: lease, holder: holder)
            try await store.append(audit: [outcome.auditEntry(actor: "system", time: now)])
            note("\(outcome.action) \(outcome.model): \(outcome.reason)")
            return outcome
        } catch {
            try? await store.releaseLease(name: lease, holder: holder)
            throw error
        }
    }

    private func endTrial(_ trial: Rollout, challenger: String, model: String, now: Date) async throws -> RetrainOutcome {
        let live = try await store.labeledDecisions(modelID: model, since: trial.updatedAt, until: nil)
        func measure(_ key: String) -> (n: Int, auc: Double?) {
            let rows = live.filter { "\($0.modelID)@\($0.modelVersion)" == key }
            return (rows.count, EvalMetrics.rocAUC(rows.map(\.probability), rows.map { $0.outcome == settings.positive }))
        }
        let (a, b) = (measure(trial.defaultModel), measure(challenger))
        let hours = String(format: "%.0f", now.timeIntervalSince(trial.updatedAt) / 3_600)
        let outcome: RetrainOutcome
        if a.n >= settings.minOutcomes, b.n >= settings.minOutcomes, let x = a.auc, let y = b.auc, y < x {
            let reason =
                "rolled back after \(hours) h at \(Int(trial.challengerShare * 100)) %: live AUC \(Challenge.f(y)) on \(b.n) leads vs the champion's \(Challenge.f(x)) on \(a.n)"
            let next = Rollout(
                defaultModel: trial.defaultModel, stage: .full, previous: trial.previous, updatedAt: now, actor: "system", reason: reason)
            try apply(next)
            outcome = RetrainOutcome(action: "model.rollback", model: model, candidate: challenger, reason: reason, rollout: next)
        } else {
            let live =
                a.n >= settings.minOutcomes && b.n >= settings.minOutcomes
                ? "live AUC \(b.auc.map(Challenge.f) ?? "-") on \(b.n) leads vs the champion's \(a.auc.map(Challenge.f) ?? "-") on \(a.n)"
                : "\(b.n) live outcomes for it and \(a.n) for the champion, fewer than min_outcomes \(settings.minOutcomes): the holdout decides"
            let reason = "promoted after \(hours) h at \(Int(trial.challengerShare * 100)) %: \(live)"
            let next = Rollout(
                defaultModel: challenger, stage: .full, previous: trial.defaultModel, updatedAt: now, actor: "system", reason: reason)
            try apply(next)
            outcome = RetrainOutcome(action: "model.promote", model: model, candidate: challenger, reason: reason, rollout: next)
        }
        return outcome
    }

    /// Writes the rollout, reloads, and prunes old retrained versions.
    func apply(_ rollout: Rollout) throws {
        try Self.apply(rollout, registry: registry)
        Self.prune(registry: registry, keep: settings.keepVersions)
    }

    /// Writes `rollout` into the registry's folder and reloads; throws when the reload does not
    /// serve it (the file is then put back as it was).
    public static func apply(_ rollout: Rollout, registry: ModelRegistry) throws(ConfigurationError) {
        let directory = registry.selection.directory
        let before = try Rollout.read(directory: directory)
        try rollout.write(directory: directory)
        if case .success(let snapshot) = registry.reload(), snapshot.rollout == rollout { return }
        let why = registry.snapshot.problems.map(\.description).joined(separator: "; ")
        if let before { try before.write(directory: directory) } else { try? FileManager.default.removeItem(atPath: Rollout.path(in: directory)) }
        registry.reload()
        throw ConfigurationError(key: Rollout.path(in: directory), "was not served: \(why)")
    }

    /// A promotion by hand: `share` in (0, 1) puts `key` on trial beside the default; nil or 1
    /// makes it the default.
    public static func promotion(of key: String, share: Double?, in snapshot: ModelRegistry.Snapshot, actor: String, now: Date = Date())
        -> Rollout
    {
        let current = "\(snapshot.primary.id)@\(snapshot.primary.version)"
        if let share, share > 0, share < 1 {
            return Rollout(
                defaultModel: current, challenger: key, challengerShare: share, stage: .challenger, previous: snapshot.rollout?.previous,
                updatedAt: now, actor: actor, reason: "on trial at \(Int((share * 100).rounded())) % by \(actor)")
        }
        return Rollout(defaultModel: key, stage: .full, previous: current, updatedAt: now, actor: actor, reason: "promoted by \(actor)")
    }

    /// A rollback by hand: ends a trial, or puts the previous default back. Nil when there is
    /// nothing to roll back.
    public static func rollback(in snapshot: ModelRegistry.Snapshot, actor: String, now: Date = Date()) -> Rollout? {
        guard let r = snapshot.rollout else { return nil }
        if r.stage == .challenger, r.challenger != nil {
            return Rollout(
                defaultModel: r.defaultModel, stage: .full, previous: r.previous, updatedAt: now, actor: actor, reason: "trial ended by \(actor)")
        }
        guard let previous = r.previous else { return nil }
        return Rollout(defaultModel: previous, stage: .full, previous: nil, updatedAt: now, actor: actor, reason: "rolled back by \(actor)")
    }

    /// Copies a trained folder into the models folder, its manifest last (the registry loads only
    /// folders with a manifest, so a reload meanwhile never sees half a model).
    func install(candidate: String, as name: String) throws {
        let files = FileManager.default
        let target = (registry.selection.directory as NSString).appendingPathComponent(name)
        try? files.removeItem(atPath: target)
        try files.createDirectory(atPath: target, withIntermediateDirectories: true)
        for file in try files.contentsOfDirectory(atPath: candidate).sorted() where file != "manifest.yaml" {
            try files.copyItem(
                atPath: (candidate as NSString).appendingPathComponent(file), toPath: (target as NSString).appendingPathComponent(file))
        }
        guard files.createFile(atPath: (target as NSString).appendingPathComponent(Self.marker), contents: Data(candidate.utf8)) else {
            throw TrainingError("cannot write into `\(target)`. Check that the models folder is writable.")
        }
        let staging = (target as NSString).appendingPathComponent("manifest.yaml.tmp")
        try files.copyItem(atPath: (candidate as NSString).appendingPathComponent("manifest.yaml"), toPath: staging)
        try files.moveItem(atPath: staging, toPath: (target as NSString).appendingPathComponent("manifest.yaml"))
    }

    /// Marks a folder the loop installed (only those are ever pruned).
    static let marker = "RETRAINED"

    /// Removes retrained folders beyond the newest `keep` that neither serve nor are the rollback target.
    static func prune(registry: ModelRegistry, keep: Int) {
        let snapshot = registry.snapshot
        var protected: Set<String> = ["\(snapshot.primary.id)@\(snapshot.primary.version)"]
        if let r = snapshot.rollout {
            protected.insert(r.defaultModel)
            if let c = r.challenger { protected.insert(c) }
            if let p = r.previous { protected.insert(p) }
        }
        let files = FileManager.default
        let retrained = snapshot.models.filter { files.fileExists(atPath: ($0.directory as NSString).appendingPathComponent(marker)) }
            .sorted { $0.version > $1.version }
        var kept = 0
        var removed = false
        for model in retrained {
            if protected.contains("\(model.id)@\(model.version)") { continue }
            kept += 1
            if kept > keep {
                try? files.removeItem(atPath: model.directory)
                removed = true
            }
        }
        if removed { registry.reload() }
    }

    /// Runs CPU-bound work on a thread of its own, off Swift's cooperative pool (whose few threads
    /// serve the requests).
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
