import Jobs
import Scoring

/// The `jobs:` section and `LEADGATE_JOBS_CONCURRENCY`.
extension GatewayConfig {
    mutating func applyJobs(yaml root: YAMLNode) throws(ConfigurationError) {
        guard let node = root["jobs"] else { return }
        try node.checkKeys(["chunk_size", "concurrency", "claim_after_s", "retention_h", "llm_share", "max_leads", "max_body_bytes"])
        jobs.chunkSize = try node["chunk_size"]?.int() ?? jobs.chunkSize
        jobs.concurrency = try node["concurrency"]?.int() ?? jobs.concurrency
        jobs.claimAfterSeconds = try node["claim_after_s"]?.int() ?? jobs.claimAfterSeconds
        jobs.retentionHours = try node["retention_h"]?.int() ?? jobs.retentionHours
        jobs.llmShare = try node["llm_share"]?.double() ?? jobs.llmShare
        jobs.maxLeads = try node["max_leads"]?.int() ?? jobs.maxLeads
        jobs.maxBodyBytes = try node["max_body_bytes"]?.int() ?? jobs.maxBodyBytes
    }

    mutating func applyJobs(environment env: [String: String]) throws(ConfigurationError) {
        guard let text = env["LEADGATE_JOBS_CONCURRENCY"] else { return }
        guard let value = Int(text), (0...64).contains(value) else {
            throw ConfigurationError(key: "LEADGATE_JOBS_CONCURRENCY", "`\(text)` is not a number of chunks. Set 0 (take jobs in only) to 64.")
        }
        jobs.concurrency = value
    }

    func validateJobs() throws(ConfigurationError) {
        func range(_ value: Int, _ key: String, _ bounds: ClosedRange<Int>) throws(ConfigurationError) {
            guard bounds.contains(value) else {
                throw ConfigurationError(key: key, "is \(value). Use a whole number from \(bounds.lowerBound) to \(bounds.upperBound).")
            }
        }
        try range(jobs.chunkSize, "jobs.chunk_size", 1...10_000)
        try range(jobs.concurrency, "jobs.concurrency", 0...64)
        try range(jobs.claimAfterSeconds, "jobs.claim_after_s", 1...86_400)
        try range(jobs.retentionHours, "jobs.retention_h", 1...24 * 365)
        try range(jobs.maxLeads, "jobs.max_leads", 1...100_000_000)
        try range(jobs.maxBodyBytes, "jobs.max_body_bytes", 1...(1 << 40))
        guard jobs.llmShare > 0, jobs.llmShare <= 1 else {
            throw ConfigurationError(
                key: "jobs.llm_share", "is \(jobs.llmShare). Use a share in (0, 1], e.g. 0.5: jobs take at most that part of llm.max_in_flight.")
        }
    }
}
