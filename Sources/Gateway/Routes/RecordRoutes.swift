import Foundation
import Hashing
import Hummingbird
import JSON
import Logging
import Pipeline
import Records
import Scoring

/// The system of record over HTTP: one decision whole, a lead's score history, outcomes in and out.
extension Routes {
    /// `GET /v1/decisions/{id}`: the decision record, whole.
    func decision(_ request: Request, context: GatewayContext) async throws -> Response {
        let records = try recordsRuntime()
        let raw = context.parameters.get("id") ?? ""
        let id = raw.removingPercentEncoding ?? raw
        guard !id.isEmpty, id.utf8.count <= 512 else {
            throw Problem.invalid([FieldIssue(field: "id", message: "must be a decision id of 1–512 bytes (`<request id>:<index>`).")])
        }
        let found = try await recordsCall("read the decision") { try await records.store.decision(id: id) }
        guard let found else {
            throw Problem(
                .notFound, slug: "no-decision", title: "No such decision",
                detail:
                    "No decision has the id `\(id)` (never made, not written yet — records reach the store within about a second — purged, or erased)."
            )
        }
        await auditRead(records, context, action: "decision.read", target: id)
        return JSONBody.response(RecordsEncoder.decision(found))
    }

    /// `GET /v1/leads/{lead_id}/history`: the lead's decisions, newest first, a page at a time.
    func history(_ request: Request, context: GatewayContext) async throws -> Response {
        let records = try recordsRuntime()
        let id = try leadID(context)
        let query = request.uri.queryParameters
        var issues: [FieldIssue] = []
        func time(_ name: String) -> Date? {
            guard let text = query.get(name) else { return nil }
            guard let ms = RFC3339.milliseconds(text) else {
                issues.append(FieldIssue(field: name, message: "must be an RFC 3339 time such as 2026-12-01T00:00:00Z, not `\(text)`."))
                return nil
            }
            return Date(timeIntervalSince1970: Double(ms) / 1000)
        }
        let since = time("since")
        let until = time("until")
        var limit = 50
        if let text = query.get("limit") {
            if let value = Int(text), (1...1000).contains(value) {
                limit = value
            } else {
                issues.append(FieldIssue(field: "limit", message: "must be a whole number from 1 to 1000, not `\(text)`."))
            }
        }
        var cursor: HistoryCursor?
        if let text = query.get("cursor"), !text.isEmpty {
            cursor = HistoryCursor(token: text)
            if cursor == nil {
                issues.append(
                    FieldIssue(field: "cursor", message: "is not a cursor this API gave. Pass next_cursor from the previous page as it is."))
            }
        }
        var fields: Set<String>?
        if let text = query.get("fields") {
            // Names between commas, exactly; an empty name (`a,,b`) or a space is an error.
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let unknown = names.filter { !$0.isEmpty && !RecordsEncoder.decisionFields.contains($0) }
            if names.contains("") || !unknown.isEmpty {
                issues.append(
                    FieldIssue(
                        field: "fields",
                        message:
                            "names \(unknown.isEmpty ? "an empty field" : unknown.map { "`\($0)`" }.joined(separator: ", ")). Use a comma list of: \(RecordsEncoder.decisionFields.joined(separator: ", "))."
                    ))
            } else {
                fields = Set(names)
            }
        }
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        let (pageCursor, pageLimit) = (cursor, limit)
        let page = try await recordsCall("read the history") {
            try await records.store.history(leadID: id, since: since, until: until, cursor: pageCursor, limit: pageLimit)
        }
        await auditRead(records, context, action: "history.read", target: Self.pseudonym(id))
        return JSONBody.response(RecordsEncoder.history(leadID: id, page, fields: fields))
    }

    /// `GET /v1/leads/{lead_id}/outcomes`: what became of the lead, oldest first, each linked to the
    /// decision before it.
    func leadOutcomes(_ request: Request, context: GatewayContext) async throws -> Response {
        let records = try recordsRuntime()
        let id = try leadID(context)
        let outcomes = try await recordsCall("read the outcomes") { try await records.store.outcomes(leadID: id) }
        await auditRead(records, context, action: "outcomes.read", target: Self.pseudonym(id))
        return JSONBody.response(RecordsEncoder.outcomes(leadID: id, outcomes))
    }

