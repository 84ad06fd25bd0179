import CCurl
import Foundation
import Synchronization

/// The loop thread of ``CurlMultiClient``: owns every easy handle and the multi handle.
///
/// `@unchecked Sendable`: it is handed to the thread it runs on and touched by nothing else; the
/// only shared state it reads is ``CurlShared/state``, behind its lock.
final class CurlLoop: @unchecked Sendable {
    /// One transfer in flight; reached from curl's callbacks through its unretained pointer, kept
    /// alive by ``transfers``.
    final class Transfer {
        let id: UInt64
        let easy: UnsafeMutableRawPointer
        let continuation: CheckedContinuation<HTTPReply, any Error>
        let started: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        let cap: Int
        var headerList: UnsafeMutablePointer<curl_slist>?
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var overCap = false

        init(id: UInt64, easy: UnsafeMutableRawPointer, continuation: CheckedContinuation<HTTPReply, any Error>, timeout: Duration, cap: Int) {
            self.id = id
            self.easy = easy
            self.continuation = continuation
            self.started = .now
            self.deadline = started.advanced(by: timeout)
            self.cap = cap
        }
    }

    let shared: CurlShared
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
    private var handleByID: [UInt64: UnsafeMutableRawPointer] = [:]
    /// Ids cancelled before their start command arrived.
    private var cancelledEarly: Set<UInt64> = []
    /// Sockets registered with epoll, as curl last asked.
    private var watched: Set<Int32> = []
    /// When curl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`; nil when it has no timer.
    private var curlTimer: ContinuousClock.Instant?
    /// The earliest deadline of a transfer in flight, as of the last scan or start.
    private var nextDeadline: ContinuousClock.Instant?

    init(shared: CurlShared) { self.shared = shared }

    private var multi: UnsafeMutableRawPointer { shared.multi.raw }

    func run() {
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
        _ = ccurl_multi_setopt_socket_function(multi) { _, socket, what, user, _ in
            guard let user else { return 0 }
            Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue().watch(socket, what: what)
            return 0
        }
        _ = ccurl_multi_setopt_timer_function(multi) { _, milliseconds, user in
            guard let user else { return 0 }
            let loop = Unmanaged<CurlLoop>.fromOpaque(user).takeUnretainedValue()
            loop.curlTimer = milliseconds < 0 ? nil : ContinuousClock.now.advanced(by: .milliseconds(milliseconds))
            return 0
        }
        _ = ccurl_epoll_control(shared.pollFD, EPOLL_CTL_ADD, shared.wakeFD, UInt32(EPOLLIN.rawValue))
        var readyFDs = [Int32](repeating: 0, count: 256)
        var readyEvents = [UInt32](repeating: 0, count: 256)
        var running: Int32 = 0
        while true {
            let (commands, closed) = shared.state.withLock { state in
                let commands = state.commands
                state.commands.removeAll(keepingCapacity: true)
                if state.closed { state.loopExited = true }
                return (commands, state.closed)
            }
            for command in commands { handle(command, closed: closed) }
            if closed {
                for transfer in Array(transfers.values) { finish(transfer, error: TransportError(.closed, "the HTTP client is shut down")) }
                curl_multi_cleanup(multi)
                ccurl_close(shared.pollFD)
                ccurl_close(shared.wakeFD)
                return
            }
            var now = ContinuousClock.now
            if let due = curlTimer, due <= now {
                curlTimer = nil
                _ = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
                collectDone()
            }
            // curl enforces CURLOPT_TIMEOUT_MS; this catches a transfer it has not woken up for yet.
            if let deadline = nextDeadline, deadline <= now { expire(now) }
            now = ContinuousClock.now
            var wake = now.advanced(by: .seconds(1))
            if let due = curlTimer, due < wake { wake = due }
            if let deadline = nextDeadline, deadline < wake { wake = deadline }
            let wait = wake <= now ? 0 : min(1000, Int((wake - now).milliseconds.rounded(.up)))
            let count = readyFDs.withUnsafeMutableBufferPointer { fds in
                readyEvents.withUnsafeMutableBufferPointer { events in
                    ccurl_epoll_wait(shared.pollFD, fds.baseAddress, events.baseAddress, Int32(fds.count), Int32(wait))
                }
            }
            guard count > 0 else { continue }
            for i in 0..<Int(count) {
                let fd = readyFDs[i]
                if fd == shared.wakeFD {
                    ccurl_eventfd_drain(fd)
                    continue
                }
                let events = readyEvents[i]
                var mask: Int32 = 0
                if events & UInt32(EPOLLIN.rawValue) != 0 { mask |= CURL_CSELECT_IN }
                if events & UInt32(EPOLLOUT.rawValue) != 0 { mask |= CURL_CSELECT_OUT }
                if events & (UInt32(EPOLLERR.rawValue) | UInt32(EPOLLHUP.rawValue)) != 0 { mask |= CURL_CSELECT_ERR }
                _ = curl_multi_socket_action(multi, fd, mask, &running)
            }
            collectDone()
        }
    }

