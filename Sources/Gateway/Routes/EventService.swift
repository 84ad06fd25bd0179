import Foundation
import HTTPTypes
import JSON
import Reranker
import Scoring
import Store

/// Events: a lead's activity folded into its fields by the model's manifest, and the lead scored
/// again at once.
extension ScoringService {
    /// The outcome of folding a lead's events.
    struct Folded: Sendable {
        var lead: Evaluated
        /// Per new event, whether it was stored (false: a duplicate id).
        var inserted: [Bool]
        /// Events held for the lead after expiry.
        var held: Int
        var values: [String: LeadValue]
    }

    /// The event types some loaded model takes.
    func acceptedEventTypes(in snapshot: ModelRegistry.Snapshot) -> Set<String> {
        snapshot.models.reduce(into: Set<String>()) { $0.formUnion($1.manifest.events?.acceptedTypes ?? []) }
    }

    /// Checks what the store cannot: that every event's type is taken by a loaded model, and that a
    /// property a `latest` rule reads is a valid value for its field.
    func check(_ events: [LeadEvent], path: String, snapshot: ModelRegistry.Snapshot) -> [FieldIssue] {
        let accepted = acceptedEventTypes(in: snapshot)
        var issues: [FieldIssue] = []
        for (index, event) in events.enumerated() {
            let at = path.isEmpty ? "" : "\(path)[\(index)]."
            guard accepted.contains(event.type) else {
                let list = accepted.sorted().joined(separator: ", ")
                issues.append(
                    FieldIssue(
                        field: "\(at)type",
                        message: accepted.isEmpty
                            ? "cannot be taken: no loaded model declares `events` in its manifest. Add an `events` block to a manifest (README: Models and manifests)."
                            : "`\(event.type)` is not an event type of the loaded models. Use one of: \(list)."))
                continue
            }
            for model in snapshot.models {
                guard let rules = model.manifest.events else { continue }
                for (property, field) in rules.valueRules(type: event.type) {
                    guard let value = event.properties[property], value != .null else { continue }
                    if let problem = model.scorer.encoder.problem(field: field, value: value, model: model.ensemble) {
                        issues.append(FieldIssue(field: "\(at)properties.\(property)", message: "sets `\(field)`, which \(problem)"))
                    }
                }
            }
        }
        return issues
    }

    /// Stores `events` (those whose ids are new), reads the lead's whole log and the input of its
    /// live score, folds the log with the model's rules as of now, and scores the lead with the
    /// folded fields over the input's. With no events it only folds (a refresh).
    func fold(leadID: String, events: [LeadEvent], options: ScoreOptions, nowMS: Int64) async -> Result<Folded, Problem> {
        let stored = events.map { StoredEvent(id: $0.id, json: Self.eventJSON($0)) }
        let log: EventLog
        switch await store.appendEvents(leadID: leadID, events: stored, timeout: .milliseconds(config.redisReadTimeoutMS)) {
        case .success(let value): log = value
        case .failure(let error):
            return .failure(
                Problem(
                    .serviceUnavailable, slug: "store-unavailable", title: "The store did not answer",
                    detail: "The events were not stored: \(error.message). Send them again (a retry is safe: events count once by event_id).",
                    headers: [.retryAfter: "1"]))
        }
        var base = LeadInput(.object([]))
        if let input = log.input, case .object(let members)? = try? JSONReader.parse(Data(input.utf8)) {
            base = LeadInput(.object(members.filter { $0.key != Self.foldMarker }))
        }
        base.leadID = leadID
        if let model = options.model { base.options.model = model }
        if let rerank = options.rerank { base.options.rerank = rerank }
        if let explain = options.explain { base.options.explain = explain }
        let snapshot = registry.snapshot
        let model: LoadedModel
        do {
            model = try registry.select(leadID: leadID, requested: base.options.model, in: snapshot)
        } catch {
            return .failure(
                .invalid([
                    FieldIssue(
                        field: "options.model",
                        message:
                            "`\(error.requested)` is not a loaded model. Use one of: \(error.available.joined(separator: ", ")) (GET /v1/models).")
                ]))
        }
        guard let rules = model.manifest.events else {
            return .failure(
                .invalid([
                    FieldIssue(
                        field: "options.model",
                        message: "`\(model.id)@\(model.version)` declares no `events` in its manifest. Pick a model that does, or add them.")
                ]))
        }
        var all: [LeadEvent] = []
        all.reserveCapacity(log.events.count)
        for (id, json) in log.events { if let event = Self.event(id: id, json: json) { all.append(event) } }
        let expired = rules.expired(all, nowMS: nowMS)
        if !expired.isEmpty {
            store.dropEvents(leadID: leadID, ids: expired)
            let gone = Set(expired)
            all.removeAll { gone.contains($0.id) }
        }
        let values = rules.fold(all, nowMS: nowMS)
        var merged = base
        for (field, value) in values { merged.features[field] = value }
        merged.notes = Self.notes(base.notes, transcript: rules.transcript(all), limit: config.maxNotesChars)
        switch evaluate(merged, snapshot: snapshot) {
        case .failure(let problem): return .failure(problem)
        case .success(var lead):
            var plain = lead
            plain.features = base.features
            plain.notes = base.notes
            lead.storedInput = Self.inputJSON(plain, marker: true)
            return .success(Folded(lead: lead, inserted: log.inserted, held: all.count, values: values))
        }
    }

