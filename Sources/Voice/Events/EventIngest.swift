import Foundation
import HTTPTypes
import JSON
public import Pipeline
import Scoring
import Store

/// Events: a lead's activity folded into its fields by the model's manifest, and the lead scored
/// again at once (its LLM step in the background). Also rebuilds event-made leads for the
/// pipeline's refreshes.
public final class EventIngest: EventRefolding {
    public let pipeline: ScoringPipeline
    let metrics: VoiceMetrics

    public init(pipeline: ScoringPipeline, metrics: VoiceMetrics) {
        self.pipeline = pipeline
        self.metrics = metrics
    }

    /// The outcome of folding a lead's events.
    struct Folded: Sendable {
        var lead: EvaluatedLead
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
        let stored = events.map { StoredEvent(id: $0.id, json: EventCoding.json($0)) }
        let log: EventLog
        switch await pipeline.store.appendEvents(leadID: leadID, events: stored, timeout: pipeline.settings.readTimeout) {
        case .success(let value): log = value
        case .failure(let error):
            return .failure(
                .storeUnavailable("The events were not stored: \(error.message). Send them again (a retry is safe: events count once by event_id)."))
        }
        var base = LeadInput(.object([]))
        if let input = log.input, case .object(let members)? = try? JSONReader.parse(Data(input.utf8)) {
            base = LeadInput(.object(members.filter { $0.key != EvaluatedLead.foldMarker }))
        }
        base.leadID = leadID
        if let model = options.model { base.options.model = model }
        if let rerank = options.rerank { base.options.rerank = rerank }
        if let explain = options.explain { base.options.explain = explain }
        let registry = pipeline.registry
        let snapshot = registry.snapshot
        let model: LoadedModel
        do {
            model = try registry.select(leadID: leadID, requested: base.options.model, in: snapshot)
        } catch {
            return .failure(.invalid([Evaluator.unknownModel(error)]))
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
        for (id, json) in log.events { if let event = EventCoding.event(id: id, json: json) { all.append(event) } }
        let expired = rules.expired(all, nowMS: nowMS)
        if !expired.isEmpty {
            pipeline.store.dropEvents(leadID: leadID, ids: expired)
            let gone = Set(expired)
            all.removeAll { gone.contains($0.id) }
        }
        let values = rules.fold(all, nowMS: nowMS)
        var merged = base
        for (field, value) in values { merged.features[field] = value }
        merged.notes = Self.notes(base.notes, transcript: rules.transcript(all), limit: pipeline.settings.maxNotesChars)
        switch pipeline.evaluate(merged, snapshot: snapshot) {
        case .failure(let problem): return .failure(problem)
        case .success(var lead):
            var plain = lead
            plain.features = base.features
            plain.notes = base.notes
            lead.storedInput = plain.storedInputJSON(marker: true)
            return .success(Folded(lead: lead, inserted: log.inserted, held: all.count, values: values))
        }
    }

    /// The lead as its events make it now (for a refresh of its live score).
    public func refold(leadID: String) async -> EvaluatedLead? {
        try? await fold(leadID: leadID, events: [], options: ScoreOptions(), nowMS: Timestamp.nowMS()).get().lead
    }

    /// `POST /v1/leads/{id}/events`: stores and folds, answers the new model score at once and
    /// refreshes the LLM step in the background.
    public func ingest(leadID: String, batch: EventBatchInput, nowMS: Int64, context: DecisionContext = DecisionContext(kind: .event)) async
        -> Result<EventsResult, Problem>
    {
        var issues = batch.issues + pipeline.evaluator.validate(leadID: leadID, notes: nil)
        if issues.isEmpty { issues += check(batch.events, path: batch.pathPrefix, snapshot: pipeline.registry.snapshot) }
        guard issues.isEmpty else { return .failure(.invalid(issues)) }
        switch await fold(leadID: leadID, events: batch.events, options: batch.options, nowMS: nowMS) {
        case .failure(let problem):
            metrics.events(accepted: 0, duplicates: 0, rejected: batch.events.count)
            return .failure(problem)
        case .success(let folded):
            let accepted = folded.inserted.filter { $0 }.count
            metrics.events(accepted: accepted, duplicates: folded.inserted.count - accepted, rejected: 0)
            let scored = pipeline.scoreNowAdjustLater(folded.lead, context: context)
            pipeline.metrics.scored(model: scored.model, badges: [scored.badge])
            return .success(
                EventsResult(
                    scored: scored, received: batch.events.count, accepted: accepted, duplicates: folded.inserted.count - accepted,
                    held: folded.held, events: zip(batch.events, folded.inserted).map { ($0.id, $1) },
                    fromEvents: folded.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        }
    }

    /// `POST /v1/leads/events`: events of many leads (each names its `lead_id`), grouped by lead and
    /// handled as that lead's events request, 16 leads at a time. One bad event refuses the request.
    public func ingestBulk(_ batch: EventBatchInput, nowMS: Int64, context: DecisionContext = DecisionContext(kind: .event)) async -> Result<
        BulkEventsResult, Problem
    > {
        var issues = batch.issues
        if issues.isEmpty {
            for (index, lead) in batch.leadIDs.enumerated() {
                for issue in pipeline.evaluator.validate(leadID: lead, notes: nil) {
                    issues.append(FieldIssue(field: "events[\(index)].lead_id", message: issue.message))
                }
            }
            issues += check(batch.events, path: "events", snapshot: pipeline.registry.snapshot)
        }
        guard issues.isEmpty else { return .failure(.invalid(issues)) }
        var order: [String] = []
        var byLead: [String: [LeadEvent]] = [:]
        for (lead, event) in zip(batch.leadIDs, batch.events) {
            if byLead[lead] == nil { order.append(lead) }
            byLead[lead, default: []].append(event)
        }
        let options = batch.options
        var answers = [Result<EventsResult, Problem>?](repeating: nil, count: order.count)
        await withTaskGroup(of: (Int, Result<EventsResult, Problem>).self) { group in
            var next = 0
            func start() {
                guard next < order.count else { return }
                let i = next
                next += 1
                let lead = order[i]
                let events = byLead[lead] ?? []
                group.addTask {
                    (
                        i,
                        await self.ingest(
                            leadID: lead, batch: EventBatchInput(events: events, options: options), nowMS: nowMS, context: context.at(i))
                    )
                }
            }
            for _ in 0..<16 { start() }
            for await (i, answer) in group {
                answers[i] = answer
                start()
            }
        }
        let leads = order.enumerated().map { i, lead in (lead, answers[i] ?? .failure(Problem.invalid([]))) }
        return .success(BulkEventsResult(leads: leads, eventCount: batch.events.count))
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
}

/// An event as the store keeps it: `{"type", "at", "p"}` (its id is the key).
enum EventCoding {
    static func json(_ event: LeadEvent) -> String {
        var w = JSONWriter(capacity: 96)
        w.beginObject()
        w.field("type", event.type)
        w.field("at", Int(event.atMS))
        if !event.properties.isEmpty {
            w.key("p")
            w.beginObject()
            for (name, value) in event.properties.sorted(by: { $0.key < $1.key }) { w.key(name); w.value(value) }
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
}
