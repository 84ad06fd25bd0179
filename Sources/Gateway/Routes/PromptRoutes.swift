import Foundation
import Hummingbird
import JSON
import Logging
import Reranker
import Scoring

/// `prompts.admin` routes: list the prompts, render one for a lead without calling the LLM, try one
/// against the LLM without caching, and change the rollout.
extension Routes {
    func registerPrompts(on router: Router<GatewayContext>) {
        let admin = router.group().add(middleware: AuthMiddleware(authenticator: authenticator, scope: .promptsAdmin))
        admin.get("/v1/prompts") { _, _ in try listPrompts() }
        admin.post("/v1/prompts/{id}/render") { request, context in try await renderPrompt(request, context: context, call: false) }
        admin.post("/v1/prompts/{id}/try") { request, context in try await renderPrompt(request, context: context, call: true) }
        admin.put("/v1/admin/prompts/rollout") { request, context in try await setRollout(request, context: context) }
    }

    func promptRegistry() throws -> PromptRegistry {
        guard let prompts = service.prompts else {
            throw Problem(
                .conflict, slug: "llm-disabled", title: "No LLM is configured",
                detail: "Prompts are loaded with the LLM step. Set llm.base_url (or LEADGATE_LLM_BASE_URL) and restart.")
        }
        return prompts
    }

