import Foundation
public import Hummingbird
public import Logging
import Reranker
public import Scoring
import ServiceLifecycle
import Store
import UnixSignals

/// Builds the gateway: loads the models, wires the routes, and returns a Hummingbird application
/// whose `runService()` serves until SIGTERM/SIGINT, then stops accepting, finishes the requests in
/// flight and returns. `leadgate serve` and the tests call the same builder.
public enum GatewayApplication {
    /// - Parameters:
    ///   - config: A validated configuration (``GatewayConfig/load(file:environment:overrides:)``).
    ///   - logger: The application logger.
    ///   - onServerRunning: Called with the bound port once the server listens (port 0 binds any free port).
    /// - Throws: ``ConfigurationError`` when the models or the auth settings cannot be loaded.
    public static func build(
        config: GatewayConfig, logger: Logger, lifecycle: Lifecycle = Lifecycle(),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(ConfigurationError) -> some ApplicationProtocol {
        let registry = try ModelRegistry(selection: config.models, thresholds: config.thresholds, reasonCount: config.reasonCount)
        let authenticator = try Authenticator(config: config)
        let metrics = GatewayMetrics()
        let prompts = try makePrompts(config)
        let reranker = try makeReranker(config, prompt: prompts?.snapshot.live)
        let store = makeStore(config, logger: logger)
        var webhooks: WebhookSender?
        if let url = config.webhookURL {
            do {
                webhooks = try WebhookSender(
                    settings: .init(
                        url: url, secret: config.webhookSecret, maxAttempts: config.webhookMaxAttempts,
                        backoff: .milliseconds(config.webhookBackoffMS),
                        timeout: .milliseconds(config.webhookTimeoutMS)))
            } catch {
                throw ConfigurationError(key: "webhooks.url", "the HTTP client could not start: \(error.message)")
            }
        }
        let service = ScoringService(
            config: config, registry: registry, store: store, metrics: metrics, reranker: reranker, prompts: prompts, webhooks: webhooks)
        store.watchLiveChanges { [weak service] ids in service?.liveChangedElsewhere(ids) }
        let reload: @Sendable () -> Result<ModelRegistry.Snapshot, ConfigurationError> = {
            let result = registry.reload()
            switch result {
            case .success(let snapshot):
                metrics.reloaded(success: true)
                logger.notice(
                    "models reloaded",
                    metadata: [
                        "generation": .stringConvertible(snapshot.generation),
                        "models": .string(snapshot.models.map { "\($0.id)@\($0.version)" }.joined(separator: ",")),
                        "problems": .string(snapshot.problems.map(\.description).joined(separator: "; ")),
                    ])
            case .failure(let error):
                metrics.reloaded(success: false)
                logger.error("model reload failed; previous models keep serving", metadata: ["error": .string(error.description)])
            }
            return result
        }
        let router = Router(context: GatewayContext.self)
        router.add(middleware: ObservabilityMiddleware(metrics: metrics, lifecycle: lifecycle))
        Routes(config: config, service: service, metrics: metrics, authenticator: authenticator, lifecycle: lifecycle, reload: reload)
            .register(on: router)
        let snapshot = registry.snapshot
        for problem in snapshot.problems { logger.warning("model folder not loaded", metadata: ["error": .string(problem.description)]) }
        logger.info(
            "models loaded",
            metadata: [
                "default": .string("\(snapshot.primary.id)@\(snapshot.primary.version)"),
                "models": .string(snapshot.models.map { "\($0.id)@\($0.version)" }.joined(separator: ",")),
                "auth": .string(config.authMode.rawValue),
            ])
        return Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestHeadHandler()], idleTimeout: .seconds(75))),
            configuration: ApplicationConfiguration(address: .hostname(config.host, port: config.port), serverName: "LeadGate"),
            services: [ReloadOnHangup(reload: reload, logger: logger), CloseOnShutdown(store: store)]
                + (prompts.map { [PromptWatcher(registry: $0, logger: logger)] } ?? []),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? config.port) },
            logger: logger)
    }
}

