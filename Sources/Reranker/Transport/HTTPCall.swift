/// One HTTP exchange for ``CurlMultiClient``: what to send and the whole budget it may take.
public struct HTTPCall: Sendable {
    public var url: String
    public var method: String
    /// Header lines, `Name: value`.
    public var headers: [String]
    public var body: [UInt8]
    /// The total time the exchange may take, connecting included (`CURLOPT_TIMEOUT_MS`).
    public var timeout: Duration
    /// The most of `timeout` that connecting may use (`CURLOPT_CONNECTTIMEOUT_MS`).
    public var connectTimeout: Duration

    public init(
        url: String, method: String = "POST", headers: [String] = [], body: [UInt8] = [], timeout: Duration = .milliseconds(500),
        connectTimeout: Duration = .milliseconds(200)
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }
}

/// The answer to an ``HTTPCall``, whatever its status.
public struct HTTPReply: Sendable {
    public var status: Int
    /// Header values by lower-cased name (the last of repeated headers).
    public var headers: [String: String]
    public var body: [UInt8]
    /// From the call's start to its last byte.
    public var elapsed: Duration

    public init(status: Int, headers: [String: String], body: [UInt8], elapsed: Duration) {
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed
    }
}

/// Why an ``HTTPCall`` produced no reply.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The budget ran out (connecting, waiting or reading).
        case timeout
        /// No connection: refused, unreachable, DNS, TLS handshake.
        case connect
        /// The reply body exceeded the client's cap.
        case tooLarge
        /// The caller's task was cancelled.
        case cancelled
        /// The bulkhead was full: the call was refused at once rather than queued.
        case shed
        /// The client was shut down.
        case closed
        /// Any other transfer failure (bad URL, broken connection, protocol error).
        case failed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
