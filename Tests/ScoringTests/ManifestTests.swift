import Foundation
import Scoring
import Testing
import TreeEnsemble

@Suite struct ManifestTests {
    static let minimal = """
        id: m
        version: "1"
        model: model.json
        groups:
          g: { label: "G" }
        fields:
          x:
            type: number
            group: g
            min: 0
            max: 10
        """

    @Test func readsTheDefaultManifest() throws {
        let text = try String(contentsOf: Paths.defaultModel.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        let manifest = try ModelManifest(yaml: text)
        #expect(manifest.id == "realestate")
        #expect(manifest.fields.count == 13)
        #expect(manifest.groups.map(\.id) == ["behavioral", "engagement", "market_fit", "timing", "source"])
        let tour = try #require(manifest.fields.first { $0.name == "tour_requested" })
        #expect(tour.reason.whenTrue == "Requested a property tour")
        #expect(tour.kind == .boolean)
    }

    @Test(arguments: [
        ("typo: 1", "typo"),
        ("fields:\n  x: { type: text }", "fields.x.type"),
        ("fields:\n  x: { type: number, group: nope }", "fields.x.group"),
        ("fields:\n  x: { type: number, min: 5, max: 1 }", "fields.x.min"),
        ("fields:\n  x: { type: number, min: lots }", "fields.x.min"),
        ("fields:\n  x: { type: number, colour: red }", "fields.x.colour"),
        ("thresholds: { hot_above: 30, cold_below: 60 }", "thresholds"),
        ("fields:\n  x: { type: one_hot, columns: {} }", "fields.x.columns"),
        ("confidence: { half_support: 0 }", "confidence.half_support"),
        ("version: \"a b\"", "version"),
    ])
    func errorsNameTheKey(_ edit: String, _ key: String) {
        var lines = Self.minimal.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Replace the top-level key the edit sets (or append it), keeping the rest valid.
        let editKey = String(edit.prefix { $0 != ":" })
        if let start = lines.firstIndex(where: { $0.hasPrefix(editKey + ":") }) {
            var end = start + 1
            while end < lines.count, lines[end].hasPrefix(" ") { end += 1 }
            lines.replaceSubrange(start..<end, with: [edit])
        } else {
            lines.append(edit)
        }
        do {
            _ = try ModelManifest(yaml: lines.joined(separator: "\n"))
            Issue.record("accepted: \(edit)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.message.count > 10)
        }
    }

    @Test func invalidYAMLNamesTheFile() {
        #expect(throws: ConfigurationError.self) { try ModelManifest(yaml: "fields: [unclosed", file: "m.yaml") }
    }
}

@Suite struct EncoderTests {
    static let model = DefaultModelTests.model

    func issues(_ features: [String: LeadValue]) throws -> [FieldIssue] {
        let model = try #require(Self.model)
        guard case .invalid(let issues) = model.scorer.score(Lead(id: "t", features: features)) else { return [] }
        return issues
    }

    @Test func wrongTypesAreNamed() throws {
        let found = try issues([
            "pricing_page_views": .string("5"), "tour_requested": .number(1), "lead_source": .bool(true), "property_type": .number(2),
        ])
        #expect(
            Set(found.map(\.field)) == ["features.pricing_page_views", "features.tour_requested", "features.lead_source", "features.property_type"])
        #expect(found.first { $0.field == "features.pricing_page_views" }?.message.contains("must be a number") == true)
    }

    @Test func boundsAndCategories() throws {
        let found = try issues([
            "call_sentiment": .number(3), "days_since_last_activity": .number(-1), "lead_source": .string("tv"),
            "property_type": .string("castle"),
        ])
        #expect(found.count == 4)
        #expect(found.first { $0.field == "features.lead_source" }?.message.contains("referral") == true)
        #expect(found.first { $0.field == "features.property_type" }?.message.contains("condo") == true)
        #expect(found.first { $0.field == "features.call_sentiment" }?.message.contains("maximum 1") == true)
    }

    @Test func unknownFieldsAreReportedOrRejected() throws {
        let model = try #require(Self.model)
        let lead = Lead(id: "t", features: ["pricing_page_views": .number(3), "favourite_colour": .string("red")])
        guard case .scored(let score) = model.scorer.score(lead) else {
            Issue.record("a lead with an unknown field should score by default")
            return
        }
        #expect(score.unknownFields == ["favourite_colour"])
        guard case .invalid(let issues) = model.scorer.score(lead, rejectUnknownFields: true) else {
            Issue.record("rejectUnknownFields should refuse it")
            return
        }
        #expect(issues.map(\.field) == ["features.favourite_colour"])
    }

    @Test func nullAndAbsentAreMissing() throws {
        let model = try #require(Self.model)
        var a = [Double](repeating: 0, count: model.ensemble.featureCount)
        var b = a
        _ = a.withUnsafeMutableBufferPointer { model.scorer.encoder.encode(["call_sentiment": .null], model: model.ensemble, into: $0) }
        _ = b.withUnsafeMutableBufferPointer { model.scorer.encoder.encode([:], model: model.ensemble, into: $0) }
        #expect(a.map { $0.isNaN ? -999 : $0 } == b.map { $0.isNaN ? -999 : $0 })
        let sentiment = try #require(model.ensemble.featureIndex(named: "call_sentiment"))
        #expect(a[sentiment].isNaN)
        let zillow = try #require(model.ensemble.featureIndex(named: "lead_source=zillow"))
        #expect(a[zillow] == 0)
    }

    @Test func manifestMustFeedEveryColumn() throws {
        try withTemporaryDirectory { dir in
            try copyDefaultModel(to: dir, as: "m") { text in
                text.replacingOccurrences(of: "      website: \"lead_source=website\"\n", with: "")
                    .replacingOccurrences(of: "website: \"lead_source=website\", ", with: "")
            }
            #expect(throws: ConfigurationError.self) { try LoadedModel.load(directory: dir.appendingPathComponent("m").path) }
        }
    }
}