    /// Handles `POST /v1/leads/{id}/events`: stores and folds, answers the new model score at once
    /// and refreshes the LLM step in the background.
    func ingest(leadID: String, batch: EventBatchInput, nowMS: Int64) async -> Result<String, Problem> {
        var issues = batch.issues + validate(leadID: leadID, notes: nil)
        if issues.isEmpty { issues += check(batch.events, path: batch.pathPrefix, snapshot: registry.snapshot) }
        guard issues.isEmpty else { return .failure(.invalid(issues)) }
        switch await fold(leadID: leadID, events: batch.events, options: batch.options, nowMS: nowMS) {
        case .failure(let problem):
            metrics.events(accepted: 0, duplicates: 0, rejected: batch.events.count)
            return .failure(problem)
        case .success(let folded):
            let accepted = folded.inserted.filter { $0 }.count
            metrics.events(accepted: accepted, duplicates: folded.inserted.count - accepted, rejected: 0)
            let lead = folded.lead
            let wantsLLM = lead.rerank && reranker != nil
            let scored = finish(
                lead, outcome: wantsLLM ? Self.pending : noLLMStep(lead),
                scoredAt: Timestamp.iso8601(Date()))
            saveLive(scored, lead: lead)
            if wantsLLM { refreshInBackground(lead) }
            metrics.scored(model: scored.model, badges: [scored.badge])
            var w = JSONWriter(capacity: scored.json.utf8.count + 256 + batch.events.count * 48)
            w.beginObject()
            w.key("events")
            w.beginObject()
            w.field("received", batch.events.count)
            w.field("accepted", accepted)
            w.field("duplicates", folded.inserted.count - accepted)
            w.field("held", folded.held)
            w.key("results")
            w.beginArray()
            for (event, new) in zip(batch.events, folded.inserted) {
                w.beginObject()
                w.field("event_id", event.id)
                w.field("status", new ? "accepted" : "duplicate")
                w.endObject()
            }
            w.endArray()
            w.endObject()
            w.key("from_events")
            w.beginObject()
            for (field, value) in folded.values.sorted(by: { $0.key < $1.key }) { w.key(field); Self.write(&w, value) }
            w.endObject()
            var text = w.text
            text += scored.json.utf8.first == UInt8(ascii: "{") && scored.json.utf8.count > 2 ? "," + scored.json.dropFirst() : "}"
            return .success(text)
        }
    }

