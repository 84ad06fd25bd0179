public import CoreMetrics
import Foundation
import Jobs
public import Logging
public import Pipeline
import Records
public import Reranker
public import Scoring
public import Store
public import Voice

/// Everything the gateway serves with, built from the configuration: the models, the store, the
/// prompts and the LLM step, webhooks, the scoring pipeline and the voice services over it.
/// `leadgate serve`, the prompt commands and the tests build the same components.
public struct Components: Sendable {
    public let config: GatewayConfig
    public let registry: ModelRegistry
    public let store: any ScoreStore
    public let prompts: PromptRegistry?
    public let reranker: LLMReranker?
    public let webhooks: WebhookSender?
    public let pipeline: ScoringPipeline
    public let events: EventIngest
    public let streams: ScoreStream
    public let tools: VoiceTools
    /// The system of record (nil with `records: off`).
    public let records: RecordsRuntime?
    public let recordsMetrics: RecordsMetrics
    /// Async scores and bulk jobs (nil without Redis: jobs are shared through it).
    public let jobs: JobsRuntime?

    /// - Parameters:
    ///   - metrics: Where the components record their metrics.
    ///   - store: The store to use; nil builds the configured one (Redis, else in memory).
    /// - Throws: ``ConfigurationError`` when the models, the prompts or an HTTP client cannot be set up.
    public init(config: GatewayConfig, logger: Logger, metrics: any MetricsFactory, store: (any ScoreStore)? = nil) throws(ConfigurationError) {
        self.config = config
        registry = try ModelRegistry(selection: config.models, thresholds: config.thresholds, reasonCount: config.reasonCount)
        prompts = try Self.makePrompts(config)
        reranker = try Self.makeReranker(config, prompt: prompts?.snapshot.live)
        self.store = store ?? Self.makeStore(config, logger: logger)
        let pipelineMetrics = PipelineMetrics(factory: metrics)
        webhooks = try Self.makeWebhooks(config, metrics: pipelineMetrics)
        recordsMetrics = RecordsMetrics(factory: metrics)
        records = try RecordsRuntime(
            settings: config.records, logger: logger, onBatchWritten: recordsMetrics.batchWritten)
        pipeline = ScoringPipeline(
            settings: config.pipelineSettings, registry: registry, store: self.store, metrics: pipelineMetrics,
            reranker: reranker, prompts: prompts, webhooks: webhooks, recorder: records?.recorder)
        let voiceMetrics = VoiceMetrics(factory: metrics)
        events = EventIngest(pipeline: pipeline, metrics: voiceMetrics)
        pipeline.install(eventRefolding: events)
        streams = ScoreStream(pipeline: pipeline, settings: config.streamSettings, metrics: voiceMetrics)
        tools = VoiceTools(events: events)
        jobs = try JobsRuntime(config: config, metrics: metrics, pipelineMetrics: pipelineMetrics, webhooks: webhooks, logger: logger)
        let pipeline = self.pipeline
        self.store.watchLiveChanges { [weak pipeline] ids in pipeline?.publisher.liveChangedElsewhere(ids) }
    }

    /// Closes the LLM client, the webhook client and the store's connections.
    public func shutdown() {
        reranker?.shutdown()
        store.shutdown()
        jobs?.queue.pool.shutdown()
    }
}

extension Components {
    /// Redis when `redis.url` (or `LEADGATE_REDIS_URL`) is set, else the in-memory store.
    static func makeStore(_ config: GatewayConfig, logger: Logger) -> any ScoreStore {
        guard let url = config.redisURL, let endpoint = try? RedisEndpoint(url: url) else {
            logger.info("store: in memory (set LEADGATE_REDIS_URL to share it through Redis)")
            return MemoryScoreStore(limits: config.storeLimits)
        }
        let pool = RedisPool(
            endpoint: endpoint,
            options: .init(
                size: config.redisPoolSize, connectTimeout: .milliseconds(config.redisConnectTimeoutMS),
                commandTimeout: .milliseconds(config.redisCommandTimeoutMS)))
        logger.info("store: redis", metadata: ["redis": .string(endpoint.description), "key_prefix": .string(config.redisKeyPrefix)])
        return RedisScoreStore(pool: pool, prefix: config.redisKeyPrefix, limits: config.storeLimits)
    }

    /// The prompt folder when the LLM step is on: the live prompt is `llm.prompt`'s file, the others
    /// are its neighbours.
    public static func makePrompts(_ config: GatewayConfig) throws(ConfigurationError) -> PromptRegistry? {
        guard config.llmBaseURL != nil else { return nil }
        let live: PromptTemplate
        do {
            live = try PromptTemplate(contentsOfFile: config.llmPrompt)
        } catch {
            throw ConfigurationError(key: "llm.prompt", "\(error.message) (LEADGATE_LLM_PROMPT overrides the path.)")
        }
        let directory = (config.llmPrompt as NSString).deletingLastPathComponent
        return try PromptRegistry(
            directory: directory.isEmpty ? "." : directory,
            rollout: .init(
                live: live.id, candidate: config.llmCandidatePrompt, share: config.llmCandidatePrompt == nil ? 0 : config.llmCandidateShare))
    }

    /// The LLM step when `llm.base_url` (or `LEADGATE_LLM_BASE_URL`) is set.
    public static func makeReranker(_ config: GatewayConfig, prompt: PromptTemplate?) throws(ConfigurationError) -> LLMReranker? {
        guard let baseURL = config.llmBaseURL, let prompt else { return nil }
        var settings = LLMReranker.Settings(baseURL: baseURL)
        settings.model = config.llmModel
        settings.apiKey = config.llmAPIKey
        settings.budget = .milliseconds(config.llmTimeoutMS)
        settings.connectCap = .milliseconds(config.llmConnectTimeoutMS)
        settings.maxTokensField = config.llmMaxTokensField
        settings.responseFormat = LLMReranker.Settings.ResponseFormat(rawValue: config.llmResponseFormat) ?? .jsonSchema
        settings.maxInFlight = config.llmMaxInFlight
        settings.caBundle = config.llmCABundle
        if config.llmBreakerFailures == 0 {
            // Never open: neither on failures in a row nor on the failure rate.
            settings.breaker.consecutiveFailures = Int.max
            settings.breaker.failureRate = 1
        } else {
            settings.breaker.consecutiveFailures = config.llmBreakerFailures
        }
        settings.breaker.coolDown = .milliseconds(config.llmBreakerCoolDownMS)
        do {
            return try LLMReranker(settings: settings, prompt: prompt)
        } catch {
            throw ConfigurationError(key: "llm.base_url", "the HTTP client could not start: \(error.message)")
        }
    }

    /// The badge-change webhook sender when `webhooks.url` is set.
    static func makeWebhooks(_ config: GatewayConfig, metrics: PipelineMetrics) throws(ConfigurationError) -> WebhookSender? {
        guard let url = config.webhookURL else { return nil }
        do {
            return try WebhookSender(
                settings: .init(
                    url: url, secret: config.webhookSecret, maxAttempts: config.webhookMaxAttempts,
                    backoff: .milliseconds(config.webhookBackoffMS), timeout: .milliseconds(config.webhookTimeoutMS)),
                metrics: metrics)
        } catch {
            throw ConfigurationError(key: "webhooks.url", "the HTTP client could not start: \(error.message)")
        }
    }
}
