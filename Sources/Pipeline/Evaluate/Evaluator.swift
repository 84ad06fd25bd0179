import Reranker
public import Scoring

/// The first step: validates a lead, picks its model (default, challenger share, a requested
/// version, or the fallback) and scores it; with an LLM, also picks the prompt and computes the key
/// of the LLM answer in the cache.
public struct Evaluator: Sendable {
    public let registry: ModelRegistry
    let settings: PipelineSettings
    let reranker: LLMReranker?
    let prompts: PromptRegistry?

    /// Validates and scores one lead. `shared` are batch-level options (a lead's own options win).
    public func evaluate(_ input: LeadInput, shared: ScoreOptions = ScoreOptions(), snapshot: ModelRegistry.Snapshot) -> Result<
        EvaluatedLead, Problem
    > {
        var issues = input.issues
        let leadID = input.leadID ?? ""
        issues += validate(leadID: input.leadID, notes: input.notes)
        if settings.requireConsent, input.consent != true {
            issues.append(
                FieldIssue(
                    field: "consent",
                    message:
                        "must be true: this gateway scores and keeps only leads that agreed (privacy.require_consent), and nothing of this lead was stored. Send \"consent\": true once the lead has agreed."
                ))
        }
        let requested = input.options.model ?? shared.model
        var model: LoadedModel?
        var role = "default"
        do {
            model = try registry.select(leadID: leadID, requested: requested, in: snapshot)
            if requested != nil {
                role = "requested"
            } else if let m = model, m === snapshot.challenger, m !== snapshot.primary {
                role = "challenger"
            } else if snapshot.isDegraded {
                role = "fallback"
            }
        } catch {
            issues.append(Self.unknownModel(error))
        }
        guard let model else { return .failure(.invalid(issues)) }
        let explain = input.options.explain ?? shared.explain ?? true
        let rerank = input.options.rerank ?? shared.rerank ?? true
        let wantsLLM = rerank && reranker != nil
        let lead = Lead(id: leadID, features: input.features)
        // Field problems are reported together with the lead's other problems. The LLM's prompt
        // needs the reasons even when the response leaves them out.
        switch model.scorer.score(lead, explain: (explain || wantsLLM) && issues.isEmpty, rejectUnknownFields: settings.rejectUnknownFields) {
        case .invalid(let problems):
            return .failure(.invalid(issues + problems))
        case .scored(let score):
            guard issues.isEmpty else { return .failure(.invalid(issues)) }
            var key: String?
            var chosen: (prompt: PromptTemplate, role: String)?
            if wantsLLM, let reranker {
                chosen = prompts.flatMap { $0.select(leadID: leadID, in: $0.snapshot) } ?? (reranker.prompt, "live")
                if let chosen {
                    key = AdjustmentCache.key(
                        model: model, features: input.features, notes: input.notes, leadID: leadID, reranker: reranker, prompt: chosen.prompt)
                }
            }
            return .success(
                EvaluatedLead(
                    leadID: leadID, score: score, model: model, role: role, rerank: rerank, explain: explain, notes: input.notes,
                    features: input.features, requestedModel: requested, cacheKey: key, prompt: chosen?.prompt,
                    promptRole: chosen?.role ?? "live", consent: input.consent))
        }
    }

    /// The issue for a model a request names that is not loaded.
    public static func unknownModel(_ error: ModelRegistry.SelectionError) -> FieldIssue {
        FieldIssue(
            field: "options.model",
            message: "`\(error.requested)` is not a loaded model. Use one of: \(error.available.joined(separator: ", ")) (GET /v1/models).")
    }

    /// The lead id (1–`maxLeadIDChars`, no spaces, controls, `/`, `?` or `#`) and the notes' length.
    public func validate(leadID: String?, notes: String?) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        let maxID = settings.maxLeadIDChars
        if let id = leadID {
            if id.isEmpty || id.count > maxID {
                issues.append(FieldIssue(field: "lead_id", message: "must be 1–\(maxID) characters; it has \(id.count)."))
            } else if id.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || $0 == "/" || $0 == "?" || $0 == "#" }) {
                issues.append(
                    FieldIssue(field: "lead_id", message: "must not contain spaces, control characters, `/`, `?` or `#`. Use your CRM's id as is."))
            }
        } else {
            issues.append(FieldIssue(field: "lead_id", message: "is required. Send the lead's id as a string."))
        }
        if let notes, notes.count > settings.maxNotesChars {
            issues.append(FieldIssue(field: "notes", message: "has \(notes.count) characters; the limit is \(settings.maxNotesChars). Shorten it."))
        }
        return issues
    }
}
