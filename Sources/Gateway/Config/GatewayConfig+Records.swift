import Foundation
public import Records
import Scoring
import Yams

/// The system of record's settings: where decisions, outcomes and the audit log live, how they are
/// written, and what privacy asks of them (`records`, `privacy` and `audit` in the file).
public struct RecordsSettings: Sendable, Equatable {
    /// Where the records live.
    public enum Backend: Sendable, Equatable {
        /// Nothing is recorded (`records: off`).
        case off
        /// An embedded SQLite file (the default: `data/leadgate.sqlite`).
        case sqlite(path: String)
        /// A PostgreSQL database (`records.url` or `LEADGATE_RECORDS_URL`).
        case postgres(url: String)
    }

    public var backend = Backend.off
    /// The variable that holds the PostgreSQL password (never the file).
    public var passwordEnv = "LEADGATE_RECORDS_PASSWORD"
    /// The PostgreSQL password, read from ``passwordEnv``.
    public var password: String?
    /// The journal batches wait in while the database is down; one per gateway.
    public var journalPath = "data/records.journal"
    public var journalMaxBytes = 256 << 20
    /// Whether the configuration file named the journal (else it follows the SQLite file).
    var journalGiven = false
    /// Decisions the in-memory queue holds before the journal.
    public var queueCapacity = 100_000
    public var batchSize = 1_000
    public var flushMS = 1_000
    /// Rows older than this many days are purged daily; 0 keeps everything.
    public var retentionDays = 0
    /// This gateway's name in the records (default: the host name).
    public var instance: String?
    /// PostgreSQL connections.
    public var poolSize = 4
    /// How long one database operation may take before its batch is journaled.
    public var operationTimeoutMS = 5_000
    /// `DELETE /v1/leads/{id}` deletes the lead's records or pseudonymises them (`privacy.erase`).
    public var erase = EraseMode.delete
    /// A lead without `consent: true` is refused and nothing of it is kept (`privacy.require_consent`).
    public var requireConsent = false
    /// Reads of decisions, histories and outcomes are written to the audit log (`audit.reads`).
    public var auditReads = false

    public init() {}
}

