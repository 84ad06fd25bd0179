import CoreMetrics
import Foundation
import Hashing
public import Reranker

/// Posts events (a lead's badge changed) to the configured URL through libcurl, signed, with retries.
///
/// - Signature: `X-LeadGate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
///   `X-LeadGate-Event-Id` names the event (the same on every attempt, so a receiver can drop repeats).
/// - A transport failure, 429 or 5xx is retried after `backoff`, doubling, up to `maxAttempts`; any
///   other answer ends the delivery (2xx delivered, 4xx refused). Deliveries never delay a response.
public final class WebhookSender: Sendable {
    public struct Settings: Sendable {
        public var url: String
        public var secret: [UInt8]
        public var maxAttempts = 5
        public var backoff: Duration = .milliseconds(250)
        public var timeout: Duration = .seconds(2)

        public init(url: String, secret: [UInt8], maxAttempts: Int = 5, backoff: Duration = .milliseconds(250), timeout: Duration = .seconds(2)) {
            self.url = url
            self.secret = secret
            self.maxAttempts = maxAttempts
            self.backoff = backoff
            self.timeout = timeout
        }
    }

    public let settings: Settings
    private let client: CurlMultiClient
    private let metrics: PipelineMetrics

    public init(settings: Settings, metrics: PipelineMetrics) throws(TransportError) {
        self.settings = settings
        self.metrics = metrics
        client = try CurlMultiClient(options: .init(maxInFlight: 256, maxResponseBytes: 64 * 1024))
    }

    public func shutdown() { client.shutdown() }

    /// The signature header's value for `body` at `time` (unix seconds).
    static func signature(body: [UInt8], secret: [UInt8], time: Int) -> String {
        "t=\(time),v1=" + HMAC.sha256Hex(key: secret, message: Array("\(time).".utf8) + body)
    }

    /// Delivers `body` in the background.
    public func send(eventID: String, body: String) {
        Task.detached { await self.deliver(eventID: eventID, body: Array(body.utf8)) }
    }

    /// Delivers `body` to `url` (a job's callback) instead of the configured URL, signed the same way.
    public func send(eventID: String, body: String, to url: String) {
        Task.detached { await self.deliver(eventID: eventID, body: Array(body.utf8), url: url) }
    }

    /// Delivers `body`, retrying; true when the receiver took it.
    @discardableResult
    func deliver(eventID: String, body: [UInt8], url: String? = nil) async -> Bool {
        var wait = settings.backoff
        for attempt in 1...max(1, settings.maxAttempts) {
            metrics.webhookPosts.increment()
            let time = Int(Date().timeIntervalSince1970)
            let call = HTTPCall(
                url: url ?? settings.url,
                headers: [
                    "Content-Type: application/json", "User-Agent: LeadGate", "X-LeadGate-Event-Id: \(eventID)",
                    "X-LeadGate-Signature: \(Self.signature(body: body, secret: settings.secret, time: time))",
                ],
                body: body, timeout: settings.timeout, connectTimeout: min(settings.timeout, .milliseconds(500)))
            var retry = true
            do {
                let reply = try await client.execute(call)
                if (200..<300).contains(reply.status) {
                    metrics.webhooksDelivered.increment()
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
        metrics.webhooksFailed.increment()
        return false
    }
}
