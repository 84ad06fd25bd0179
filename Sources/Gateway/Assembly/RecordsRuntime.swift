import Foundation
import Logging
public import Records
import Scoring
public import ServiceLifecycle
import Synchronization

/// The system of record as a gateway runs it: the store (PostgreSQL or the SQLite file), the
/// recorder that writes decisions in batches behind the responses, the migrations applied at
/// start, and the daily retention purge. Built synchronously with the components; ``run()`` (a
/// service of the application) does the work.
public final class RecordsRuntime: Service {
    /// Where the records live, for `/readyz` and logs: `postgres` or `sqlite`.
    public let backend: String
    /// The location without any password.
    public let location: String
    public let store: any RecordStore
    public let recorder: Recorder
    public let settings: RecordsSettings
    private let postgres: PostgresRecordStore?
    private let logger: Logger
    private let migration = Mutex<MigrationState>(.pending)

    /// Whether the schema is in place.
    public enum MigrationState: Sendable, Equatable {
        case pending
        case done(applied: [Int])
        case failed(String)
    }

    /// - Throws: ``ConfigurationError`` when the PostgreSQL URL does not parse.
    init?(settings: RecordsSettings, logger: Logger, onBatchWritten: (@Sendable (Int, Duration) -> Void)?) throws(ConfigurationError) {
        guard let opened = try Self.openStore(settings, logger: logger) else { return nil }
        self.settings = settings
        self.logger = logger
        backend = opened.backend
        location = opened.location
        store = opened.store
        postgres = opened.postgres
        var recorder = Recorder.Configuration(journalPath: settings.journalPath)
        recorder.batchSize = settings.batchSize
        recorder.flushInterval = .milliseconds(settings.flushMS)
        recorder.queueCapacity = settings.queueCapacity
        recorder.journalMaxBytes = settings.journalMaxBytes
        recorder.onBatchWritten = onBatchWritten
        self.recorder = Recorder(store: store, configuration: recorder, logger: logger)
    }

    public var migrationState: MigrationState { migration.withLock { $0 } }

    /// A store the settings name, not yet running: the PostgreSQL pool must be run (``PostgresRecordStore/run()``).
    struct OpenedStore {
        var store: any RecordStore
        var backend: String
        /// The location without any password.
        var location: String
        var postgres: PostgresRecordStore?
    }

    /// The store `settings` name, or nil when records are off.
    ///
    /// - Throws: ``ConfigurationError`` when the PostgreSQL URL does not parse.
    static func openStore(_ settings: RecordsSettings, logger: Logger) throws(ConfigurationError) -> OpenedStore? {
        switch settings.backend {
        case .off:
            return nil
        case .sqlite(let path):
            return OpenedStore(store: SQLiteRecordStore(path: path, logger: logger), backend: "sqlite", location: path)
        case .postgres(let url):
            var configuration: PostgresConfiguration
            do {
                configuration = try PostgresConfiguration(url: url, environment: [:])
            } catch {
                throw ConfigurationError(key: "records.url", String(describing: error))
            }
            if let password = settings.password { configuration.password = password }
            configuration.maximumConnections = settings.poolSize
            configuration.operationTimeout = .milliseconds(settings.operationTimeoutMS)
            let store = PostgresRecordStore(configuration: configuration, logger: logger)
            return OpenedStore(
                store: store, backend: "postgres",
                location: "\(configuration.username)@\(configuration.host):\(configuration.port)/\(configuration.database)", postgres: store)
        }
    }

    /// Runs the PostgreSQL pool, applies the migrations (retrying every second while the database
    /// is away), runs the recorder until graceful shutdown (it then writes or journals what is
    /// queued), and purges old rows daily when `records.retention_days` is set.
    public func run() async throws {
        logger.info("records", metadata: ["records.backend": .string(backend), "records.location": .string(location)])
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let postgres { group.addTask { await postgres.run() } }
            group.addTask { await self.migrate() }
            if settings.retentionDays > 0 { group.addTask { await self.purgeDaily() } }
            try await recorder.run()
            group.cancelAll()
        }
        // The recorder has written or journaled everything; the SQLite file is closed cleanly.
        if let sqlite = store as? SQLiteRecordStore { try? await sqlite.close() }
    }

    /// Applies the migrations, trying again every second until it works or the task is cancelled.
    private func migrate() async {
        var reported = false
        while !Task.isCancelled {
            do {
                let applied = try await store.migrate()
                migration.withLock { $0 = .done(applied: applied) }
                if !applied.isEmpty { logger.notice("records schema migrated", metadata: ["records.migrations": "\(applied)"]) }
                return
            } catch {
                migration.withLock { $0 = .failed(String(describing: error)) }
                if !reported {
                    logger.error("records schema not migrated yet; retrying every second", metadata: ["error": "\(error)"])
                    reported = true
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Deletes rows older than `records.retention_days`, a minute after start and then once a day.
    private func purgeDaily() async {
        var wait: Duration = .seconds(60)
        while !Task.isCancelled {
            do { try await Task.sleep(for: wait) } catch { return }
            wait = .seconds(86_400)
            let cutoff = Date().addingTimeInterval(-Double(settings.retentionDays) * 86_400)
            do {
                let purged = try await store.purge(olderThan: cutoff, actor: "system")
                logger.notice(
                    "records purged",
                    metadata: [
                        "records.decisions": "\(purged.decisions)", "records.outcomes": "\(purged.outcomes)",
                        "records.retention_days": "\(settings.retentionDays)",
                    ])
            } catch {
                logger.error("records purge failed; trying again in an hour", metadata: ["error": "\(error)"])
                wait = .seconds(3_600)
            }
        }
    }
}
