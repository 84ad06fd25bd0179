public import Logging
public import ServiceLifecycle

/// Re-reads the prompt folder every second, until graceful shutdown: an edited prompt is live
/// within two seconds, a broken edit is refused (logged; the last good version keeps serving).
public struct PromptWatcher: Service {
    let registry: PromptRegistry
    let logger: Logger

    public init(registry: PromptRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
    }

    public func run() async throws {
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
