public import Foundation

/// Where the PostgreSQL records live, parsed from `postgres://user[:password]@host[:port]/database[?sslmode=…]`.
///
/// The password comes from the environment variable named by `passwordEnvironmentVariable` (the
/// config file never holds it); a password in the URL itself is accepted for development.
public struct PostgresConfiguration: Sendable, Hashable {
    /// How the connection uses TLS, after libpq's `sslmode`.
    public enum TLSMode: String, Sendable, Hashable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Connections in the pool.
    public var maximumConnections: Int = 4
    /// How long a new connection may take.
    public var connectTimeout: Duration = .seconds(2)
    /// How long any one store operation may take before it fails with ``RecordsError/Code/unavailable``
    /// (the recorder then journals the batch).
    public var operationTimeout: Duration = .seconds(5)

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Parses `url`.
    ///
    /// - Parameters:
    ///   - url: `postgres://user@host:port/db` (or `postgresql://`); `?sslmode=disable|prefer|require`.
    ///   - passwordEnvironmentVariable: the variable that holds the password, e.g. `LEADGATE_RECORDS_PASSWORD`.
    ///   - environment: where to look it up (the process environment by default).
    /// - Throws: ``RecordsError`` (``RecordsError/Code/configuration``) naming what is wrong.
    public init(
        url: String,
        passwordEnvironmentVariable: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else { throw RecordsError(.configuration, "records.url must look like postgres://user@host:5432/database, not '\(Self.redacted(url))'") }
        guard let host = components.host, !host.isEmpty else { throw RecordsError(.configuration, "records.url has no host") }
        guard let user = components.user, !user.isEmpty else {
            throw RecordsError(.configuration, "records.url has no user (postgres://USER@host/db)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw RecordsError(.configuration, "records.url has no database name (postgres://user@host/DATABASE)") }
        var tls = TLSMode.prefer
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw RecordsError(.configuration, "records.url sslmode '\(mode)' is not one of disable, prefer, require")
            }
            tls = parsed
        }
        var password = components.password
        if let name = passwordEnvironmentVariable {
            guard let value = environment[name] else {
                throw RecordsError(.configuration, "the records password variable \(name) is not set; export it or remove records.password_env")
            }
            password = value
        }
        self.init(host: host, port: components.port ?? 5432, username: user, password: password, database: database, tls: tls)
    }

    /// `url` with any password replaced, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unparseable)"
    }
}
