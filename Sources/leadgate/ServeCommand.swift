import ArgumentParser
import Foundation
import Gateway
import Logging
import Scoring

/// `leadgate serve`: the HTTP gateway.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the scoring gateway over HTTP.",
        discussion: """
            Reads config/leadgate.yaml (or --config / LEADGATE_CONFIG), then LEADGATE_* environment variables, \
            then these flags. With no configuration it serves the embedded default model from config/models on \
            127.0.0.1:8080, without auth. SIGTERM/SIGINT drain in-flight requests and exit; SIGHUP reloads the models.
            """
    )

    @Option(help: "The YAML configuration file (default: LEADGATE_CONFIG, else config/leadgate.yaml when present).")
    var config: String?

    @Option(help: "Address to listen on (overrides server.host and LEADGATE_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free port (overrides server.port and LEADGATE_PORT).")
    var port: Int?

    @Option(help: "Folder of model folders (overrides models.directory and LEADGATE_MODELS_DIR).")
    var models: String?

    func run() async throws {
        let (settings, logger) = try CommandSupport.gatewaySetup(
            config: config, environment: ProcessInfo.processInfo.environment, overrides: .init(host: host, port: port, modelsDirectory: models))
        do {
            try await GatewayApplication.serve(config: settings, logger: logger) { port in
                logger.notice("listening", metadata: ["host": .string(settings.host), "port": .stringConvertible(port)])
            }
        } catch let error as ConfigurationError {
            throw CommandFailure("cannot start: \(error.description)")
        }
        logger.notice("stopped")
    }
}
