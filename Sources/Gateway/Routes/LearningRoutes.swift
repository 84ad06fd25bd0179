import Evaluation
import Foundation
import Hummingbird
import JSON
import Logging
import Pipeline
import Records
import Scoring
import Training

/// The learning loop over HTTP: live performance, input drift, and the LLM step's switch.
extension Routes {
    static let performanceWindows = [7, 30, 90]

    /// The loaded model named by the `{id}` path parameter (the default model's version when it has
    /// that id, else any loaded version), or a 404 `no-model` listing the loaded ids.
    func loadedModel(_ context: GatewayContext) throws -> LoadedModel {
        let raw = context.parameters.get("id") ?? ""
        let id = raw.removingPercentEncoding ?? raw
        let snapshot = pipeline.registry.snapshot
        if snapshot.primary.id == id { return snapshot.primary }
        guard let model = snapshot.models.first(where: { $0.id == id }) else {
            let known = Set(snapshot.models.map(\.id)).sorted()
            throw Problem(
                .notFound, slug: "no-model", title: "No such model",
                detail: "No loaded model has the id `\(id)`. Loaded: \(known.joined(separator: ", ")) (GET /v1/models lists them).")
        }
        return model
    }

    /// `GET /v1/models/{id}/performance?window_days=7,30,90&positive=converted`: per rolling window,
    /// the model's measures overall, per model version and per prompt version, from the decisions
    /// linked to outcomes in the system of record.
    func modelPerformance(_ request: Request, context: GatewayContext) async throws -> Response {
        let records = try recordsRuntime()
        let id = try loadedModel(context).id
        let query = request.uri.queryParameters
        var issues: [FieldIssue] = []
        var windows = Self.performanceWindows
        if let text = query.get("window_days") {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            if parts.isEmpty || parts.count > 5 || parts.contains(where: { ($0 ?? 0) < 1 || ($0 ?? 0) > 9999 }) {
                issues.append(
                    FieldIssue(field: "window_days", message: "must be 1–5 whole numbers of days in 1–9999, comma-separated (e.g. 7,30,90)."))
            } else {
                windows = parts.compactMap { $0 }
            }
        }
        let positive = query.get("positive") ?? "converted"
        if positive.isEmpty || positive.count > 64 {
            issues.append(
                FieldIssue(field: "positive", message: "must be the outcome that counts as converted, 1–64 characters (default converted)."))
        }
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        let now = Date()
        let longest = windows.max() ?? 90
        let since = now.addingTimeInterval(-Double(longest) * 86_400)
        let rows = try await recordsCall("read the labelled decisions") {
            try await records.store.labeledDecisions(modelID: id, since: since, until: nil)
        }
        await auditRead(records, context, action: "performance.read", target: id)
        return JSONBody.response(PerformanceEncoder.encode(modelID: id, positive: positive, windows: windows, rows: rows, now: now))
    }

    /// `GET /v1/models/{id}/drift?window_days=7`: the population stability index of the model's
    /// recent inputs (and predicted probability) against the reference in its model card, checked now.
    func modelDrift(_ request: Request, context: GatewayContext) async throws -> Response {
        _ = try recordsRuntime()
        guard let drift else {
            throw Problem(
                .serviceUnavailable, slug: "records-unavailable", title: "The records store did not answer",
                detail: "The drift checks are not running on this gateway.")
        }
        let model = try loadedModel(context)
        var windowDays = drift.settings.windowDays
        if let text = request.uri.queryParameters.get("window_days") {
            guard let days = Int(text), (1...9999).contains(days) else {
                throw Problem.invalid([FieldIssue(field: "window_days", message: "must be a whole number of days in 1–9999 (default \(windowDays)).")]
                )
            }
            windowDays = days
        }
        guard let reference = drift.reference(for: model) else {
            throw Problem(
                .notFound, slug: "no-reference", title: "The model has no drift reference",
                detail:
                    "Model \(model.id)@\(model.version) has no model-card.json with reference histograms. Models trained with `leadgate train` have one."
            )
        }
        let days = windowDays
        let report = try await recordsCall("read the recent decisions") {
            try await drift.check(model: model, reference: reference, windowDays: days)
        }
        var w = JSONWriter(capacity: 2048)
        DriftEncoder.report(&w, report, settings: drift.settings)
        return JSONBody.response(w.text)
    }

