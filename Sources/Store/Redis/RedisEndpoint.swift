import Foundation

/// Where Redis is and how to log in, from a URL:
/// - `redis://[user:password@]host[:port][/db]` (port 6379 and db 0 by default; `[::1]` for IPv6;
///   `redis://:password@host` for a password without a user);
/// - `unix:///path/to/redis.sock[?db=N][&user=U][&password=P]`.
/// User and password are percent-decoded. `rediss://` (TLS) is refused: hiredis is built without it here.
public struct RedisEndpoint: Sendable, Equatable {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    public var username: String?
    public var password: String?
    public var database: Int

    public init(address: Address, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `url`; the error says what is wrong and how to write it.
    public init(url: String) throws(StoreError) {
        func bad(_ why: String) -> StoreError {
            StoreError(
                .configuration, "`\(Self.redacted(url))` \(why). Write redis://[user:password@]host:port[/db] or unix:///path/to/redis.sock[?db=N].")
        }
        if url.hasPrefix("rediss://") { throw bad("asks for TLS, which this build of hiredis does not support") }
        if url.hasPrefix("unix://") {
            var rest = Substring(url.dropFirst("unix://".count))
            var query: [String: String] = [:]
            if let mark = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, let value = Self.percentDecoded(parts[1]) else { throw bad("has a malformed query") }
                    query[String(parts[0])] = value
                }
                rest = rest[..<mark]
            }
            guard rest.hasPrefix("/"), rest.count > 1 else { throw bad("needs an absolute socket path") }
            if let unknown = query.keys.first(where: { !["db", "user", "password"].contains($0) }) {
                throw bad("has an unknown parameter `\(unknown)`")
            }
            var database = 0
            if let db = query["db"] {
                guard let n = Int(db), (0...1_000).contains(n) else { throw bad("has a db that is not a number in 0–1000") }
                database = n
            }
            self.init(address: .unix(path: String(rest)), username: query["user"], password: query["password"], database: database)
            return
        }
        guard url.hasPrefix("redis://") else { throw bad("must start with redis:// or unix://") }
        var rest = Substring(url.dropFirst("redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                guard let u = Self.percentDecoded(user), let p = Self.percentDecoded(credentials[credentials.index(after: colon)...]) else {
                    throw bad("has badly percent-encoded credentials")
                }
                username = u.isEmpty ? nil : u
                password = p
            } else {
                guard let p = Self.percentDecoded(credentials) else { throw bad("has badly percent-encoded credentials") }
                password = p
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !db.isEmpty {
                guard let n = Int(db), (0...1_000).contains(n) else { throw bad("has a database `\(db)` that is not a number in 0–1000") }
                database = n
            }
        }
        var host = rest
        var port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("has an unclosed IPv6 bracket") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65_535).contains(p) else { throw bad("has a port that is not in 1–65535") }
                port = p
            } else if !after.isEmpty {
                throw bad("has text after the IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(p) else { throw bad("has a port that is not in 1–65535") }
            port = p
        }
        guard !host.isEmpty else { throw bad("has no host") }
        self.init(address: .tcp(host: String(host), port: port), username: username, password: password, database: database)
    }

    /// What logs and errors may show: the URL without its password.
    public var description: String {
        switch address {
        case .tcp(let host, let port): "redis://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
        case .unix(let path): "unix://\(path)?db=\(database)"
        }
    }

    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        return String(url[..<scheme.upperBound]) + "***@" + String(url[url.index(after: at)...])
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i != utf8.endIndex {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%") {
                let h = utf8.index(after: i)
                guard h != utf8.endIndex, utf8.index(after: h) != utf8.endIndex,
                    let value = UInt8(String(decoding: [utf8[h], utf8[utf8.index(after: h)]], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                i = utf8.index(h, offsetBy: 2)
            } else {
                bytes.append(byte)
                i = utf8.index(after: i)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// Why a store operation did not happen.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// A bad URL or setting.
        case configuration
        /// No connection (refused, reset, closed, AUTH/SELECT failed), or waiting out a reconnect backoff.
        case unavailable
        /// The operation did not finish in time.
        case timeout
        /// Redis answered with an error reply, or something unexpected.
        case reply
        /// The store is shut down.
        case closed
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
