import Foundation
import TestSupport
import Testing

/// Events that re-score a lead at once, and score streams (SSE), through real HTTP on loopback; in
/// memory and with a real redis-server shared by two gateways.
@Suite(.serialized) struct EventTests {
    /// A lukewarm lead: no pre-approval, no tour, little activity.
    static let coldLead = #"""
        {"lead_id": "%@", "features": {"pricing_page_views": 0, "listing_views": 2, "saved_listings": 0, "email_opens": 1,
         "email_clicks": 0, "property_searches": 1, "days_since_last_activity": 40, "budget_to_price_ratio": 0.9,
         "tour_requested": false, "mortgage_preapproved": false, "lead_source": "website"}, "options": {"rerank": false}}
        """#

    static func lead(_ id: String) -> String { coldLead.replacingOccurrences(of: "%@", with: id) }

    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func post(_ base: String, _ id: String, _ body: String) async throws -> HTTPResponse {
        try await HTTPClient.send("POST", "\(base)/v1/leads/\(id)/events", json: body)
    }

    static let callEvents = #"""
        {"events": [
          {"event_id": "c-1", "type": "call_started"},
          {"event_id": "c-2", "type": "preapproval", "properties": {"lender": "First Bank"}},
          {"event_id": "c-3", "type": "tour_requested"},
          {"event_id": "c-4", "type": "page_view", "properties": {"page": "pricing"}},
          {"event_id": "c-5", "type": "page_view", "properties": {"page": "pricing"}},
          {"event_id": "c-6", "type": "call_transcript", "properties": {"text": "We are pre-approved and ready to see it this week, we love the area."}}
        ]}
        """#

    @Test func eventsRescoreAtOnceAndARetryCountsOnce() async throws {
        try await withGateway { base in
            let first = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: Self.lead("E-1")).json()
            let before = try #require(first["score"] as? Int)
            let response = try await Self.post(base, "E-1", Self.callEvents)
            #expect(response.status == 200, "\(response.text.prefix(300))")
            let body = try response.json()
            let events = try #require(body["events"] as? [String: Any])
            #expect(events["accepted"] as? Int == 6 && events["duplicates"] as? Int == 0 && events["held"] as? Int == 6)
            let folded = try #require(body["from_events"] as? [String: Any])
            #expect(folded["mortgage_preapproved"] as? Bool == true)
            #expect(folded["tour_requested"] as? Bool == true)
            #expect(folded["pricing_page_views"] as? Int == 2)
            #expect(folded["days_since_last_activity"] as? Int == 0)
            #expect((folded["call_sentiment"] as? Double ?? 0) > 0.5)
            let after = try #require(body["score"] as? Int)
            #expect(after > before + 20, "pre-approval, a tour and a warm call move the score: \(before) → \(after)")
            #expect((body["speakable"] as? String)?.isEmpty == false)
            #expect(VoiceTests.rerankStatus(body) == "disabled", "no LLM is configured")
            // Fields no rule folds keep what the score request sent.
            let reasons = try #require(body["reasons"] as? [[String: Any]])
            #expect(!reasons.isEmpty)
            // The live score is the new one.
            let live = try await HTTPClient.send("GET", "\(base)/v1/leads/E-1/score").json()
            #expect(live["score"] as? Int == after)
            // The platform retries the same request: nothing counts twice.
            let retry = try await Self.post(base, "E-1", Self.callEvents).json()
            let again = try #require(retry["events"] as? [String: Any])
            #expect(again["accepted"] as? Int == 0 && again["duplicates"] as? Int == 6 && again["held"] as? Int == 6)
            #expect(retry["score"] as? Int == after)
            #expect((retry["from_events"] as? [String: Any])?["pricing_page_views"] as? Int == 2)
            let metrics = try await HTTPClient.send("GET", "\(base)/metrics").text
            #expect(metrics.contains(#"leadgate_events_total{result="accepted"} 6"#))
            #expect(metrics.contains(#"leadgate_events_total{result="duplicate"} 6"#))
        }
    }

    @Test func lateEventsFoldByTheirTimeAndOldOnesLeaveTheWindow() async throws {
        try await withGateway { base in
            let now = Date()
            // The newest pre-approval answer arrives first; an older, opposite one arrives later.
            let newer =
                #"{"event_id": "p-2", "type": "preapproval", "at": "\#(Self.iso(now.addingTimeInterval(-60)))", "properties": {"approved": true}}"#
            let older =
                #"{"event_id": "p-1", "type": "preapproval", "at": "\#(Self.iso(now.addingTimeInterval(-7200)))", "properties": {"approved": false}}"#
            _ = try await Self.post(base, "E-2", newer)
            let late = try await Self.post(base, "E-2", older).json()
            #expect((late["from_events"] as? [String: Any])?["mortgage_preapproved"] as? Bool == true)
            // A page view 40 days ago is outside the 30-day window but sets recency; one 91 days ago is dropped.
            let old = Int64(now.addingTimeInterval(-40 * 86_400).timeIntervalSince1970 * 1000)
            let ancient = Int64(now.addingTimeInterval(-91 * 86_400).timeIntervalSince1970 * 1000)
            let views = try await Self.post(
                base, "E-3",
                #"{"events": [{"event_id": "v-1", "type": "page_view", "at": \#(old), "properties": {"page": "pricing"}}, {"event_id": "v-0", "type": "email_click", "at": \#(ancient)}]}"#
            ).json()
            let folded = try #require(views["from_events"] as? [String: Any])
            #expect(folded["pricing_page_views"] as? Int == 0)
            #expect(folded["days_since_last_activity"] as? Int == 40)
            #expect(folded["email_clicks"] == nil, "the 91-day-old click is beyond retention")
            #expect((views["events"] as? [String: Any])?["held"] as? Int == 1)
            // A lead never scored is scored from its events alone.
            #expect(views["lead_id"] as? String == "E-3")
        }
    }

    @Test func aBulkRequestCarriesEventsOfManyLeads() async throws {
        try await withGateway { base in
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: Self.lead("B-1"))
            let body = #"""
                {"events": [
                  {"lead_id": "B-1", "event_id": "b1-1", "type": "preapproval"},
                  {"lead_id": "B-2", "event_id": "b2-1", "type": "page_view", "properties": {"page": "pricing"}},
                  {"lead_id": "B-1", "event_id": "b1-2", "type": "tour_requested"},
                  {"lead_id": "B-3", "event_id": "b3-1", "type": "email_open"},
                  {"lead_id": "B-2", "event_id": "b2-1", "type": "page_view", "properties": {"page": "pricing"}}
                ], "options": {"explain": false}}
                """#
            let response = try await HTTPClient.send("POST", "\(base)/v1/leads/events", json: body)
            #expect(response.status == 200, "\(response.text.prefix(300))")
            let answer = try response.json()
            #expect(answer["leads_count"] as? Int == 3 && answer["events_count"] as? Int == 5 && answer["failed"] as? Int == 0)
            let results = try #require(answer["results"] as? [[String: Any]])
            #expect(results.map { $0["lead_id"] as? String } == ["B-1", "B-2", "B-3"], "in the order of each lead's first event")
            let b1 = try #require(results[0]["events"] as? [String: Any])
            #expect(b1["accepted"] as? Int == 2)
            let b2 = try #require(results[1]["events"] as? [String: Any])
            #expect(b2["accepted"] as? Int == 1 && b2["duplicates"] as? Int == 1)
            #expect(results[0]["reasons"] == nil, "options apply to every lead")
            #expect((results[0]["from_events"] as? [String: Any])?["mortgage_preapproved"] as? Bool == true)
            // Every lead's live score is the new one.
            let live = try await HTTPClient.send("GET", "\(base)/v1/leads/B-3/score").json()
            #expect(live["score"] as? Int == results[2]["score"] as? Int)
            // One bad event refuses the whole request, naming it; nothing is stored.
            let bad = try await HTTPClient.send(
                "POST", "\(base)/v1/leads/events",
                json: #"{"events": [{"lead_id": "B-4", "event_id": "x", "type": "search"}, {"event_id": "y", "type": "search"}]}"#)
            #expect(bad.status == 422)
            #expect(bad.text.contains(#""field":"events[1].lead_id""#))
            #expect((try await HTTPClient.send("GET", "\(base)/v1/leads/B-4/score")).status == 404)
        }
    }

    @Test func badEventsAreRefusedNamingTheField() async throws {
        try await withGateway(yaml: "limits:\n  max_events_per_request: 3\n") { base in
            func problem(_ body: String) async throws -> (Int, [String]) {
                let response = try await Self.post(base, "E-9", body)
                let errors = (try? response.json()["errors"] as? [[String: Any]]) ?? []
                return (response.status, errors.compactMap { $0["field"] as? String })
            }
            #expect(try await problem(#"{"events": [{"event_id": "a", "type": "fax_sent"}]}"#) == (422, ["events[0].type"]))
            #expect(try await problem(#"{"events": [{"type": "page_view"}]}"#) == (422, ["events[0].event_id"]))
            #expect(try await problem(#"{"events": [{"event_id": "a", "type": "page_view", "at": "yesterday"}]}"#) == (422, ["events[0].at"]))
            let future = Self.iso(Date().addingTimeInterval(3600))
            #expect(try await problem(#"{"events": [{"event_id": "a", "type": "page_view", "at": "\#(future)"}]}"#) == (422, ["events[0].at"]))
            #expect(
                try await problem(#"{"event_id": "a", "type": "budget_stated", "properties": {"ratio": 50}}"#) == (422, ["properties.ratio"]))
            #expect(try await problem(#"{"events": [{"event_id": "a", "type": "page_view", "properties": {"page": [1]}}]}"#).0 == 422)
            let four = (1...4).map { #"{"event_id": "x\#($0)", "type": "search"}"# }.joined(separator: ",")
            #expect(try await problem(#"{"events": [\#(four)]}"#) == (422, ["events"]))
            #expect(try await problem(#"{"events": []}"#) == (422, ["events"]))
            // Nothing of a refused request was stored.
            let ok = try await Self.post(base, "E-9", #"{"event_id": "a", "type": "search"}"#).json()
            #expect((ok["events"] as? [String: Any])?["held"] as? Int == 1)
        }
    }

    @Test func theLLMRefreshesInTheBackgroundAndStreamsSeeEveryChange() async throws {
        try await withMockLLM({ _, _ in .adjustment(1.15, delay: .milliseconds(250)) }) { llm, log in
            try await withGateway(yaml: VoiceTests.yaml(llm)) { base in
                _ = try await HTTPClient.send("POST", "\(base)/v1/leads/prewarm", json: #"{"leads": [\#(Self.lead("E-5"))]}"#)
                // Open the stream, then send events while it is open.
                async let streamed = HTTPClient.stream("\(base)/v1/leads/E-5/score/stream", timeoutMS: 8_000) { text in
                    text.contains(#""status":"applied""#) || text.contains(#""status":"cached""#)
                }
                try await Task.sleep(for: .milliseconds(300))
                let start = ContinuousClock.now
                let response = try await Self.post(
                    base, "E-5", #"{"events": [{"event_id": "s-1", "type": "preapproval"}], "options": {"rerank": true}}"#)
                #expect(ContinuousClock.now - start < .milliseconds(150), "the model's score answers at once; the LLM runs behind")
                let body = try response.json()
                #expect(VoiceTests.rerankStatus(body) == "pending")
                let stream = try await streamed
                #expect(stream.header("content-type") == "text/event-stream")
                let messages = stream.text.components(separatedBy: "\n\n").filter { $0.hasPrefix("event: score") }
                #expect(messages.count >= 2, "the first score, then the event's score and the adjusted one: \(stream.text.prefix(400))")
                let scores = messages.compactMap { message -> [String: Any]? in
                    guard let line = message.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
                    return try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
                }
                #expect(scores.contains { $0["score"] as? Int == body["score"] as? Int && VoiceTests.rerankStatus($0) == "pending" })
                #expect(scores.last.map { VoiceTests.rerankStatus($0) } == "applied")
                #expect(log.requests.count >= 1)
                // Reconnecting with the last id gets no repeat of that score.
                let lastID = try #require(
                    messages.last?.split(separator: "\n").first { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) })
                let resumed = try await HTTPClient.stream("\(base)/v1/leads/E-5/score/stream", headers: ["Last-Event-ID": lastID], timeoutMS: 1_500) {
                    $0.contains("event: score")
                }
                #expect(!resumed.text.contains("event: score"))
                // What the caller says reaches the LLM as (untrusted) notes with the next refresh.
                let said = "We sold our house last week and the bank pre-approved us."
                _ = try await Self.post(base, "E-5", #"{"event_id": "s-2", "type": "call_transcript", "properties": {"text": "\#(said)"}}"#)
                var seen = false
                for _ in 0..<100 {
                    let bodies = log.requests.compactMap { try? JSONSerialization.data(withJSONObject: $0) }.map {
                        String(decoding: $0, as: UTF8.self)
                    }
                    if bodies.contains(where: { $0.contains(said) }) {
                        seen = true
                        break
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(seen, "the transcript segment is in the LLM request")
            }
        }
    }

    /// Two gateways on one real redis-server; `body` gets both base URLs and the server.
    static func withTwoGateways(_ body: @Sendable (String, String, RedisServer) async throws -> Void) async throws {
        let redis = try RedisServer()
        let yaml = "redis:\n  url: \(redis.url())\n"
        try await withGateway(yaml: yaml) { a in
            try await withGateway(yaml: yaml) { b in try await body(a, b, redis) }
        }
    }

    @Test func twoGatewaysShareEventsAndStreamsThroughRedis() async throws {
        try await Self.withTwoGateways { a, b, _ in
            _ = try await HTTPClient.send("POST", "\(a)/v1/leads/score", json: Self.lead("R-1"))
            // A stream on gateway B sees what gateway A scores.
            async let streamed = HTTPClient.stream("\(b)/v1/leads/R-1/score/stream", timeoutMS: 8_000) { text in
                text.components(separatedBy: "event: score").count >= 3
            }
            try await Task.sleep(for: .milliseconds(700))  // the stream is open and B subscribed
            let onA = try await Self.post(a, "R-1", Self.callEvents).json()
            #expect((onA["events"] as? [String: Any])?["accepted"] as? Int == 6)
            // Only Redis pub/sub can bring A's new score to B's stream.
            let stream = try await streamed
            let ids = stream.text.split(separator: "\n").filter { $0.hasPrefix("id: ") }
            #expect(ids.count >= 2, "the first score, then A's event score: \(stream.text.prefix(300))")
            #expect(stream.text.contains(#""score":\#(onA["score"] as? Int ?? -1)"#))
            // The platform retries on the other gateway: still counted once.
            let onB = try await Self.post(b, "R-1", Self.callEvents).json()
            #expect((onB["events"] as? [String: Any])?["duplicates"] as? Int == 6)
            #expect(onB["score"] as? Int == onA["score"] as? Int)
            // Erasure removes the event log with the rest.
            let erased = try await HTTPClient.send("DELETE", "\(a)/v1/leads/R-1").json()
            #expect((erased["removed"] as? [String])?.contains("leadgate:lead:R-1:events") == true)
            let fresh = try await Self.post(b, "R-1", Self.callEvents).json()
            #expect((fresh["events"] as? [String: Any])?["accepted"] as? Int == 6)
        }
    }

    /// Pub/sub keeps nothing for a subscriber that is away: when gateway B's subscription comes back,
    /// B reads again every lead a stream watches, so a change made meanwhile is not lost.
    @Test func aStreamCatchesUpAfterItsGatewaysSubscriptionBreaks() async throws {
        try await Self.withTwoGateways { a, b, redis in
            _ = try await HTTPClient.send("POST", "\(a)/v1/leads/score", json: Self.lead("K-1"))
            async let streamed = HTTPClient.stream("\(b)/v1/leads/K-1/score/stream", timeoutMS: 6_000) { text in
                text.components(separatedBy: "event: score").count >= 3
            }
            try await Task.sleep(for: .milliseconds(700))
            // Drop every pub/sub connection, then change the score before B's subscriber is back.
            let kill = Process()
            kill.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            kill.arguments = ["redis-cli", "-p", String(redis.port), "CLIENT", "KILL", "TYPE", "pubsub"]
            kill.standardOutput = FileHandle.nullDevice
            try kill.run()
            kill.waitUntilExit()
            let changed = try await Self.post(a, "K-1", #"{"event_id": "k-1", "type": "preapproval"}"#).json()
            let stream = try await streamed
            #expect(stream.text.contains(#""score":\#(changed["score"] as? Int ?? -1)"#), "\(stream.text.suffix(300))")
        }
    }

    @Test func streamsWaitForAFirstScoreAndAreBounded() async throws {
        try await withGateway(yaml: "live_scores:\n  max_streams: 1\n") { base in
            async let first = HTTPClient.stream("\(base)/v1/leads/N-1/score/stream", timeoutMS: 5_000) { $0.contains("event: score") }
            try await Task.sleep(for: .milliseconds(300))
            let second = try await HTTPClient.send("GET", "\(base)/v1/leads/N-2/score/stream", timeoutMS: 2_000)
            #expect(second.status == 503)
            _ = try await HTTPClient.send("POST", "\(base)/v1/leads/score", json: Self.lead("N-1"))
            let stream = try await first
            #expect(stream.text.contains(": no score yet"))
            #expect(stream.text.contains(#""lead_id":"N-1""#))
        }
    }
}
