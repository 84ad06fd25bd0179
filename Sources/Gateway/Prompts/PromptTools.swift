public import Foundation
import JSON
import Reranker
public import Scoring
import Store

/// What `leadgate prompts lint` and `leadgate prompts render` do, outside a running gateway.
public enum PromptTools {
    public struct LintReport: Sendable {
        public var file: String
        public var id: String?
        public var errors: [String]
        public var warnings: [String]
    }

    /// Checks every `*.prompt` file of `directory` (and `rollout.yaml` when present): syntax, front
    /// matter, variables, size, ids used twice.
    public static func lint(directory: String) -> [LintReport] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".prompt") }.sorted()
        var reports: [LintReport] = []
        var ids: [String: String] = [:]
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            var report = LintReport(file: path, errors: [], warnings: [])
            do {
                let prompt = try PromptTemplate(contentsOfFile: path)
                report.id = prompt.id
                report.warnings = prompt.warnings
                if let other = ids[prompt.id] {
                    report.errors.append("id `\(prompt.id)` is already used by \(other). Give each prompt its own id.")
                }
                ids[prompt.id] = path
            } catch {
                report.errors.append(error.message.hasPrefix(path + ": ") ? String(error.message.dropFirst(path.count + 2)) : error.message)
            }
            reports.append(report)
        }
        let rollout = (directory as NSString).appendingPathComponent("rollout.yaml")
        if FileManager.default.fileExists(atPath: rollout) {
            var report = LintReport(file: rollout, errors: [], warnings: [])
            var snapshot = PromptRegistry.Snapshot(entries: [], rollout: .init(live: ""), rolloutSource: "", generation: 0)
            snapshot.entries = reports.compactMap { r in
                r.errors.isEmpty ? (try? PromptTemplate(contentsOfFile: r.file)).map { PromptRegistry.Entry(file: r.file, prompt: $0) } : nil
            }
            if case .failure(let refusal) = PromptRegistry.readRollout(rollout, prompts: snapshot) { report.errors.append(refusal.message) }
            reports.append(report)
        }
        return reports
    }

    /// The exact messages (and request body) that would be sent for the lead in `leadJSON` with the
    /// prompt `prompt` (an id in the prompt folder, or a file), scored with the configured models.
    public static func render(config: GatewayConfig, prompt reference: String, leadJSON: Data) async throws(ConfigurationError) -> String {
        let prompt: PromptTemplate
        if FileManager.default.fileExists(atPath: reference) {
            do {
                prompt = try PromptTemplate(contentsOfFile: reference)
            } catch {
                throw ConfigurationError(key: "--prompt", error.message)
            }
        } else {
            let directory = (config.llmPrompt as NSString).deletingLastPathComponent
            let registry = try PromptRegistry(directory: directory.isEmpty ? "." : directory, rollout: .init(live: reference))
            guard let found = registry.snapshot.prompt(reference) else {
                throw ConfigurationError(key: "--prompt", "no prompt in \(directory) has id `\(reference)`.")
            }
            prompt = found
        }
        let registry = try ModelRegistry(selection: config.models, thresholds: config.thresholds, reasonCount: config.reasonCount)
        var settings = LLMReranker.Settings(baseURL: config.llmBaseURL ?? "http://127.0.0.1/v1")
        settings.model = config.llmModel
        settings.responseFormat = LLMReranker.Settings.ResponseFormat(rawValue: config.llmResponseFormat) ?? .jsonSchema
        settings.maxTokensField = config.llmMaxTokensField
        let reranker: LLMReranker
        do {
            reranker = try LLMReranker(settings: settings, prompt: prompt)
        } catch {
            throw ConfigurationError(key: "llm", "the HTTP client could not start: \(error.message)")
        }
        defer { reranker.shutdown() }
        let service = ScoringService(config: config, registry: registry, store: MemoryScoreStore(), metrics: GatewayMetrics(), reranker: reranker)
        let node: JSONNode
        do {
            node = try JSONReader.parse(leadJSON)
        } catch {
            throw ConfigurationError(key: "--lead", "is not valid JSON: \(error.description).")
        }
        switch await PromptDryRun.run(service: service, reranker: reranker, prompt: prompt, role: "live", input: LeadInput(node), call: false) {
        case .success(let json): return json
        case .failure(let problem):
            throw ConfigurationError(key: "--lead", problem.detail + problem.errors.map { " \($0.field): \($0.message)" }.joined())
        }
    }
}