    /// Handles `POST /v1/leads/events`: events of many leads (each names its `lead_id`), grouped by
    /// lead and handled as that lead's events request, 16 leads at a time. One entry per lead, in the
    /// order of their first event: the lead's answer, or `{"index", "lead_id", "error"}`.
    func ingestBulk(_ batch: EventBatchInput, nowMS: Int64) async -> Result<String, Problem> {
        var issues = batch.issues
        if issues.isEmpty {
            for (index, lead) in batch.leadIDs.enumerated() {
                for issue in validate(leadID: lead, notes: nil) {
                    issues.append(FieldIssue(field: "events[\(index)].lead_id", message: issue.message))
                }
            }
            issues += check(batch.events, path: "events", snapshot: registry.snapshot)
        }
        guard issues.isEmpty else { return .failure(.invalid(issues)) }
        var order: [String] = []
        var byLead: [String: [LeadEvent]] = [:]
        for (lead, event) in zip(batch.leadIDs, batch.events) {
            if byLead[lead] == nil { order.append(lead) }
            byLead[lead, default: []].append(event)
        }
        let options = batch.options
        var answers = [Result<String, Problem>?](repeating: nil, count: order.count)
        await withTaskGroup(of: (Int, Result<String, Problem>).self) { group in
            var next = 0
            func start() {
                guard next < order.count else { return }
                let i = next
                next += 1
                let lead = order[i]
                let events = byLead[lead] ?? []
                group.addTask { (i, await self.ingest(leadID: lead, batch: EventBatchInput(events: events, options: options), nowMS: nowMS)) }
            }
            for _ in 0..<16 { start() }
            for await (i, answer) in group {
                answers[i] = answer
                start()
            }
        }
        var w = JSONWriter(capacity: 1024 * order.count + 128)
        var failed = 0
        w.beginObject()
        w.field("leads_count", order.count)
        w.field("events_count", batch.events.count)
        w.key("results")
        w.beginArray()
        for (i, answer) in answers.enumerated() {
            switch answer {
            case .success(let json)?: w.raw(json)
            case .failure(let problem)?:
                failed += 1
                Self.writeFailure(&w, index: i, leadID: order[i], problem: problem)
            case nil:
                failed += 1
                Self.writeFailure(&w, index: i, leadID: order[i], problem: .invalid([]))
            }
        }
        w.endArray()
        w.field("failed", failed)
        w.endObject()
        return .success(w.text)
    }

    /// The lead's notes with the latest transcript segments after them, within `limit` characters
    /// (the oldest transcript text goes first). The LLM step reads them as untrusted notes.
    static func notes(_ notes: String?, transcript: [String], limit: Int) -> String? {
        guard !transcript.isEmpty else { return notes }
        let head = notes.map { $0 + "\n\n" } ?? ""
        var said = "What the caller said (latest call transcript segments, oldest first):\n" + transcript.joined(separator: "\n")
        let room = limit - head.count
        guard room > 80 else { return notes }
        if said.count > room { said = "…" + said.suffix(room - 1) }
        return head + said
    }

    /// The key that marks a live score's input as folded from events, so a refresh folds them again.
    static let foldMarker = "fold_events"

    /// `{"type", "at", "p"}`: an event as the store keeps it (its id is the key).
    static func eventJSON(_ event: LeadEvent) -> String {
        var w = JSONWriter(capacity: 96)
        w.beginObject()
        w.field("type", event.type)
        w.field("at", Int(event.atMS))
        if !event.properties.isEmpty {
            w.key("p")
            w.beginObject()
            for (name, value) in event.properties.sorted(by: { $0.key < $1.key }) { w.key(name); write(&w, value) }
            w.endObject()
        }
        w.endObject()
        return w.text
    }

    static func event(id: String, json: String) -> LeadEvent? {
        guard let node = try? JSONReader.parse(Data(json.utf8)), let type = node["type"]?.string, let at = node["at"]?.number else { return nil }
        var properties: [String: LeadValue] = [:]
        if case .object(let members)? = node["p"] {
            for (name, value) in members {
                switch value {
                case .number(let x): properties[name] = .number(x)
                case .bool(let b): properties[name] = .bool(b)
                case .string(let s): properties[name] = .string(s)
                default: properties[name] = .null
                }
            }
        }
        return LeadEvent(id: id, type: type, atMS: Int64(at), properties: properties)
    }

    static func write(_ w: inout JSONWriter, _ value: LeadValue) {
        switch value {
        case .number(let v): w.number(v, digits: 12)
        case .bool(let b): w.bool(b)
        case .string(let t): w.string(t)
        case .null: w.null()
        }
    }
}
