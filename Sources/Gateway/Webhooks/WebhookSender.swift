import Foundation
import Reranker
import Synchronization

/// Posts events (a lead's badge changed) to the configured URL through libcurl, signed, with retries.
///
/// - Signature: `X-LeadGate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
///   `X-LeadGate-Event-Id` names the event (the same on every attempt, so a receiver can drop repeats).
/// - A transport failure, 429 or 5xx is retried after `backoff`, doubling, up to `maxAttempts`; any
///   other answer ends the delivery (2xx delivered, 4xx refused). Deliveries never delay a response.
final class WebhookSender: Sendable {
    struct Settings: Sendable {
        var url: String
        var secret: [UInt8]
        var maxAttempts = 5
        var backoff: Duration = .milliseconds(250)
        var timeout: Duration = .seconds(2)
    }

    struct Counts: Sendable {
        var delivered = 0
        var failed = 0
        var attempts = 0
    }

    let settings: Settings
    private let client: CurlMultiClient
    private let counts = Mutex(Counts())

    init(settings: Settings) throws(TransportError) {
        self.settings = settings
        client = try CurlMultiClient(options: .init(maxInFlight: 256, maxResponseBytes: 64 * 1024))
    }

    var stats: Counts { counts.withLock { $0 } }

    func shutdown() { client.shutdown() }

    /// The signature header's value for `body` at `time` (unix seconds).
    static func signature(body: [UInt8], secret: [UInt8], time: Int) -> String {
        let mac = Digest.hmacSHA256(key: secret, message: Array("\(time).".utf8) + body)
        return "t=\(time),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Delivers `body` in the background.
    func send(eventID: String, body: String) {
        Task.detached { await self.deliver(eventID: eventID, body: Array(body.utf8)) }
    }

    /// Delivers `body`, retrying; true when the receiver took it.
    @discardableResult
    func deliver(eventID: String, body: [UInt8]) async -> Bool {
        var wait = settings.backoff
        for attempt in 1...max(1, settings.maxAttempts) {
            counts.withLock { $0.attempts += 1 }
            let time = Int(Date().timeIntervalSince1970)
            let call = HTTPCall(
                url: settings.url,
                headers: [
                    "Content-Type: application/json", "User-Agent: LeadGate", "X-LeadGate-Event-Id: \(eventID)",
                    "X-LeadGate-Signature: \(Self.signature(body: body, secret: settings.secret, time: time))",
                ],
                body: body, timeout: settings.timeout, connectTimeout: min(settings.timeout, .milliseconds(500)))
            var retry = true
            do {
                let reply = try await client.execute(call)
                if (200..<300).contains(reply.status) {
                    counts.withLock { $0.delivered += 1 }
                    return true
                }
                retry = reply.status == 429 || reply.status >= 500
            } catch {
                retry = error.kind != .closed
            }
            guard retry, attempt < settings.maxAttempts else { break }
            try? await Task.sleep(for: wait)
            wait *= 2
        }
        counts.withLock { $0.failed += 1 }
        return false
    }
}
