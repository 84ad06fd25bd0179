import CCurl
import Dispatch
import Foundation

/// A minimal HTTP/1.1 client over libcurl for the tests: real sockets on loopback, one easy handle
/// per request, run on a dispatch queue so the cooperative pool never blocks.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    /// Every status line received, informational ones (`HTTP/1.1 100 Continue`) included.
    var statusLines: [String] = []

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw HTTPClientError(message: "not a JSON object: \(text.prefix(200))")
        }
        return object
    }

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

struct HTTPClientError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

enum HTTPClient {
    final class Sink {
        /// Ends the transfer early when it returns true for the body so far (streams).
        var until: ((String) -> Bool)?
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var statusLines: [String] = []
    }

    static func send(
        _ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil, timeoutMS: Int = 20_000
    ) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            // A thread per request: a blocked transfer must never hold a shared pool's thread.
            let thread = Thread {
                continuation.resume(with: Result { try perform(method, url, headers: headers, body: body, timeoutMS: timeoutMS) })
            }
            thread.start()
        }
    }

    static func send(_ method: String, _ url: String, headers: [String: String] = [:], json: String) async throws -> HTTPResponse {
        var all = headers
        if all["Content-Type"] == nil { all["Content-Type"] = "application/json" }
        return try await send(method, url, headers: all, body: Array(json.utf8))
    }

    /// Reads a streamed GET (Server-Sent Events) until `until` is true for what arrived, or until
    /// `timeoutMS`; returns what arrived either way.
    static func stream(
        _ url: String, headers: [String: String] = [:], timeoutMS: Int = 10_000, until: @escaping @Sendable (String) -> Bool
    ) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    with: Result { try perform("GET", url, headers: headers, body: nil, timeoutMS: timeoutMS, until: until, partialOK: true) })
            }
            thread.start()
        }
    }

    private static func perform(
        _ method: String, _ url: String, headers: [String: String], body: [UInt8]?, timeoutMS: Int, until: ((String) -> Bool)? = nil,
        partialOK: Bool = false
    ) throws -> HTTPResponse {
        guard let handle = curl_easy_init() else { throw HTTPClientError(message: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let sink = Sink()
        sink.until = until
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        var list: UnsafeMutablePointer<curl_slist>?
        // No `Expect: 100-continue` round trip for large bodies.
        let noExpect = headers.keys.contains { $0.lowercased() == "expect" } ? [] : ["Expect:"]
        for line in headers.map({ "\($0.key): \($0.value)" }) + noExpect { list = curl_slist_append(list, line) }
        defer { curl_slist_free_all(list) }
        _ = ccurl_easy_setopt_string(handle, CURLOPT_URL, url)
        _ = ccurl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        _ = ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMS)
        _ = ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        if let body {
            _ = ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            _ = body.withUnsafeBytes { raw in
                ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
            }
        }
        _ = ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        _ = ccurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, unmanaged.toOpaque())
        _ = ccurl_easy_setopt_write_function(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            let n = size * count
            let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
            data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            if let until = sink.until, until(String(decoding: sink.body, as: UTF8.self)) { return 0 }  // enough: stop
            return n
        }
        _ = ccurl_easy_setopt_header_function(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            let n = size * count
            let line = data.withMemoryRebound(to: UInt8.self, capacity: n) {
                String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
            }
            let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
            if line.hasPrefix("HTTP/") {
                sink.statusLines.append(line.trimmingCharacters(in: .whitespacesAndNewlines))
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                sink.headers[name] = value
            }
            return n
        }
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK || (partialOK && (code == CURLE_WRITE_ERROR || code == CURLE_OPERATION_TIMEDOUT)) else {
            throw HTTPClientError(message: "\(method) \(url): curl error \(code.rawValue): \(String(cString: curl_easy_strerror(code)))")
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body, statusLines: sink.statusLines)
    }
}