    /// `GET /v1/queue`: a work queue — each lead's latest decision in the last `window_days`, highest
    /// final score first (newest first among equals), filtered by badge, model, source, staleness and
    /// outcome; `open` (the default) leaves out leads that already have an outcome.
    func workQueue(_ request: Request, context: GatewayContext) async throws -> Response {
        let records = try recordsRuntime()
        let query = request.uri.queryParameters
        var issues: [FieldIssue] = []
        func int(_ name: String, _ range: ClosedRange<Int>, _ fallback: Int) -> Int {
            guard let text = query.get(name) else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                issues.append(
                    FieldIssue(field: name, message: "must be a whole number from \(range.lowerBound) to \(range.upperBound), not `\(text)`."))
                return fallback
            }
            return value
        }
        func text(_ name: String) -> String? {
            guard let value = query.get(name) else { return nil }
            guard (1...128).contains(value.unicodeScalars.count) else {
                issues.append(FieldIssue(field: name, message: "must be 1–128 characters, or left out for any."))
                return nil
            }
            return value
        }
        let limit = int("limit", 1...1000, 100)
        let windowDays = int("window_days", 1...3650, 30)
        let badge = text("badge")
        if let badge, !["Hot", "Warm", "Cold"].contains(badge) {
            issues.append(FieldIssue(field: "badge", message: "must be Hot, Warm or Cold (as the API writes them), not `\(badge)`."))
        }
        let model = text("model")
        let source = text("source")
        var stale: Bool?
        if let value = query.get("stale") {
            switch value {
            case "true": stale = true
            case "false": stale = false
            default: issues.append(FieldIssue(field: "stale", message: "must be true or false, not `\(value)`."))
            }
        }
        var outcome = QueueQuery.OutcomeFilter.open
        if let value = query.get("outcome") {
            switch value {
            case "open": outcome = .open
            case "any": outcome = .any
            case let name where (1...64).contains(name.unicodeScalars.count): outcome = .latest(name)
            default: issues.append(FieldIssue(field: "outcome", message: "must be open, any, or an outcome of 1–64 characters such as converted."))
            }
        }
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        let now = Date()
        let staleBefore = now.addingTimeInterval(-Double(config.liveStaleAfterSeconds))
        let wanted = QueueQuery(
            since: now.addingTimeInterval(-Double(windowDays) * 86_400), decidedBefore: stale == true ? staleBefore : nil,
            decidedAfter: stale == false ? staleBefore : nil, badge: badge, modelID: model, source: source, outcome: outcome, limit: limit)
        let entries = try await recordsCall("read the queue") { try await records.store.queue(wanted) }
        return JSONBody.response(RecordsEncoder.queue(entries, staleBefore: staleBefore, now: now))
    }

    /// `POST /v1/outcomes`: one outcome, or `{"outcomes": [...]}`; written at once (not queued), so a
    /// 200 means stored. An outcome whose `idempotency_key` is already stored is not stored again.
    func postOutcomes(_ request: Request, context: GatewayContext) async throws -> Response {
        let records = try recordsRuntime()
        let node = try await JSONBody.node(request, limit: config.maxBatchBodyBytes)
        let outcomes = try OutcomeInput.decode(
            node, maxCount: config.maxBatchLeads, validateLeadID: { pipeline.evaluator.validate(leadID: $0, notes: nil) })
        let results = try await recordsCall("store the outcomes") { try await records.store.insert(outcomes: outcomes) }
        return JSONBody.response(RecordsEncoder.stored(outcomes, results))
    }

    /// Erases the lead's records (or pseudonymises them, `privacy.erase`), after keeping its
    /// decisions still queued or journaled from ever reaching the store. Nil with `records: off`.
    func eraseRecords(_ id: String, actor: String) async throws -> (EraseMode, EraseCounts)? {
        guard let records = components.records else { return nil }
        records.recorder.forget(leadID: id)
        await records.recorder.waitForWritesInFlight()
        let mode = records.settings.erase
        let counts = try await recordsCall("erase the lead's records (its live score keys were erased)") {
            try await records.store.erase(leadID: id, mode: mode, actor: actor)
        }
        return (mode, counts)
    }

    // MARK: Plumbing

    func recordsRuntime() throws -> RecordsRuntime {
        guard let records = components.records else {
            throw Problem(
                .notFound, slug: "records-off", title: "Records are off",
                detail: "This gateway keeps no records (`records: off`). Configure records.path (SQLite) or records.url (PostgreSQL).")
        }
        return records
    }

    /// Runs a store call; a failure is 503 `records-unavailable` (retrying is safe).
    func recordsCall<T: Sendable>(_ doing: String, _ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Problem(
                .serviceUnavailable, slug: "records-unavailable", title: "The records store did not answer",
                detail: "Could not \(doing): \((error as? RecordsError)?.message ?? String(describing: error)). Retrying is safe.",
                headers: [.retryAfter: "1"])
        }
    }

    /// With `audit.reads`, an audit entry for a read (the lead named by a pseudonym, never its id).
    func auditRead(_ records: RecordsRuntime, _ context: GatewayContext, action: String, target: String) async {
        guard records.settings.auditReads else { return }
        let entry = AuditEntry(time: Date(), actor: context.principal?.subject ?? "anonymous", action: action, target: target)
        do {
            try await records.store.append(audit: [entry])
        } catch {
            context.logger.error("audit entry not written", metadata: ["action": .string(action), "error": .string("\(error)")])
        }
    }

    /// `lead:` and the first 16 hex digits of the SHA-256 of the lead id: names a lead in the audit
    /// log without its id.
    static func pseudonym(_ leadID: String) -> String {
        "lead:" + String(Hex.encode(SHA256.hash(Array(leadID.utf8))).prefix(16))
    }
}

