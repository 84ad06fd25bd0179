import Foundation
import Jobs
public import Logging
import Scoring
import ServiceLifecycle
import UnixSignals

extension GatewayApplication {
    /// `leadgate worker`: a gateway without HTTP. Consumes job chunks from the shared stream (with
    /// its records and webhooks, as a gateway would) until SIGTERM or SIGINT, then finishes the chunks
    /// it holds and exits.
    public static func work(config: GatewayConfig, logger: Logger) async throws {
        let components = try Components(config: config, logger: logger, metrics: PrometheusExporter())
        guard let jobs = components.jobs else {
            throw ConfigurationError(key: "redis.url", "a worker takes its chunks from Redis; set LEADGATE_REDIS_URL (redis.url).")
        }
        guard config.jobs.concurrency > 0 else {
            throw ConfigurationError(key: "jobs.concurrency", "is 0, so the worker would take no chunks; set 1 or more.")
        }
        var services: [any Service] = [CloseOnShutdown(components: components)]
        if let records = components.records { services.append(records) }
        services.append(jobs.worker(pipeline: components.pipeline, logger: logger))
        logger.notice("worker started", metadata: ["consumer": .string(jobs.consumer), "concurrency": .stringConvertible(config.jobs.concurrency)])
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger))
        try await group.run()
    }
}
