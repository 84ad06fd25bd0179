import ArgumentParser
import Foundation
import Gateway
import Logging
import Scoring

/// `leadgate worker`: scores job chunks from the shared Redis stream, without HTTP.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Score async and bulk jobs from the shared Redis stream (a gateway without HTTP).",
        discussion: """
            Reads the same configuration as `leadgate serve` (it needs redis.url / LEADGATE_REDIS_URL). Takes \
            jobs.concurrency chunks at a time from the consumer group, claims the chunks of a consumer that died \
            after jobs.claim_after_s, and writes decision records like a gateway. SIGTERM finishes the chunks it \
            holds, then exits.
            """
    )

    @Option(help: "The YAML configuration file (default: LEADGATE_CONFIG, else config/leadgate.yaml when present).")
    var config: String?

    @Option(help: "Folder of model folders (overrides models.directory and LEADGATE_MODELS_DIR).")
    var models: String?

    @Option(help: "Chunks scored at once (overrides jobs.concurrency).")
    var concurrency: Int?

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        if let concurrency { environment["LEADGATE_JOBS_CONCURRENCY"] = String(concurrency) }
        let (settings, logger) = try CommandSupport.gatewaySetup(config: config, environment: environment, overrides: .init(modelsDirectory: models))
        do {
            try await GatewayApplication.work(config: settings, logger: logger)
        } catch let error as ConfigurationError {
            throw CommandFailure("cannot start: \(error.description)")
        }
        logger.notice("stopped")
    }
}
