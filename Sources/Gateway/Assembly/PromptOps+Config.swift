import CoreMetrics
public import Foundation
import Pipeline
public import PromptOps
import Reranker
public import Scoring
import Store

/// The prompt commands (`leadgate prompts render|eval`) on the configured models and LLM.
extension PromptEval {
    /// Evaluates `options.prompt` (and `options.against`) from the configured prompt folder with the
    /// configured LLM and models. `progress(done, total)` is called as answers come in.
    public static func run(
        config: GatewayConfig, options: Options, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws(ConfigurationError) -> Report {
        guard config.llmBaseURL != nil else {
            throw ConfigurationError(key: "llm.base_url", "is not set: an evaluation asks the LLM. Set LEADGATE_LLM_BASE_URL (a test server works).")
        }
        guard let registry = try Components.makePrompts(config) else {
            throw ConfigurationError(key: "llm.prompt", "no prompt folder could be loaded.")
        }
        let snapshot = registry.snapshot
        var prompts: [PromptTemplate] = []
        for id in [options.prompt] + (options.against.map { [$0] } ?? []) {
            guard let prompt = snapshot.prompt(id) else {
                throw ConfigurationError(
                    key: id == options.prompt ? "--prompt" : "--against", "no loaded prompt has id `\(id)` in \(registry.directory).")
            }
            prompts.append(prompt)
        }
        // Every lead gets its own call: a breaker opening after a few failures would turn the rest
        // of the run into `breaker_open` fallbacks that say nothing about the prompt.
        var evalConfig = config
        evalConfig.llmBreakerFailures = 0
        guard let reranker = try Components.makeReranker(evalConfig, prompt: prompts[0]) else {
            throw ConfigurationError(key: "llm.base_url", "is not set.")
        }
        defer { reranker.shutdown() }
        let pipeline = try Self.offlinePipeline(config, reranker: reranker)
        return try await run(
            options: options, pipeline: pipeline, prompts: prompts, budget: .milliseconds(config.llmTimeoutMS), progress: progress)
    }

    /// A pipeline over the configured models with an in-memory store, no metrics and no records,
    /// for a command: nothing it does reaches a live score, the cache or the records.
    static func offlinePipeline(_ config: GatewayConfig, reranker: LLMReranker?) throws(ConfigurationError) -> ScoringPipeline {
        let models = try ModelRegistry(selection: config.models, thresholds: config.thresholds, reasonCount: config.reasonCount)
        return ScoringPipeline(
            settings: config.pipelineSettings, registry: models, store: MemoryScoreStore(),
            metrics: PipelineMetrics(factory: NOOPMetricsHandler.instance),
            reranker: reranker)
    }
}

extension PromptDryRun {
    /// The exact messages (and request body) that would be sent for the lead in `leadJSON` with the
    /// prompt `reference` (an id in the prompt folder, or a file), scored with the configured models.
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
        // Nothing is sent: the client only renders the request body the configured LLM would get.
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
        let pipeline = try PromptEval.offlinePipeline(config, reranker: reranker)
        return try await render(pipeline: pipeline, reranker: reranker, prompt: prompt, leadJSON: leadJSON)
    }
}