    /// curl's socket callback: (un)registers `socket` with epoll for what curl waits on.
    private func watch(_ socket: Int32, what: Int32) {
        let poller = shared.pollFD
        if what == CURL_POLL_REMOVE {
            if watched.remove(socket) != nil { _ = ccurl_epoll_control(poller, EPOLL_CTL_DEL, socket, 0) }
            return
        }
        var events: UInt32 = 0
        if what == CURL_POLL_IN || what == CURL_POLL_INOUT { events |= UInt32(EPOLLIN.rawValue) }
        if what == CURL_POLL_OUT || what == CURL_POLL_INOUT { events |= UInt32(EPOLLOUT.rawValue) }
        // A descriptor curl closed leaves epoll by itself and its number can come back for a new
        // socket, so fall back between ADD and MOD on ENOENT/EEXIST.
        let first = watched.contains(socket) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        var result = ccurl_epoll_control(poller, first, socket, events)
        if result == ENOENT { result = ccurl_epoll_control(poller, EPOLL_CTL_ADD, socket, events) }
        if result == EEXIST { result = ccurl_epoll_control(poller, EPOLL_CTL_MOD, socket, events) }
        if result == 0 { watched.insert(socket) } else { watched.remove(socket) }
    }

    /// Hands every transfer curl has finished to its caller.
    private func collectDone() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle, let transfer = transfers[easy] else { continue }
            complete(transfer, code: ccurl_msg_result(message))
        }
    }

    /// Ends the transfers whose deadline has passed and finds the next deadline.
    private func expire(_ now: ContinuousClock.Instant) {
        var next: ContinuousClock.Instant?
        for transfer in Array(transfers.values) {
            if transfer.deadline <= now {
                finish(transfer, error: TransportError(.timeout, "no complete answer within the budget"))
            } else if next.map({ transfer.deadline < $0 }) ?? true {
                next = transfer.deadline
            }
        }
        nextDeadline = next
    }

    private func handle(_ command: CurlShared.Command, closed: Bool) {
        switch command {
        case .cancel(let id):
            if let easy = handleByID[id], let transfer = transfers[easy] {
                finish(transfer, error: TransportError(.cancelled, "the caller's task was cancelled"))
            } else {
                cancelledEarly.insert(id)
            }
        case .start(let id, let call, let continuation):
            if closed {
                continuation.resume(throwing: TransportError(.closed, "the HTTP client is shut down"))
            } else if cancelledEarly.remove(id) != nil {
                continuation.resume(throwing: TransportError(.cancelled, "the caller's task was cancelled"))
            } else {
                start(id: id, call: call, continuation: continuation)
            }
        }
    }

    private func start(id: UInt64, call: HTTPCall, continuation: CheckedContinuation<HTTPReply, any Error>) {
        guard let easy = curl_easy_init() else {
            continuation.resume(throwing: TransportError(.failed, "curl_easy_init failed"))
            return
        }
        let options = shared.options
        let transfer = Transfer(id: id, easy: easy, continuation: continuation, timeout: call.timeout, cap: options.maxResponseBytes)
        let budget = max(1, Int(call.timeout.milliseconds))
        _ = ccurl_easy_setopt_string(easy, CURLOPT_URL, call.url)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, budget)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(budget, Int(call.connectTimeout.milliseconds))))
        _ = ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // No CURLOPT_PIPEWAIT: waiting to learn whether a connection multiplexes serialises calls to an
        // HTTP/1.1 upstream (seen: 3 of 4 concurrent 300 ms calls timed out at 500 ms). An HTTP/2
        // connection that is already open is still shared.
        _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        _ = ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        _ = ccurl_easy_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maxResponseBytes))
        if let bundle = options.caBundle { _ = ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, bundle) }
        if call.method == "POST" || !call.body.isEmpty {
            _ = ccurl_easy_setopt_long(easy, CURLOPT_POST, 1)
            _ = ccurl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(call.body.count))
            // COPYPOSTFIELDS copies the bytes, so the array may go away after this call.
            if call.body.isEmpty {
                _ = ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                call.body.withUnsafeBytes { raw in
                    if let base = raw.baseAddress {
                        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
                    }
                }
            }
        }
        if call.method != "POST", call.method != "GET" { _ = ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, call.method) }
        var list: UnsafeMutablePointer<curl_slist>?
        // No `Expect: 100-continue` round trip: it would spend the budget waiting.
        for line in call.headers + ["Expect:"] { list = curl_slist_append(list, line) }
        transfer.headerList = list
        _ = ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        _ = ccurl_easy_setopt_write_function(easy) { data, size, count, user in
            guard let data, let user else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
            let n = size * count
            guard transfer.body.count + n <= transfer.cap else {
                transfer.overCap = true
                return 0
            }
            data.withMemoryRebound(to: UInt8.self, capacity: n) { transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
            return n
        }
        _ = ccurl_easy_setopt_header_function(easy) { data, size, count, user in
            guard let data, let user else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(user).takeUnretainedValue()
            let n = size * count
            let line = data.withMemoryRebound(to: UInt8.self, capacity: n) {
                String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
            }
            if line.hasPrefix("HTTP/") {
                transfer.headers.removeAll()  // a new response (after 100 Continue)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                transfer.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return n
        }
        transfers[easy] = transfer
        handleByID[id] = easy
        if nextDeadline.map({ transfer.deadline < $0 }) ?? true { nextDeadline = transfer.deadline }
        if curl_multi_add_handle(multi, easy) != CURLM_OK {
            finish(transfer, error: TransportError(.failed, "curl_multi_add_handle failed"))
        }
    }

    private func complete(_ transfer: Transfer, code: CURLcode) {
        switch code {
        case CURLE_OK:
            var status = 0
            _ = ccurl_easy_getinfo_long(transfer.easy, CURLINFO_RESPONSE_CODE, &status)
            let reply = HTTPReply(status: status, headers: transfer.headers, body: transfer.body, elapsed: ContinuousClock.now - transfer.started)
            finish(transfer, reply: reply)
        case CURLE_OPERATION_TIMEDOUT:
            finish(transfer, error: TransportError(.timeout, "no complete answer within the budget"))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR,
            CURLE_PEER_FAILED_VERIFICATION:
            finish(transfer, error: TransportError(.connect, String(cString: curl_easy_strerror(code))))
        case CURLE_FILESIZE_EXCEEDED:
            finish(transfer, error: TransportError(.tooLarge, "the reply is larger than \(transfer.cap) bytes"))
        case CURLE_WRITE_ERROR where transfer.overCap:
            finish(transfer, error: TransportError(.tooLarge, "the reply is larger than \(transfer.cap) bytes"))
        default:
            finish(transfer, error: TransportError(.failed, "curl error \(code.rawValue): \(String(cString: curl_easy_strerror(code)))"))
        }
    }

    private func finish(_ transfer: Transfer, reply: HTTPReply? = nil, error: TransportError? = nil) {
        guard transfers.removeValue(forKey: transfer.easy) != nil else { return }
        handleByID[transfer.id] = nil
        curl_multi_remove_handle(multi, transfer.easy)
        curl_easy_cleanup(transfer.easy)
        curl_slist_free_all(transfer.headerList)
        if let reply {
            transfer.continuation.resume(returning: reply)
        } else {
            transfer.continuation.resume(throwing: error ?? TransportError(.failed, "unknown failure"))
        }
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