    /// `POST /v1/admin/models/{id}/llm` with `{"enabled": false, "reason": "..."}`: an operator turns a
    /// model's LLM step off or back on. Turned on, the guard rail leaves it on for `after_days`.
    func setLLMStep(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try loadedModel(context).id
        let node = try await JSONBody.node(request, limit: 4096)
        guard case .object(let members) = node else {
            throw Problem.invalid([FieldIssue(field: "(body)", message: #"must be an object such as {"enabled": true}."#)])
        }
        var issues: [FieldIssue] = []
        var enabled: Bool?
        var reason: String?
        for (key, value) in members {
            switch (key, value) {
            case ("enabled", .bool(let b)): enabled = b
            case ("enabled", _): issues.append(FieldIssue(field: "enabled", message: "must be true or false."))
            case ("reason", .string(let s)) where !s.isEmpty && s.count <= 500: reason = s
            case ("reason", .null): break
            case ("reason", _): issues.append(FieldIssue(field: "reason", message: "must be a string of 1–500 characters, or null."))
            default: issues.append(FieldIssue(field: key, message: "is not a field of this request. Send `enabled` and optionally `reason`."))
            }
        }
        if enabled == nil, !issues.contains(where: { $0.field == "enabled" }) {
            issues.append(FieldIssue(field: "enabled", message: "is required: true turns the LLM step on, false off."))
        }
        guard issues.isEmpty, let enabled else { throw Problem.invalid(issues) }
        let state = rerankGuard.operatorSets(modelID: id, enabled: enabled, reason: reason)
        var w = JSONWriter(capacity: 512)
        GuardEncoder.state(&w, state)
        return JSONBody.response(w.text)
    }
}

/// The retraining loop and promotions by hand.
extension Routes {
    /// `POST /v1/admin/models/{id}/retrain`: trains a challenger from the records now and applies the
    /// promotion guard; answers with the step as recorded in `model_events`.
    func retrainNow(_ request: Request, context: GatewayContext) async throws -> Response {
        _ = try recordsRuntime()
        let model = try loadedModel(context)
        guard let retrainer, model === pipeline.registry.snapshot.primary else {
            throw Problem(
                .conflict, slug: "not-default-model", title: "Only the default model retrains",
                detail:
                    "The loop retrains the default model (\(pipeline.registry.snapshot.primary.id)); `\(model.id)` is not it. Train others with `leadgate train --from-records`."
            )
        }
        let actor = context.principal?.subject ?? "admin"
        let outcome = try await recordsCall("retrain from the records") { try await retrainer.retrain(actor: actor) }
        send(outcome, webhooks: components.webhooks)
        return JSONBody.response(RetrainEncoder.outcome(outcome, time: Date()))
    }

    /// `POST /v1/admin/models/{id}/promote` with `{"version": "...", "share": 0.1}`: puts a loaded
    /// version on trial at `share`, or (without a share) makes it the default at once.
    func promote(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try loadedModel(context).id
        let node = try await JSONBody.node(request, limit: 4096)
        guard case .object(let members) = node else {
            throw Problem.invalid([FieldIssue(field: "(body)", message: #"must be an object such as {"version": "2026.12.07-120000"}."#)])
        }
        var issues: [FieldIssue] = []
        var version: String?
        var share: Double?
        for (key, value) in members {
            switch (key, value) {
            case ("version", .string(let s)) where !s.isEmpty && s.count <= 200: version = s
            case ("version", _): issues.append(FieldIssue(field: "version", message: "must be a loaded version of this model (GET /v1/models)."))
            case ("share", .number(let x)) where x > 0 && x <= 1: share = x
            case ("share", .null): break
            case ("share", _):
                issues.append(
                    FieldIssue(field: "share", message: "must be a share in (0, 1]: below 1 puts the version on trial, 1 makes it the default."))
            default: issues.append(FieldIssue(field: key, message: "is not a field of this request. Send `version` and optionally `share`."))
            }
        }
        if version == nil, !issues.contains(where: { $0.field == "version" }) {
            issues.append(FieldIssue(field: "version", message: "is required: the version to promote (GET /v1/models lists them)."))
        }
        guard issues.isEmpty, let version else { throw Problem.invalid(issues) }
        let snapshot = pipeline.registry.snapshot
        guard snapshot.models.contains(where: { $0.id == id && $0.version == version }) else {
            let known = snapshot.models.filter { $0.id == id }.map(\.version)
            throw Problem(
                .notFound, slug: "no-version", title: "No such model version",
                detail: "`version` `\(version)` is not a loaded version of `\(id)`. Loaded: \(known.joined(separator: ", ")) (GET /v1/models).")
        }
        let actor = context.principal?.subject ?? "admin"
        let rollout = Retrainer.promotion(of: "\(id)@\(version)", share: share, in: snapshot, actor: actor)
        return try await applyRollout(rollout, action: rollout.stage == .full ? "model.promote" : "model.challenger", model: id, actor: actor)
    }

    /// `POST /v1/admin/models/{id}/rollback`: ends a trial, or puts back the default the last
    /// promotion replaced.
    func rollback(_ request: Request, context: GatewayContext) async throws -> Response {
        let id = try loadedModel(context).id
        let actor = context.principal?.subject ?? "admin"
        guard let rollout = Retrainer.rollback(in: pipeline.registry.snapshot, actor: actor) else {
            throw Problem(
                .conflict, slug: "nothing-to-roll-back", title: "Nothing to roll back",
                detail: "No trial is running and no promotion has a previous default to put back (GET /v1/models shows the rollout).")
        }
        return try await applyRollout(rollout, action: "model.rollback", model: id, actor: actor)
    }

    private func applyRollout(_ rollout: Rollout, action: String, model: String, actor: String) async throws -> Response {
        do {
            try Retrainer.apply(rollout, registry: pipeline.registry)
        } catch {
            throw Problem(
                .conflict, slug: "rollout-failed", title: "The rollout was not applied", detail: "The models serve as before. \(error.description)")
        }
        let outcome = RetrainOutcome(
            action: action, model: model, candidate: rollout.challenger ?? rollout.defaultModel, reason: rollout.reason, rollout: rollout)
        if let records = components.records {
            do {
                try await records.store.append(audit: [outcome.auditEntry(actor: actor, time: Date())])
            } catch {
                logger.error("model event not recorded", metadata: ["action": .string(action), "error": .string("\(error)")])
            }
        }
        send(outcome, webhooks: components.webhooks)
        var w = JSONWriter(capacity: 512)
        RetrainEncoder.rollout(&w, rollout)
        return JSONBody.response(w.text)
    }
}
