import Foundation
import Records
import Testing

/// The work queue over both backends: each lead once (its latest decision), hottest first, filters.
@Suite struct QueueTests {
    static func decision(_ lead: String, score: Int, badge: String, at seconds: Double, model: String = "realestate", source: String? = nil)
        -> DecisionRecord
    {
        var d = Fixtures.bare(request: "q-\(lead)-\(Int(seconds))", lead: lead, at: Fixtures.epoch.addingTimeInterval(seconds))
        d.finalScore = score
        d.finalBadge = badge
        d.model.id = model
        d.inputJSON = source.map { #"{"lead_id":"\#(lead)","lead_source":"\#($0)"}"# } ?? #"{"lead_id":"\#(lead)"}"#
        return d
    }

    @Test(arguments: Backend.allCases)
    func eachLeadOnceByItsLatestDecisionHottestFirst(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let decisions = [
                Self.decision("A", score: 95, badge: "Hot", at: 0, source: "zillow"),
                Self.decision("A", score: 55, badge: "Warm", at: 60, source: "zillow"),  // A's latest: 55
                Self.decision("B", score: 88, badge: "Hot", at: 10, source: "referral"),
                Self.decision("C", score: 20, badge: "Cold", at: 20),
                Self.decision("D", score: 70, badge: "Warm", at: 30, model: "other"),
                Self.decision("E", score: 99, badge: "Hot", at: -90_000),  // outside the window
                Self.decision("pseudonym-1234", score: 100, badge: "Hot", at: 40),  // erased
            ]
            #expect(try await store.insert(decisions: decisions) == decisions.count)
            let since = Fixtures.epoch.addingTimeInterval(-3_600)
            let all = try await store.queue(QueueQuery(since: since, outcome: .any))
            #expect(all.map(\.leadID) == ["B", "D", "A", "C"])
            #expect(all.map(\.finalScore) == [88, 70, 55, 20])
            #expect(all.first?.source == "referral" && all.last?.source == nil)
            #expect(try await store.queue(QueueQuery(since: since, limit: 2)).map(\.leadID) == ["B", "D"])
            #expect(try await store.queue(QueueQuery(since: since, badge: "Warm")).map(\.leadID) == ["D", "A"])
            #expect(try await store.queue(QueueQuery(since: since, modelID: "other")).map(\.leadID) == ["D"])
            #expect(try await store.queue(QueueQuery(since: since, source: "zillow")).map(\.leadID) == ["A"])
            let stale = Fixtures.epoch.addingTimeInterval(25)
            #expect(try await store.queue(QueueQuery(since: since, decidedBefore: stale)).map(\.leadID) == ["B", "C"])
            #expect(try await store.queue(QueueQuery(since: since, decidedAfter: stale)).map(\.leadID) == ["D", "A"])

            _ = try await store.insert(outcomes: [
                OutcomeRecord(leadID: "B", outcome: "contacted", occurredAt: Fixtures.epoch.addingTimeInterval(100)),
                OutcomeRecord(leadID: "B", outcome: "converted", occurredAt: Fixtures.epoch.addingTimeInterval(200)),
            ])
            #expect(try await store.queue(QueueQuery(since: since, outcome: .open)).map(\.leadID) == ["D", "A", "C"])
            let converted = try await store.queue(QueueQuery(since: since, outcome: .latest("converted")))
            #expect(converted.map(\.leadID) == ["B"] && converted.first?.outcome == "converted")
            #expect(try await store.queue(QueueQuery(since: since, outcome: .latest("contacted"))).isEmpty)
        }
    }
}