extension GatewayApplication {
    /// Redis when `redis.url` (or `LEADGATE_REDIS_URL`) is set, else the in-memory store.
    static func makeStore(_ config: GatewayConfig, logger: Logger) -> any ScoreStore {
        var limits = StoreLimits(
            adjustmentTTL: .seconds(config.cacheTTLSeconds), liveTTL: .seconds(config.liveTTLSeconds), maxAdjustments: config.cacheCapacity,
            maxLiveScores: config.liveScoreCapacity, localAdjustmentTTL: .seconds(config.cacheLocalTTLSeconds),
            localLiveTTL: .seconds(config.liveLocalTTLSeconds))
        limits.eventTTL = .seconds(config.eventsTTLSeconds)
        limits.nearLiveTTL = .seconds(config.liveNearTTLSeconds)
        guard let url = config.redisURL, let endpoint = try? RedisEndpoint(url: url) else {
            logger.info("store: in memory (set LEADGATE_REDIS_URL to share it through Redis)")
            return MemoryScoreStore(limits: limits)
        }
        let pool = RedisPool(
            endpoint: endpoint,
            options: .init(
                size: config.redisPoolSize, connectTimeout: .milliseconds(config.redisConnectTimeoutMS),
                commandTimeout: .milliseconds(config.redisCommandTimeoutMS)))
        logger.info("store: redis", metadata: ["redis": .string(endpoint.description), "key_prefix": .string(config.redisKeyPrefix)])
        return RedisScoreStore(pool: pool, prefix: config.redisKeyPrefix, limits: limits)
    }

    /// The prompt folder when the LLM step is on: the live prompt is `llm.prompt`'s file, the others
    /// are its neighbours.
    static func makePrompts(_ config: GatewayConfig) throws(ConfigurationError) -> PromptRegistry? {
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
    static func makeReranker(_ config: GatewayConfig, prompt: PromptTemplate?) throws(ConfigurationError) -> LLMReranker? {
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

    /// Serves until SIGTERM or SIGINT, then drains: new requests get 503 `shutting-down`, requests in
    /// flight finish and write their whole response (up to `drainTimeout`), and the server stops.
    /// A second signal stops at once.
    public static func serve(
        config: GatewayConfig, logger: Logger, drainTimeout: Duration = .seconds(30),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let lifecycle = Lifecycle()
        let app = try build(config: config, logger: logger, lifecycle: lifecycle, onServerRunning: onServerRunning)
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                var count = 0
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    count += 1
                    if count == 1 {
                        logger.notice("draining", metadata: ["signal": .string("\(signal)")])
                        lifecycle.beginDraining()
                    } else {
                        lifecycle.forceStop()
                    }
                }
            }
            tasks.addTask {
                guard await lifecycle.waitForDrain() else { return }
                if await lifecycle.waitUntilIdle(timeout: drainTimeout) {
                    // The last bytes of a response may still sit in the channel's buffer.
                    try? await Task.sleep(for: .milliseconds(100))
                } else {
                    logger.warning("stopping before every request finished (second signal or drain timeout)")
                }
                await group.triggerGracefulShutdown()
            }
            try await group.run()
            tasks.cancelAll()
        }
    }
}

/// Re-reads the prompt folder every second, until graceful shutdown: an edited prompt is live
/// within two seconds, a broken edit is refused (logged; the last good version keeps serving).
struct PromptWatcher: Service {
    let registry: PromptRegistry
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .seconds(1))
            for change in registry.reload() {
                if change.hasPrefix("refused") {
                    logger.error("prompt file refused", metadata: ["change": .string(change)])
                } else {
                    logger.notice("prompts changed", metadata: ["change": .string(change)])
                }
            }
        }
    }
}

/// Closes the store's connections when the application shuts down.
struct CloseOnShutdown: Service {
    let store: any ScoreStore

    func run() async throws {
        try? await gracefulShutdown()
        store.shutdown()
    }
}

/// Reloads the models on SIGHUP, until graceful shutdown.
struct ReloadOnHangup: Service {
    let reload: @Sendable () -> Result<ModelRegistry.Snapshot, ConfigurationError>
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading models")
            _ = reload()
        }
    }
}
