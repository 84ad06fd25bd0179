import Foundation
import Scoring
import Store

/// `LEADGATE_*` environment variables, over the file.
extension GatewayConfig {
    mutating func apply(environment env: [String: String]) throws(ConfigurationError) {
        func int(_ name: String, _ range: ClosedRange<Int>, _ what: String) throws(ConfigurationError) -> Int? {
            guard let text = env[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw ConfigurationError(key: name, "`\(text)` is not \(what). Set an integer in \(range.lowerBound)–\(range.upperBound).")
            }
            return value
        }
        if let host = env["LEADGATE_HOST"] { self.host = host }
        if let port = try int("LEADGATE_PORT", 0...65535, "a port") { self.port = port }
        if let url = env["LEADGATE_REDIS_URL"] { redisURL = url.isEmpty ? nil : url }
        if let prefix = env["LEADGATE_REDIS_KEY_PREFIX"] { redisKeyPrefix = prefix }
        if let url = env["LEADGATE_WEBHOOK_URL"] { webhookURL = url.isEmpty ? nil : url }
        webhookSecret = Array((env[webhookSecretEnv] ?? "").utf8)
        retellKey = Array((env[retellKeyEnv] ?? "").utf8)
        vapiSecret = Array((env[vapiSecretEnv] ?? "").utf8)
        if let url = env["LEADGATE_LLM_BASE_URL"] { llmBaseURL = url.isEmpty ? nil : url }
        if let model = env["LEADGATE_LLM_MODEL"] { llmModel = model.isEmpty ? nil : model }
        if let key = env["LEADGATE_LLM_API_KEY"] { llmAPIKey = key.isEmpty ? nil : key }
        if let ms = try int("LEADGATE_LLM_TIMEOUT_MS", 1...60_000, "a timeout in milliseconds") { llmTimeoutMS = ms }
        if let dir = env["LEADGATE_MODELS_DIR"] { models.directory = dir }
        if let prompt = env["LEADGATE_LLM_PROMPT"] { llmPrompt = prompt }
        if let mode = env["LEADGATE_AUTH_MODE"] {
            guard let value = AuthMode(rawValue: mode) else {
                throw ConfigurationError(key: "LEADGATE_AUTH_MODE", "`\(mode)` is not a mode. Use one of: none, api_key, jwt.")
            }
            authMode = value
        }
        try applyRecords(environment: env)
        try applyJobs(environment: env)
        if let level = env["LEADGATE_LOG_LEVEL"] { logLevel = level }
        if let format = env["LEADGATE_LOG_FORMAT"] {
            guard let value = LogFormat(rawValue: format) else {
                throw ConfigurationError(key: "LEADGATE_LOG_FORMAT", "`\(format)` is not a format. Use json or text.")
            }
            logFormat = value
        }
    }
}
