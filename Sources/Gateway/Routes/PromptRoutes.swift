import Foundation
import Hummingbird
import JSON
import Logging
import Pipeline
import PromptOps
import Reranker
import Scoring

/// `prompts.admin` routes: list the prompts, render one for a lead without calling the LLM, try one
/// against the LLM without caching, and change the rollout.
extension Routes {
    func promptRegistry() throws -> PromptRegistry {
        guard let prompts = pipeline.prompts else {
            throw Problem(
                .conflict, slug: "llm-disabled", title: "No LLM is configured",
                detail: "Prompts are loaded with the LLM step. Set llm.base_url (or LEADGATE_LLM_BASE_URL) and restart.")
        }
        return prompts
    }

    func listPrompts() throws -> Response {
        guard pipeline.prompts != nil else { return JSONBody.response(#"{"llm":"disabled","prompts":[]}"#) }
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
        return JSONBody.response(w.text)
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
        guard let reranker = pipeline.reranker else {
            throw Problem(
                .conflict, slug: "llm-disabled", title: "No LLM is configured", detail: "Set llm.base_url (or LEADGATE_LLM_BASE_URL) and restart.")
        }
        let input = LeadInput(try await JSONBody.node(request, limit: config.maxBodyBytes))
        let json = try await PromptDryRun.run(
            pipeline: pipeline, reranker: reranker, prompt: prompt, role: registry.snapshot.role(of: id), input: input, call: call
        ).get()
        return JSONBody.response(json)
    }

    func setRollout(_ request: Request, context: GatewayContext) async throws -> Response {
        let registry = try promptRegistry()
        let node = try await JSONBody.node(request, limit: 64 * 1024)
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
            return JSONBody.response(w.text)
        }
    }
}
