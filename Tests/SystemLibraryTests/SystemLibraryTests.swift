import CCurl
import CHiredis
import Foundation
import Testing

/// The C libraries link and work: libcurl fetches a file, hiredis talks to a real redis-server.
@Suite struct SystemLibraryTests {
    /// Collects a transfer's body; reached from libcurl's write callback through `CURLOPT_WRITEDATA`.
    final class Body {
        var bytes: [UInt8] = []
    }

    @Test func curlTransfersAndReportsItsVersion() throws {
        #expect(curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK)
        let version = String(cString: try #require(curl_version()))
        #expect(version.hasPrefix("libcurl/"), "\(version)")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-curl-\(UUID().uuidString).txt")
        try Data("hello from libcurl".utf8).write(to: file)
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        let body = Body()
        let unmanaged = Unmanaged.passRetained(body)
        defer { unmanaged.release() }
        #expect(ccurl_easy_setopt_string(handle, CURLOPT_URL, file.absoluteString) == CURLE_OK)
        #expect(ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1) == CURLE_OK)
        #expect(ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque()) == CURLE_OK)
        let callback: ccurl_data_callback = { data, size, count, user in
            guard let data, let user else { return 0 }
            let sink = Unmanaged<Body>.fromOpaque(user).takeUnretainedValue()
            let n = size * count
            data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }
        #expect(ccurl_easy_setopt_write_function(handle, callback) == CURLE_OK)
        #expect(curl_easy_perform(handle) == CURLE_OK)
        #expect(String(decoding: body.bytes, as: UTF8.self) == "hello from libcurl")

        // A refused connection is an error code, not a crash.
        #expect(ccurl_easy_setopt_string(handle, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK)
        #expect(ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 500) == CURLE_OK)
        #expect(curl_easy_perform(handle) == CURLE_COULDNT_CONNECT)
    }

    @Test func hiredisTalksToARealRedisServer() throws {
        try RedisServer.withServer { port in
            let context = try #require(chiredis_connect("127.0.0.1", Int32(port), 1_000))
            defer { redisFree(context) }
            #expect(context.pointee.err == 0, "\(String(cString: chiredis_errstr(context)))")

            func command(_ words: [String]) -> (type: Int32, text: String, integer: Int64)? {
                var cStrings = words.map { strdup($0) }
                defer { cStrings.forEach { free($0) } }
                let lengths = words.map { $0.utf8.count }
                let raw = cStrings.withUnsafeMutableBufferPointer { argv in
                    lengths.withUnsafeBufferPointer { argvlen in
                        argv.baseAddress.map { base in
                            base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: words.count) {
                                redisCommandArgv(context, Int32(words.count), $0, argvlen.baseAddress)
                            }
                        } ?? nil
                    }
                }
                guard let raw else { return nil }
                defer { freeReplyObject(raw) }
                let reply = raw.assumingMemoryBound(to: redisReply.self).pointee
                let text = reply.str.map { String(cString: $0) } ?? ""
                return (reply.type, text, reply.integer)
            }

            let pong = try #require(command(["PING"]))
            #expect(pong.type == REDIS_REPLY_STATUS && pong.text == "PONG")
            #expect(command(["SET", "leadgate:test", "42", "EX", "30"])?.text == "OK")
            #expect(command(["GET", "leadgate:test"])?.text == "42")
            #expect(command(["TTL", "leadgate:test"])?.integer ?? 0 > 0)
            let failure = try #require(command(["INCR", "leadgate:nope", "extra"]))
            #expect(failure.type == REDIS_REPLY_ERROR)
        }
    }
}

/// Starts `redis-server` on a free loopback port for the duration of `body`.
enum RedisServer {
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw Failure("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func withServer(_ body: (Int) throws -> Void) throws {
        let candidates = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure("redis-server is not installed; run scripts/test.sh (it installs redis-server) or apt-get install redis-server")
        }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL, not terminate(): a child spawned from a dispatch worker thread inherits its blocked
            // signal mask, so redis-server never sees SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // Wait until it accepts connections (at most 5 s).
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let probe = chiredis_connect("127.0.0.1", Int32(port), 100) {
                let ok = probe.pointee.err == 0
                redisFree(probe)
                if ok { return try body(port) }
            }
            usleep(20_000)
        }
        throw Failure("redis-server did not start on port \(port)")
    }
}
