public import CoreMetrics
import Foundation
public import Hummingbird
public import Logging
import Pipeline
import Reranker
public import Scoring
import ServiceLifecycle
import Store
import Training
import UnixSignals

/// Builds the gateway: loads the models, wires the routes, and returns a Hummingbird application
/// whose `runService()` serves until SIGTERM/SIGINT, then stops accepting, finishes the requests in
/// flight and returns. `leadgate serve` and the tests call the same builder.
public enum GatewayApplication {
    /// - Parameters:
    ///   - config: A validated configuration (``GatewayConfig/load(file:environment:overrides:)``).
    ///   - logger: The application logger.
    ///   - exporter: The Prometheus registry `GET /metrics` renders (a new one by default).
    ///   - metrics: Where metrics go; by default the exporter alone. To send them to another backend
    ///     too (swift-otel, StatsD), pass `MultiplexMetricsHandler(factories: [exporter, other])`.
    ///   - routes: Filled with the routes the router has (the OpenAPI tests compare it with the document).
    ///   - onServerRunning: Called with the bound port once the server listens (port 0 binds any free port).
    /// - Throws: ``ConfigurationError`` when the models or the auth settings cannot be loaded.
    public static func build(
        config: GatewayConfig, logger: Logger, lifecycle: Lifecycle = Lifecycle(), exporter: PrometheusExporter = PrometheusExporter(),
        metrics: (any MetricsFactory)? = nil, routes: RouteTable = RouteTable(), onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(ConfigurationError) -> some ApplicationProtocol {
        let factory = metrics ?? exporter
        let authenticator = try Authenticator(config: config)
        let components = try Components(config: config, logger: logger, metrics: factory)
        let gatewayMetrics = GatewayMetrics(factory: factory, storeKind: components.store.kind)
        let registry = components.registry
        let reload: @Sendable () -> Result<ModelRegistry.Snapshot, ConfigurationError> = {
            let result = registry.reload()
            switch result {
            case .success(let snapshot):
                gatewayMetrics.reloaded(success: true)
                logger.notice(
                    "models reloaded",
                    metadata: [
                        "generation": .stringConvertible(snapshot.generation),
                        "models": .string(snapshot.models.map { "\($0.id)@\($0.version)" }.joined(separator: ",")),
                        "problems": .string(snapshot.problems.map(\.description).joined(separator: "; ")),
                    ])
            case .failure(let error):
                gatewayMetrics.reloaded(success: false)
                logger.error("model reload failed; previous models keep serving", metadata: ["error": .string(error.description)])
            }
            return result
        }
        let drift = components.records.map {
            DriftMonitor(settings: config.drift, store: $0.store, metrics: gatewayMetrics, webhooks: components.webhooks, logger: logger)
        }
        let rerankGuard = RerankGuard(
            settings: config.rerankGuard, store: components.records?.store, rail: components.pipeline.guardRail, metrics: gatewayMetrics,
            webhooks: components.webhooks, logger: logger)
        let holder =
            config.processName()
        let retrainer = components.records.map { records in
            Retrainer(
                settings: config.retrain, store: records.store, registry: registry, holder: holder,
                note: { logger.notice("retraining", metadata: ["step": .string($0)]) })
        }
        let router = Router(context: GatewayContext.self)
        router.add(middleware: ObservabilityMiddleware(metrics: gatewayMetrics, lifecycle: lifecycle, routes: routes))
        Routes(
            components: components, metrics: gatewayMetrics, exporter: exporter, authenticator: authenticator, lifecycle: lifecycle,
            reload: reload, openAPI: try OpenAPIDocument.bundled(), drift: drift,
            rerankGuard: rerankGuard, retrainer: retrainer, logger: logger
        ).register(on: router)
        routes.fill(from: router)
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
            // Shut down in reverse order, after the server: the records flush what the last requests
            // decided before the connections close.
            services: [ReloadOnHangup(reload: reload, logger: logger), CloseOnShutdown(components: components)]
                + (components.records.map { [$0] } ?? [])
                + (components.prompts.map { [PromptWatcher(registry: $0, logger: logger)] } ?? [])
                + (drift.map { [DriftChecks(monitor: $0, registry: registry)] } ?? [])
                + (config.rerankGuard.enabled ? [RerankGuardChecks(guardRail: rerankGuard, registry: registry)] : [])
                + [
                    RetrainLoop(
                        settings: config.retrain, retrainer: retrainer, registry: registry, reload: reload,
                        webhooks: components.webhooks, logger: logger)
                ]
                + (components.records.map {
                    [PerformanceSnapshots(settings: config.performance, store: $0.store, registry: registry, metrics: gatewayMetrics, logger: logger)]
                } ?? [])
                // Last, so that it stops taking chunks first and finishes its own while the records still write.
                + (components.jobs.map { [$0.worker(pipeline: components.pipeline, logger: logger)] } ?? []),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? config.port) },
            logger: logger)
    }
}

extension GatewayApplication {
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

/// Closes the components' connections when the application shuts down.
struct CloseOnShutdown: Service {
    let components: Components

    func run() async throws {
        try? await gracefulShutdown()
        components.shutdown()
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
