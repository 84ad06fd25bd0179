import CCurl
import Foundation

/// One blocking HTTP exchange through libcurl's easy interface, for the command line: the request
/// body streamed from a file (never read whole), the response collected or streamed to a file
/// descriptor, upload progress reported as it goes.
final class CurlTransfer {
    struct Reply {
        var status: Int
        var body: String
    }

    /// The file the request body is read from (its descriptor), and its size.
    private var source: Int32 = -1
    /// Where the response body goes; collected in `collected` when -1.
    private var sink: Int32 = -1
    private var collected: [UInt8] = []
    private var writeFailed = false
    private let onUpload: ((Int64, Int64) -> Void)?

    private init(onUpload: ((Int64, Int64) -> Void)?) { self.onUpload = onUpload }

    /// - Parameters:
    ///   - upload: A file to send as the body (with `Content-Length`), or nil.
    ///   - output: A descriptor to stream the response body to (it is then not collected).
    static func perform(
        method: String, url: String, headers: [String], upload: String? = nil, body: [UInt8]? = nil, output: Int32? = nil,
        onUpload: ((Int64, Int64) -> Void)? = nil
    ) throws -> Reply {
        guard let handle = curl_easy_init() else { throw CommandFailure("libcurl could not start.") }
        defer { curl_easy_cleanup(handle) }
        let transfer = CurlTransfer(onUpload: onUpload)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers + ["Expect:"] { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        _ = ccurl_easy_setopt_string(handle, CURLOPT_URL, url)
        _ = ccurl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        _ = ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list)
        _ = ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, 5_000)
        _ = ccurl_easy_setopt_write_function(handle) { data, size, count, user in
            guard let data, let user else { return 0 }
            let me = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
            let bytes = size * count
            if me.sink >= 0 {
                var offset = 0
                while offset < bytes {
                    let n = write(me.sink, data + offset, bytes - offset)
                    if n <= 0 {
                        me.writeFailed = true
                        return 0
                    }
                    offset += n
                }
            } else {
                data.withMemoryRebound(to: UInt8.self, capacity: bytes) {
                    me.collected.append(contentsOf: UnsafeBufferPointer(start: $0, count: bytes))
                }
            }
            return bytes
        }
        _ = ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        if let output { transfer.sink = output }
        var bodyCopy = body ?? []
        if let upload {
            let fd = open(upload, O_RDONLY)
            guard fd >= 0 else { throw CommandFailure("cannot read \(upload): \(String(cString: strerror(errno))).") }
            transfer.source = fd
            var info = stat()
            fstat(fd, &info)
            _ = ccurl_easy_setopt_long(handle, CURLOPT_POST, 1)
            _ = ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(info.st_size))
            _ = ccurl_easy_setopt_read_function(handle) { buffer, size, count, user in
                guard let buffer, let user else { return Int(CURL_READFUNC_ABORT) }
                let me = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
                let n = read(me.source, buffer, size * count)
                return n < 0 ? Int(CURL_READFUNC_ABORT) : n
            }
            _ = ccurl_easy_setopt_pointer(handle, CURLOPT_READDATA, context)
            if onUpload != nil {
                _ = ccurl_easy_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
                _ = ccurl_easy_setopt_xferinfo_function(handle) { user, _, _, total, now in
                    guard let user else { return 0 }
                    Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue().onUpload?(Int64(now), Int64(total))
                    return 0
                }
                _ = ccurl_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
            }
        } else if body != nil {
            _ = ccurl_easy_setopt_long(handle, CURLOPT_POST, 1)
            _ = ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCopy.count))
            _ = bodyCopy.withUnsafeMutableBytes { ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
        }
        defer { if transfer.source >= 0 { close(transfer.source) } }
        let code = withExtendedLifetime(transfer) { curl_easy_perform(handle) }
        guard code == CURLE_OK else {
            if transfer.writeFailed { throw CommandFailure("could not write the answer: \(String(cString: strerror(errno))).") }
            throw CommandFailure("\(method) \(url) failed: \(String(cString: curl_easy_strerror(code))).")
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Reply(status: status, body: String(decoding: transfer.collected, as: UTF8.self))
    }
}
