import Foundation
import Scoring
import Testing

/// Events folded into fields by a manifest's `events` block: windows, recency, latest values,
/// sentiment, order, expiry, and the errors of a bad block.
@Suite struct EventFoldTests {
    static let manifest = """
        id: m
        version: "1"
        model: model.json
        fields:
          views: { type: number, min: 0 }
          clicks: { type: number, min: 0 }
          idle_days: { type: number, min: 0 }
          tour: { type: boolean }
          approved: { type: boolean }
          ratio: { type: number, min: 0, max: 20 }
          tone: { type: number, min: -1, max: 1 }
        events:
          retention_days: 30
          max_per_lead: 5
          types: [call_started]
          fold:
            views: { count: page_view, where: { page: pricing }, window_days: 7 }
            clicks: { count: [email_click, sms_click] }
            idle_days: { recency_days: [page_view, email_click, call_started] }
            tour: { latest: tour_requested, value: true }
            approved: { latest: preapproval, property: approved, default: true }
            ratio: { latest: budget_stated, property: ratio }
            tone: { sentiment: call_transcript, property: text, segments: 2 }
        """

    static let day: Int64 = 86_400_000
    static let now: Int64 = 1_795_000_000_000

    static func rules() throws -> EventRules { try #require(try ModelManifest(yaml: manifest).events) }

    static func event(_ id: String, _ type: String, daysAgo: Double, _ properties: [String: LeadValue] = [:]) -> LeadEvent {
        LeadEvent(id: id, type: type, atMS: now - Int64(daysAgo * Double(day)), properties: properties)
    }

    @Test func countsOnlyMatchingEventsInsideTheWindow() throws {
        let rules = try Self.rules()
        let events = [
            Self.event("a", "page_view", daysAgo: 1, ["page": .string("pricing")]),
            Self.event("b", "page_view", daysAgo: 6.9, ["page": .string("pricing")]),
            Self.event("c", "page_view", daysAgo: 7.1, ["page": .string("pricing")]),  // outside 7 days
            Self.event("d", "page_view", daysAgo: 0.5, ["page": .string("listing")]),  // another page
            Self.event("e", "email_click", daysAgo: 20),
            Self.event("f", "sms_click", daysAgo: 29),
        ]
        let values = rules.fold(events, nowMS: Self.now)
        #expect(values["views"] == .number(2))
        #expect(values["clicks"] == .number(2))  // no window: within retention (30 days)
        #expect(values["idle_days"] == .number(0))  // the listing view half a day ago, rounded down
        #expect(values["tour"] == nil, "no matching event: the field keeps what the lead sent")
        // The window moves with time: a week later both pricing views are outside it.
        let later = rules.fold(events, nowMS: Self.now + 7 * Self.day)
        #expect(later["views"] == .number(0))
        #expect(later["idle_days"] == .number(7))
    }

    @Test func orderOfArrivalDoesNotMatterOnlyTheTimeOfEvents() throws {
        let rules = try Self.rules()
        let events = [
            Self.event("new", "preapproval", daysAgo: 1, ["approved": .bool(false)]),
            Self.event("old", "preapproval", daysAgo: 5, ["approved": .bool(true)]),
            Self.event("r1", "budget_stated", daysAgo: 2, ["ratio": .number(1.1)]),
            Self.event("r2", "budget_stated", daysAgo: 3, ["ratio": .number(0.7)]),
        ]
        let forward = rules.fold(events, nowMS: Self.now)
        let backward = rules.fold(events.reversed(), nowMS: Self.now)
        #expect(forward == backward)
        #expect(forward["approved"] == .bool(false), "the latest by `at`, though it arrived first")
        #expect(forward["ratio"] == .number(1.1))
        // A preapproval without the property means approved (the rule's default); a constant rule.
        let plain = rules.fold([Self.event("p", "preapproval", daysAgo: 0), Self.event("t", "tour_requested", daysAgo: 3)], nowMS: Self.now)
        #expect(plain["approved"] == .bool(true))
        #expect(plain["tour"] == .bool(true))
        #expect(plain["idle_days"] == nil, "neither type counts for recency")
    }

    @Test func sentimentAveragesTheLatestSegments() throws {
        let rules = try Self.rules()
        let events = [
            Self.event("s1", "call_transcript", daysAgo: 0.01, ["text": .string("We are pre-approved and ready, we love it")]),
            Self.event("s2", "call_transcript", daysAgo: 0.02, ["text": .string("It is too expensive and I am worried")]),
            Self.event("s3", "call_transcript", daysAgo: 0.03, ["text": .string("terrible terrible terrible")]),  // third: beyond 2 segments
        ]
        let tone = rules.fold(events, nowMS: Self.now)["tone"]
        let expected = (Sentiment.score("We are pre-approved and ready, we love it") + Sentiment.score("It is too expensive and I am worried")) / 2
        #expect(tone == .number((expected * 1000).rounded() / 1000))
    }

    @Test func theTranscriptForTheLLMIsTheLatestSegmentsOldestFirst() throws {
        let rules = try Self.rules()
        let events = [
            Self.event("s1", "call_transcript", daysAgo: 0.01, ["text": .string("third")]),
            Self.event("s3", "call_transcript", daysAgo: 0.03, ["text": .string("first")]),
            Self.event("s2", "call_transcript", daysAgo: 0.02, ["text": .string("second")]),
            Self.event("p", "page_view", daysAgo: 0, ["text": .string("not a transcript")]),
        ]
        #expect(rules.transcript(events) == ["second", "third"])  // segments: 2
    }

    @Test func theSentimentMethodIsTheDocumentedOne() {
        #expect(Sentiment.score("") == 0)
        #expect(Sentiment.score("The weather is mild.") == 0)
        #expect(Sentiment.score("We love it") == 0.333)  // 1 / (1 + 2)
        #expect(Sentiment.score("great, perfect, ready") == 0.6)  // 3 / (3 + 2)
        #expect(Sentiment.score("too much, too expensive") == -0.5)  // the phrase `too much`, then `expensive`
        #expect(Sentiment.score("I am not interested") == -0.333, "a negation flips the next three words")
        #expect(Sentiment.score("We can't wait to see it") == 0.333, "can't wait reads as eager")
        #expect(Sentiment.score("We're pre approved") == Sentiment.score("We're pre-approved"))
    }

    @Test func expiryDropsOldEventsThenTheOldestBeyondTheCap() throws {
        let rules = try Self.rules()
        var events = (0..<7).map { Self.event("e\($0)", "email_click", daysAgo: Double($0)) }
        events.append(Self.event("ancient", "email_click", daysAgo: 31))
        let dropped = rules.expired(events, nowMS: Self.now)
        #expect(Set(dropped) == ["ancient", "e6", "e5"])  // retention, then keep the newest 5
    }

    @Test(arguments: [
        ("    nope: { count: x }", "events.fold.nope"),
        ("    tour: { count: x }", "events.fold.tour"),
        ("    views: { count: x, recency_days: y }", "events.fold.views"),
        ("    views: { count: x, window_days: 40 }", "events.fold.views.window_days"),
        ("    tour: { latest: x }", "events.fold.tour"),
        ("    tour: { latest: x, value: maybe }", "events.fold.tour"),
        ("    tone: { sentiment: x, segments: 0 }", "events.fold.tone.segments"),
        ("    views: { recency_days: x, window_days: 3 }", "events.fold.views.window_days"),
        ("    views: { count: \"bad type\" }", "events.fold.views.count"),
    ])
    func badRulesNameTheirKey(_ rule: String, _ key: String) {
        let text = Self.manifest.components(separatedBy: "\n  fold:\n")[0] + "\n  fold:\n" + rule
        #expect {
            _ = try ModelManifest(yaml: text)
        } throws: { error in
            (error as? ConfigurationError)?.key == key
        }
    }

    @Test func theDefaultManifestFoldsTheDocumentedEvents() throws {
        let text = try String(contentsOf: Paths.defaultModel.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        let rules = try #require(try ModelManifest(yaml: text).events)
        #expect(
            rules.acceptedTypes == [
                "page_view", "listing_saved", "email_open", "email_click", "search", "tour_requested", "call_started", "call_transcript",
                "preapproval", "budget_stated",
            ])
        #expect(rules.valueRules(type: "budget_stated").map(\.field) == ["budget_to_price_ratio"])
    }
}