    func listPrompts() throws -> Response {
        guard service.prompts != nil else { return Self.json(#"{"llm":"disabled","prompts":[]}"#) }
        let registry = try promptRegistry()
        let snapshot = registry.snapshot
        var w = JSONWriter(capacity: 2048)
        w.beginObject()
        w.field("directory", registry.directory)
        writeRollout(&w, snapshot)
        w.key("prompts")
        w.beginArray()
        for entry in snapshot.entries {
            w.beginObject()
            w.field("file", (entry.file as NSString).lastPathComponent)
            if let prompt = entry.prompt {
                w.field("id", prompt.id)
                w.field("version", prompt.version)
                w.field("hash", prompt.hash)
                w.field("role", snapshot.role(of: prompt.id))
                w.field("description", prompt.description)
                if let model = prompt.model { w.field("model", model) }
                w.field("temperature", prompt.temperature, digits: 3)
                w.field("max_tokens", prompt.maxTokens)
                w.field("reasoning_max_chars", prompt.reasoningMaxChars)
                w.key("variables")
                w.beginArray()
                for name in prompt.variablesUsed.sorted() { w.string(name) }
                w.endArray()
                w.key("warnings")
                w.beginArray()
                for warning in prompt.warnings { w.string(warning) }
                w.endArray()
            }
            if let error = entry.error { w.field("error", error) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return Self.json(w.text)
    }

    func writeRollout(_ w: inout JSONWriter, _ snapshot: PromptRegistry.Snapshot) {
        w.key("rollout")
        w.beginObject()
        w.field("live", snapshot.rollout.live)
        if let candidate = snapshot.rollout.candidate {
            w.field("candidate", candidate)
            w.field("share", snapshot.rollout.share, digits: 4)
        }
        w.field("source", snapshot.rolloutSource)
        if let error = snapshot.rolloutError { w.field("error", error) }
        w.endObject()
    }

    /// Scores the lead in the body, renders the prompt for it and, with `call`, asks the LLM (no
    /// cache read or write, no live score stored).
    func renderPrompt(_ request: Request, context: GatewayContext, call: Bool) async throws -> Response {
        let registry = try promptRegistry()
        let id = context.parameters.get("id") ?? ""
        guard let prompt = registry.snapshot.prompt(id) else {
            throw Problem(
                .notFound, slug: "no-such-prompt", title: "No such prompt",
                detail: "No loaded prompt has id `\(id)`. GET /v1/prompts lists them (a file that does not load shows its error there).")
        }
        guard let reranker = service.reranker else {
            throw Problem(
                .conflict, slug: "llm-disabled", title: "No LLM is configured", detail: "Set llm.base_url (or LEADGATE_LLM_BASE_URL) and restart.")
        }
        let data = try await readJSON(request, limit: config.maxBodyBytes)
        let input = LeadInput(try Self.parse(data))
        switch await PromptDryRun.run(
            service: service, reranker: reranker, prompt: prompt, role: registry.snapshot.role(of: id), input: input, call: call)
        {
        case .success(let json): return Self.json(json)
        case .failure(let problem): throw problem
        }
    }

    func setRollout(_ request: Request, context: GatewayContext) async throws -> Response {
        let registry = try promptRegistry()
        let data = try await readJSON(request, limit: 64 * 1024)
        let node = try Self.parse(data)
        var issues: [FieldIssue] = []
        guard case .object(let members) = node else {
            throw Problem.invalid([FieldIssue(field: "body", message: "must be an object with live, candidate and share.")])
        }
        for (key, _) in members where !["live", "candidate", "share"].contains(key) {
            issues.append(FieldIssue(field: key, message: "is not a rollout field. Use live, candidate and share."))
        }
        let current = registry.snapshot.rollout
        var rollout = current
        if let live = node["live"] {
            if let text = live.string {
                rollout.live = text
            } else {
                issues.append(FieldIssue(field: "live", message: "must be a prompt id (a string)."))
            }
        }
        if let candidate = node["candidate"] {
            if candidate.isNull {
                rollout.candidate = nil
                rollout.share = 0
            } else if let text = candidate.string {
                rollout.candidate = text
            } else {
                issues.append(FieldIssue(field: "candidate", message: "must be a prompt id, or null for none."))
            }
        }
        if let share = node["share"] {
            if let value = share.number {
                rollout.share = value
            } else {
                issues.append(FieldIssue(field: "share", message: "must be a number from 0 to 1."))
            }
        }
        guard issues.isEmpty else { throw Problem.invalid(issues) }
        switch registry.setRollout(rollout) {
        case .failure(let error):
            throw Problem.invalid([FieldIssue(field: "rollout", message: error.message)])
        case .success(let snapshot):
            context.logger.notice("prompt rollout changed", metadata: ["rollout": .string(PromptRegistry.describe(snapshot.rollout))])
            var w = JSONWriter()
            w.beginObject()
            writeRollout(&w, snapshot)
            w.endObject()
            return Self.json(w.text)
        }
    }
}

/// A prompt rendered for one lead (and, when asked, tried against the LLM), as JSON: the route
/// `POST /v1/prompts/{id}/render|try` and `leadgate prompts render` share it.
enum PromptDryRun {
    static func run(
        service: ScoringService, reranker: LLMReranker, prompt: PromptTemplate, role: String, input: LeadInput, call: Bool
    ) async -> Result<String, Problem> {
        var input = input
        input.options.rerank = true
        input.options.explain = true
        var lead: ScoringService.Evaluated
        switch service.evaluate(input, snapshot: service.registry.snapshot) {
        case .failure(let problem): return .failure(problem)
        case .success(let value): lead = value
        }
        lead.prompt = prompt
        lead.promptRole = role
        let facts = service.promptFacts(lead)
        let messages = prompt.render(facts)
        var w = JSONWriter(capacity: 8192)
        w.beginObject()
        ScoringService.writePrompt(&w, prompt, role: role, reranker: reranker)
        w.key("messages")
        w.beginArray()
        for (name, content) in [("system", messages.system), ("user", messages.user)] {
            w.beginObject()
            w.field("role", name)
            w.field("content", content)
            w.endObject()
        }
        w.endArray()
        w.field("probability", lead.score.probability, digits: 6)
        w.field("base_score", lead.score.baseScore)
        w.field("base_badge", lead.score.baseBadge.rawValue)
        if call {
            let outcome = await reranker.adjust(facts, prompt: prompt, keepRaw: true)
            let scored = service.finish(lead, outcome: outcome, scoredAt: Timestamp.iso8601(Date()))
            w.key("answer")
            if let raw = outcome.raw {
                w.beginObject()
                w.field("http_status", raw.status)
                w.field("body", raw.body)
                w.endObject()
            } else {
                w.null()
            }
            w.key("rerank")
            service.renderRerank(&w, outcome, prompt: prompt, role: role)
            var multiplier = 1.0
            if case .applied(let adjustment) = outcome.result { multiplier = adjustment.multiplier }
            w.field("score", LeadScorer.scoreValue(lead.score.probability, multiplier: multiplier))
            w.field("badge", scored.badge.rawValue)
            if case .fallback(_, let detail) = outcome.result { w.field("fallback_detail", detail) }
        } else {
            w.key("request")
            w.raw(String(decoding: reranker.requestBody(messages, prompt: prompt), as: UTF8.self))
        }
        w.endObject()
        return .success(w.text)
    }
}
