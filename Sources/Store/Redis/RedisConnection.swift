import CHiredis

/// A Redis reply, copied out of hiredis's memory.
public enum RedisValue: Sendable, Equatable {
    case bulk([UInt8])
    case status(String)
    case integer(Int)
    case array([RedisValue])
    case null
    /// An error reply (`-ERR …`): Redis refused the command; the connection is still good.
    case error(String)

    public var text: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let s): s
        default: nil
        }
    }
}

/// One blocking hiredis connection. Not thread-safe: a ``RedisPool`` worker owns it on its thread.
///
/// Any I/O error (refused, reset, timeout, protocol) leaves a hiredis context unusable, so the
/// connection reports itself broken and the pool replaces it; an error reply does not.
final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    private(set) var isBroken = false

    /// Connects, then AUTH and SELECT as the endpoint asks. Timeouts in milliseconds.
    init(endpoint: RedisEndpoint, connectTimeoutMS: Int, commandTimeoutMS: Int) throws(StoreError) {
        let made: UnsafeMutablePointer<redisContext>?
        switch endpoint.address {
        case .tcp(let host, let port): made = chiredis_connect(host, Int32(port), connectTimeoutMS)
        case .unix(let path): made = chiredis_connect_unix(path, connectTimeoutMS)
        }
        guard let made else { throw StoreError(.unavailable, "redis connect: out of memory") }
        if made.pointee.err != 0 {
            let message = String(cString: chiredis_errstr(made))
            redisFree(made)
            throw StoreError(.unavailable, "redis connect to \(endpoint.description): \(message)")
        }
        context = made
        _ = chiredis_set_timeout(made, commandTimeoutMS)
        if case .tcp = endpoint.address { _ = redisEnableKeepAlive(made) }
        if let password = endpoint.password {
            var auth: [[UInt8]] = [Array("AUTH".utf8)]
            if let user = endpoint.username { auth.append(Array(user.utf8)) }
            auth.append(Array(password.utf8))
            let reply = try command(auth)
            if case .error(let message) = reply {
                throw StoreError(.unavailable, "redis AUTH failed: \(message). Check the user and password in LEADGATE_REDIS_URL.")
            }
        }
        if endpoint.database != 0 {
            let reply = try command([Array("SELECT".utf8), Array(String(endpoint.database).utf8)])
            if case .error(let message) = reply {
                throw StoreError(.unavailable, "redis SELECT \(endpoint.database) failed: \(message)")
            }
        }
    }

    deinit { redisFree(context) }

    /// Sends one command and waits for its reply.
    func command(_ arguments: [[UInt8]]) throws(StoreError) -> RedisValue {
        guard !isBroken else { throw StoreError(.unavailable, "the connection is broken") }
        let raw = Self.withArgv(arguments) { argc, argv, lengths in redisCommandArgv(context, argc, argv, lengths) }
        guard let raw else { throw broken() }
        defer { freeReplyObject(raw) }
        return Self.value(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends every command, then reads every reply: one round trip.
    func pipeline(_ commands: [[[UInt8]]]) throws(StoreError) -> [RedisValue] {
        guard !isBroken else { throw StoreError(.unavailable, "the connection is broken") }
        for arguments in commands {
            let status = Self.withArgv(arguments) { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
            guard status == REDIS_OK else { throw broken() }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw broken() }
            replies.append(Self.value(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    /// The next pushed reply (pub/sub), or nil when none arrives within `timeoutMS`.
    func nextPush(timeoutMS: Int) throws(StoreError) -> RedisValue? {
        guard !isBroken else { throw StoreError(.unavailable, "the connection is broken") }
        var raw: UnsafeMutableRawPointer?
        switch chiredis_next_reply(context, Int32(timeoutMS), &raw) {
        case 1:
            guard let raw else { return nil }
            defer { freeReplyObject(raw) }
            return Self.value(raw.assumingMemoryBound(to: redisReply.self))
        case 0:
            return nil
        default:
            throw broken()
        }
    }

    private func broken() -> StoreError {
        isBroken = true
        let detail = String(cString: chiredis_errstr(context))
        let timedOut = detail.contains("Resource temporarily unavailable") || detail.contains("timed out")
        return StoreError(timedOut ? .timeout : .unavailable, "redis: \(detail.isEmpty ? "connection lost" : detail)")
    }

    /// Lays the arguments out in one buffer and calls `body` with hiredis's argc/argv/argvlen.
    private static func withArgv<R>(
        _ arguments: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        let total = arguments.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, total), alignment: 1)
        let pointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(1, arguments.count))
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: max(1, arguments.count))
        defer {
            storage.deallocate()
            pointers.deallocate()
            lengths.deallocate()
        }
        var offset = 0
        for (i, argument) in arguments.enumerated() {
            argument.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { (storage + offset).copyMemory(from: base, byteCount: bytes.count) }
            }
            pointers[i] = UnsafePointer((storage + offset).assumingMemoryBound(to: CChar.self))
            lengths[i] = argument.count
            offset += argument.count
        }
        return body(Int32(arguments.count), pointers, lengths)
    }

    private static func value(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        func bytes() -> [UInt8] {
            guard let str = r.str, r.len > 0 else { return [] }
            return str.withMemoryRebound(to: UInt8.self, capacity: r.len) { Array(UnsafeBufferPointer(start: $0, count: r.len)) }
        }
        switch r.type {
        case REDIS_REPLY_STRING: return .bulk(bytes())
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            guard let elements = r.element else { return .array([]) }
            return .array(
                (0..<r.elements).map { i in
                    guard let element = elements[i] else { return .null }
                    return value(element)
                })
        default: return .null
        }
    }
}
