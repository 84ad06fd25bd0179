import CCurl
import Foundation
import Synchronization

/// An HTTP client for many concurrent calls with hard deadlines: one libcurl multi handle driven by
/// one dedicated thread, bridged to async/await with continuations.
///
/// - One thread whatever the number of calls in flight. The loop sleeps in `epoll_wait` on the
///   sockets curl asks it to watch and drives curl with `curl_multi_socket_action`, so each event
///   costs work for its own transfer only. (`curl_multi_poll` + `curl_multi_perform` made curl poll
///   every transfer's socket on every wake-up: with 200 calls hanging, that loop used 44% of the
///   gateway's CPU and delayed answers by up to 80 ms.) Other threads only append commands and
///   signal an eventfd. Every `CURL*` is created, used and freed on the loop thread.
/// - Each call has one total budget (`CURLOPT_TIMEOUT_MS`) that covers connecting, sending and
///   receiving, with a cap on the connect phase; the loop also ends calls whose deadline has passed
///   in case curl has not noticed yet. No retries.
/// - Connections are reused (keep-alive; HTTP/2 multiplexing when a TLS server offers it).
/// - A bulkhead: when `maxInFlight` calls are running, the next one fails at once with `shed`
///   instead of waiting behind the others' budgets.
/// - Cancelling the caller's task removes its transfer and ends the call with `cancelled`.
/// - Reply bodies are capped (`maxResponseBytes`); TLS peers are verified (an extra CA bundle can be named).
public final class CurlMultiClient: Sendable {
    public struct Options: Sendable {
        public var maxInFlight: Int
        public var maxResponseBytes: Int
        /// A PEM file of trusted certificates (`CURLOPT_CAINFO`), for private CAs.
        public var caBundle: String?
        /// Idle connections kept for reuse.
        public var connectionCache: Int

        public init(maxInFlight: Int = 1_000, maxResponseBytes: Int = 1 << 20, caBundle: String? = nil, connectionCache: Int = 256) {
            self.maxInFlight = maxInFlight
            self.maxResponseBytes = maxResponseBytes
            self.caBundle = caBundle
            self.connectionCache = connectionCache
        }
    }

    public let options: Options
    let shared: CurlShared

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK

    public init(options: Options = Options()) throws(TransportError) {
        guard Self.globalInit, let raw = curl_multi_init() else {
            throw TransportError(.failed, "libcurl could not be initialised")
        }
        _ = ccurl_multi_setopt_long(raw, CURLMOPT_MAXCONNECTS, options.connectionCache)
        let wake = ccurl_eventfd()
        let poller = ccurl_epoll_create()
        guard wake >= 0, poller >= 0 else {
            if wake >= 0 { ccurl_close(wake) }
            if poller >= 0 { ccurl_close(poller) }
            curl_multi_cleanup(raw)
            throw TransportError(.failed, "could not create the loop's epoll and eventfd descriptors")
        }
        self.options = options
        self.shared = CurlShared(multi: CurlShared.MultiHandle(raw: raw), wakeFD: wake, pollFD: poller, options: options)
        let loop = CurlLoop(shared: shared)
        let thread = Thread { loop.run() }
        thread.name = "leadgate.curl"
        thread.start()
    }

    deinit { shutdown() }

    /// Calls in flight now (admitted and not yet answered).
    public var inFlight: Int { shared.state.withLock { $0.inFlight } }

    /// Ends every call in flight with `closed` and stops the loop. Later calls fail with `closed`.
    public func shutdown() {
        shared.state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            if !state.loopExited { ccurl_eventfd_signal(shared.wakeFD) }
        }
    }

    /// Performs `call`, returning any HTTP reply (including 4xx/5xx) or why there is none.
    public func execute(_ call: HTTPCall) async throws(TransportError) -> HTTPReply {
        let admitted = shared.state.withLock { state -> Result<UInt64, TransportError> in
            if state.closed { return .failure(TransportError(.closed, "the HTTP client is shut down")) }
            if state.inFlight >= options.maxInFlight {
                return .failure(TransportError(.shed, "\(state.inFlight) calls in flight; the limit is \(options.maxInFlight)"))
            }
            state.inFlight += 1
            state.nextID += 1
            return .success(state.nextID)
        }
        let id: UInt64
        switch admitted {
        case .success(let value): id = value
        case .failure(let error): throw error
        }
        defer { shared.state.withLock { $0.inFlight -= 1 } }
        let shared = self.shared
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let accepted = shared.state.withLock { state -> Bool in
                        guard !state.loopExited else { return false }
                        state.commands.append(.start(id, call, continuation))
                        ccurl_eventfd_signal(shared.wakeFD)
                        return true
                    }
                    if !accepted { continuation.resume(throwing: TransportError(.closed, "the HTTP client is shut down")) }
                }
            } onCancel: {
                shared.state.withLock { state in
                    guard !state.loopExited else { return }
                    state.commands.append(.cancel(id))
                    ccurl_eventfd_signal(shared.wakeFD)
                }
            }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.failed, "\(error)")
        }
    }
}

/// What the client and its loop share: the command inbox, the bulkhead count, the multi handle and
/// the loop's descriptors.
final class CurlShared: Sendable {
    /// `CURLM*`, used by the loop thread only.
    struct MultiHandle: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
    }

    enum Command {
        case start(UInt64, HTTPCall, CheckedContinuation<HTTPReply, any Error>)
        case cancel(UInt64)
    }

    struct State {
        var commands: [Command] = []
        var nextID: UInt64 = 0
        var inFlight = 0
        var closed = false
        var loopExited = false
    }

    let multi: MultiHandle
    /// An eventfd that wakes the loop. Other threads signal it only under `state`'s lock while
    /// `loopExited` is false, so never after the loop has closed it.
    let wakeFD: Int32
    /// The loop's epoll descriptor (loop thread only).
    let pollFD: Int32
    let options: CurlMultiClient.Options
    let state = Mutex(State())

    init(multi: MultiHandle, wakeFD: Int32, pollFD: Int32, options: CurlMultiClient.Options) {
        self.multi = multi
        self.wakeFD = wakeFD
        self.pollFD = pollFD
        self.options = options
    }
}
