import COpenSSL
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Synchronization
import TestSupport
import Testing

/// Badge-change webhooks against a test receiver that fails twice, then takes the event.
@Suite(.serialized) struct WebhookTests {
    final class Receiver: Sendable {
        struct Hit: Sendable {
            var body: String
            var eventID: String?
            var signature: String?
        }

        let hits = Mutex<[Hit]>([])
    }

    static let secret = "webhook-secret-0123456789abcdef"

    /// The fixture's hot lead (probability 0.963) under another id.
    static func hotLead(_ id: String) throws -> String {
        let data = try Data(contentsOf: Paths.repositoryRoot.appendingPathComponent("Tests/Fixtures/default-model/leads.json"))
        let leads = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let hot = try #require(leads.first { $0["lead_id"] as? String == "fx-hot-referral" })
        let body: [String: Any] = ["lead_id": id, "features": hot["features"] ?? [:], "options": ["rerank": false]]
        return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    @Test func aBadgeChangeIsPostedSignedAndRetried() async throws {
        let receiver = Receiver()
        let router = Router()
        router.post("/hook") { request, _ in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let hit = Receiver.Hit(
                body: String(buffer: buffer), eventID: request.headers[HTTPField.Name("X-LeadGate-Event-Id")!],
                signature: request.headers[HTTPField.Name("X-LeadGate-Signature")!])
            let count = receiver.hits.withLock { hits -> Int in
                hits.append(hit)
                return hits.count
            }
            return Response(status: count <= 2 ? .internalServerError : .ok)
        }
        try await withLoopbackServer(router, label: "hooks") { hooks in
            let yaml = "webhooks:\n  url: \(hooks)/hook\n  backoff_ms: 50\n"
            try await withGateway(yaml: yaml, environment: ["LEADGATE_WEBHOOK_SECRET": Self.secret]) { base in
                let warm = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/score", json: try exampleLead(id: "W-1", extra: #""options": {"rerank": false}"#))
                #expect(try warm.json()["badge"] as? String == "warm")
                // The first score of a lead is no change: nothing is posted.
                try await Task.sleep(for: .milliseconds(300))
                #expect(receiver.hits.withLock { $0.isEmpty })
                let hot = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: try Self.hotLead("W-1"))
                #expect(try hot.json()["badge"] as? String == "hot")
                var hits: [Receiver.Hit] = []
                for _ in 0..<100 {
                    hits = receiver.hits.withLock { $0 }
                    if hits.count >= 3 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(hits.count == 3, "two 500s, then delivered")
                #expect(Set(hits.map(\.eventID)).count == 1, "every attempt carries the same event id")
                let last = try #require(hits.last)
                let event = try #require(try JSONSerialization.jsonObject(with: Data(last.body.utf8)) as? [String: Any])
                #expect(event["event"] as? String == "badge_changed")
                #expect(event["lead_id"] as? String == "W-1" && event["from"] as? String == "warm" && event["to"] as? String == "hot")
                #expect((event["score"] as? Int).map { $0 > 80 } == true)
                // The signature: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>")).
                let signature = try #require(last.signature)
                let parts = Dictionary(
                    uniqueKeysWithValues: signature.split(separator: ",").map { pair in
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
                    })
                let t = try #require(parts["t"])
                #expect(abs((Int(t) ?? 0) - Int(Date().timeIntervalSince1970)) < 60)
                var mac = [UInt8](repeating: 0, count: 32)
                var length: UInt32 = 32
                let key = Array(Self.secret.utf8)
                let message = Array("\(t).".utf8) + Array(last.body.utf8)
                _ = HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &mac, &length)
                #expect(parts["v1"] == mac.map { String(format: "%02x", $0) }.joined())
                let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
                #expect(metrics.contains(#"leadgate_webhooks_total{result="delivered"} 1"#))
                #expect(metrics.contains("leadgate_webhook_attempts_total 3"))
            }
        }
    }

    @Test func batchesAndEventsPostBadgeChangesToo() async throws {
        let receiver = Receiver()
        let router = Router()
        router.post("/hook") { request, _ in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            receiver.hits.withLock { $0.append(Receiver.Hit(body: String(buffer: buffer))) }
            return Response(status: .ok)
        }
        try await withLoopbackServer(router, label: "hooks") { hooks in
            try await withGateway(yaml: "webhooks:\n  url: \(hooks)/hook\n", environment: ["LEADGATE_WEBHOOK_SECRET": Self.secret]) { base in
                let warm = try exampleLead(id: "WB-1", extra: #""options": {"rerank": false}"#)
                let other = try exampleLead(id: "WB-2", extra: #""options": {"rerank": false}"#)
                _ = try await HTTPClient.send("POST", "\(base)/v1/leads/batch-score", json: #"{"leads": [\#(warm), \#(other)]}"#)
                try await Task.sleep(for: .milliseconds(300))
                // WB-1 turns hot in the next batch; WB-2 stays warm.
                let batch = try await HTTPClient.send(
                    "POST", "\(base)/v1/leads/batch-score", json: #"{"leads": [\#(try Self.hotLead("WB-1")), \#(other)]}"#)
                #expect(batch.status == 200)
                var hits: [Receiver.Hit] = []
                for _ in 0..<100 {
                    hits = receiver.hits.withLock { $0 }
                    if !hits.isEmpty { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(200))
                hits = receiver.hits.withLock { $0 }
                #expect(hits.count == 1, "only WB-1 changed badge")
                let event = try #require(try JSONSerialization.jsonObject(with: Data((hits.first?.body ?? "").utf8)) as? [String: Any])
                #expect(event["lead_id"] as? String == "WB-1" && event["from"] as? String == "warm" && event["to"] as? String == "hot")
                // Events that make WB-2 cold (no email opens in the window, a hesitant call) post one more.
                let old = Int64(Date().addingTimeInterval(-80 * 86_400).timeIntervalSince1970 * 1000)
                let events = #"""
                    {"events": [{"event_id": "q1", "type": "email_open", "at": \#(old)},
                     {"event_id": "q2", "type": "call_transcript", "properties": {"text": "too expensive, we are just looking, maybe later, not interested"}}]}
                    """#
                let cooled = try await HTTPClient.send("POST", "\(base)/v1/leads/WB-2/events", json: events).json()
                #expect(cooled["badge"] as? String == "cold")
                for _ in 0..<100 where receiver.hits.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(20)) }
                let second = receiver.hits.withLock { $0.count == 2 ? $0[1].body : "" }
                #expect(second.contains(#""lead_id":"WB-2""#) && second.contains(#""to":"cold""#))
            }
        }
    }

    @Test func aWebhookWithoutASecretStopsTheStart() throws {
        #expect(throws: (any Error).self) {
            _ = try GatewayConfig.load(file: nil, environment: ["LEADGATE_WEBHOOK_URL": "http://127.0.0.1:9/hook"])
        }
    }
}