extension GatewayConfig {
    /// `records`, `privacy` and `audit`. Without a `records` section the embedded SQLite file
    /// `data/leadgate.sqlite` (beside the folder of the configuration file) is used.
    mutating func applyRecords(yaml root: YAMLNode, environment: [String: String], baseDirectory: String) throws(ConfigurationError) {
        var journalGiven = false
        defer { records.journalGiven = journalGiven }
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path) }
        records.backend = .sqlite(path: resolve("data/leadgate.sqlite"))
        // PostgreSQL's journal, unless journal_path names one: under the working directory, as
        // without a configuration file (an SQLite file's sits beside it, see below).
        records.journalPath = "data/records.journal"
        if let node = root["records"] {
            if node.node.scalar != nil {
                // `records: off` (YAML reads a bare off as false).
                let text = (try? node.string()) ?? ""
                guard ["off", "false"].contains(text) || (try? node.bool()) == false else {
                    throw ConfigurationError(key: node.path, "`\(text)` is not a setting. Write `records: off`, or a mapping with url or path.")
                }
                records.backend = .off
            } else {
                try node.checkKeys([
                    "url", "path", "password_env", "journal_path", "journal_max_bytes", "queue_capacity", "batch_size", "flush_ms",
                    "retention_days", "instance", "pool_size", "operation_timeout_ms",
                ])
                if let path = try node["path"]?.string() { records.backend = .sqlite(path: resolve(path)) }
                if let url = try node["url"]?.string() {
                    if node["path"] != nil {
                        throw ConfigurationError(key: "records.url", "and records.path are both set. Keep url for PostgreSQL, or path for SQLite.")
                    }
                    records.backend = .postgres(url: url)
                }
                records.passwordEnv = try node["password_env"]?.string() ?? records.passwordEnv
                if let path = try node["journal_path"]?.string() {
                    records.journalPath = resolve(path)
                    journalGiven = true
                }
                records.journalMaxBytes = try node["journal_max_bytes"]?.int() ?? records.journalMaxBytes
                records.queueCapacity = try node["queue_capacity"]?.int() ?? records.queueCapacity
                records.batchSize = try node["batch_size"]?.int() ?? records.batchSize
                records.flushMS = try node["flush_ms"]?.int() ?? records.flushMS
                records.retentionDays = try node["retention_days"]?.int() ?? records.retentionDays
                records.instance = try node["instance"]?.string()
                records.poolSize = try node["pool_size"]?.int() ?? records.poolSize
                records.operationTimeoutMS = try node["operation_timeout_ms"]?.int() ?? records.operationTimeoutMS
            }
        }
        if let privacy = root["privacy"] {
            try privacy.checkKeys(["erase", "require_consent"])
            if let node = privacy["erase"] { records.erase = try Self.choice(node, EraseMode.self) }
            records.requireConsent = try privacy["require_consent"]?.bool() ?? records.requireConsent
        }
        if let audit = root["audit"] {
            try audit.checkKeys(["reads"])
            records.auditReads = try audit["reads"]?.bool() ?? records.auditReads
        }
    }

    /// `LEADGATE_RECORDS_URL` (a `postgres://` URL, a SQLite path, or `off`) and the password variable.
    mutating func applyRecords(environment env: [String: String]) throws(ConfigurationError) {
        if let value = env["LEADGATE_RECORDS_URL"], !value.isEmpty {
            if value == "off" {
                records.backend = .off
            } else if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
                records.backend = .postgres(url: value)
            } else if value.hasPrefix("sqlite:") || value.hasPrefix("/") || value.hasPrefix(".") {
                records.backend = .sqlite(path: value.hasPrefix("sqlite:") ? String(value.dropFirst("sqlite:".count)) : value)
            } else {
                throw ConfigurationError(
                    key: "LEADGATE_RECORDS_URL",
                    "`\(Self.redacted(value))` is not a records location. Use postgres://user@host/db, a file path, or off.")
            }
        }
        records.password = env[records.passwordEnv]
        // Without its own journal_path, an SQLite file's journal sits beside it (one per file, so
        // gateways on different files never share one).
        if !records.journalGiven, case .sqlite(let path) = records.backend {
            let folder = (path as NSString).deletingLastPathComponent
            records.journalPath = folder.isEmpty ? "records.journal" : (folder as NSString).appendingPathComponent("records.journal")
        }
    }

    func validateRecords() throws(ConfigurationError) {
        if case .postgres(let url) = records.backend {
            do {
                _ = try PostgresConfiguration(url: url, environment: [:])
            } catch {
                throw ConfigurationError(key: "records.url", "\(error.message). (LEADGATE_RECORDS_URL overrides it.)")
            }
        }
        func range(_ value: Int, _ key: String, _ bounds: ClosedRange<Int>) throws(ConfigurationError) {
            guard bounds.contains(value) else {
                throw ConfigurationError(key: key, "is \(value). Use a whole number from \(bounds.lowerBound) to \(bounds.upperBound).")
            }
        }
        try range(records.journalMaxBytes, "records.journal_max_bytes", 0...(1 << 40))
        try range(records.queueCapacity, "records.queue_capacity", 1...100_000_000)
        try range(records.batchSize, "records.batch_size", 1...100_000)
        try range(records.flushMS, "records.flush_ms", 10...60_000)
        try range(records.retentionDays, "records.retention_days", 0...36_500)
        try range(records.poolSize, "records.pool_size", 1...256)
        try range(records.operationTimeoutMS, "records.operation_timeout_ms", 10...600_000)
    }

    /// A URL with its password replaced, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unreadable)"
    }
}

extension Error {
    /// What a records error says, without its type's name.
    fileprivate var message: String { (self as? RecordsError)?.message ?? String(describing: self) }
}