/// Outcomes as `POST /v1/outcomes` sends them.
enum OutcomeInput {
    static let keys = ["lead_id", "outcome", "value", "occurred_at", "source", "idempotency_key"]

    static func decode(_ node: JSONNode, maxCount: Int, validateLeadID: (String?) -> [FieldIssue]) throws -> [OutcomeRecord] {
        var items: [(JSONNode, String)] = []
        if case .object = node, let list = node["outcomes"] {
            guard case .array(let elements) = list else {
                throw Problem.invalid([FieldIssue(field: "outcomes", message: "must be a list of outcomes, not \(list.typeName).")])
            }
            guard case .object(let members) = node, members.count == 1 else {
                throw Problem.invalid([FieldIssue(field: "(body)", message: "holds `outcomes` and other keys. Send one outcome, or only `outcomes`.")]
                )
            }
            guard (1...maxCount).contains(elements.count) else {
                throw Problem.invalid([
                    FieldIssue(field: "outcomes", message: "has \(elements.count) outcomes. Send 1–\(maxCount) (limits.max_batch_leads).")
                ])
            }
            items = elements.enumerated().map { ($1, "outcomes[\($0)].") }
        } else {
            items = [(node, "")]
        }
        var issues: [FieldIssue] = []
        var outcomes: [OutcomeRecord] = []
        outcomes.reserveCapacity(items.count)
        let now = Date()
        for (item, prefix) in items {
            guard case .object(let members) = item else {
                issues.append(
                    FieldIssue(
                        field: prefix.isEmpty ? "(body)" : String(prefix.dropLast()), message: "must be an outcome object, not \(item.typeName)."))
                continue
            }
            var issuesHere: [FieldIssue] = []
            func issue(_ key: String, _ message: String) { issuesHere.append(FieldIssue(field: prefix + key, message: message)) }
            for (key, _) in members where !keys.contains(key) {
                issue(key, "is not a field of an outcome. Use \(keys.joined(separator: ", ")).")
            }
            func text(_ key: String, max: Int, required: Bool = false) -> String? {
                switch item[key] {
                case nil, .null?:
                    if required { issue(key, "is required.") }
                    return nil
                case .string(let given)?:
                    // NUL cannot be stored in PostgreSQL text.
                    let s = given.utf8.contains(0) ? given.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : given
                    guard !s.isEmpty, s.count <= max else {
                        issue(key, "must be 1–\(max) characters; it has \(s.count).")
                        return nil
                    }
                    return s
                case let other?:
                    issue(key, "must be a string, not \(other.typeName).")
                    return nil
                }
            }
            let leadID = text("lead_id", max: 1024, required: true)
            if let leadID {
                for found in validateLeadID(leadID) { issuesHere.append(FieldIssue(field: prefix + found.field, message: found.message)) }
            }
            let outcome = text("outcome", max: 64, required: true)
            if let outcome, !outcome.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) {
                issue("outcome", "must be lower-case letters, digits, `_` or `-` (converted, lost, disqualified, ...), not `\(outcome)`.")
            }
            var value: Double?
            switch item["value"] {
            case nil, .null?: break
            case .number(let x)?: value = x
            case let other?: issue("value", "must be a number (the deal's value) or null, not \(other.typeName).")
            }
            var occurredAt = now
            if let text = text("occurred_at", max: 64) {
                if let ms = RFC3339.milliseconds(text) {
                    occurredAt = Date(timeIntervalSince1970: Double(ms) / 1000)
                } else {
                    issue("occurred_at", "must be an RFC 3339 time such as 2026-12-01T15:04:05Z, not `\(text)`.")
                }
            }
            let source = text("source", max: 128)
            let key = text("idempotency_key", max: 256)
            issues += issuesHere
            if issuesHere.isEmpty, let leadID, let outcome {
                outcomes.append(
                    OutcomeRecord(leadID: leadID, outcome: outcome, value: value, occurredAt: occurredAt, source: source, idempotencyKey: key))
            }
        }
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        return outcomes
    }
}
