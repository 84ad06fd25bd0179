import Foundation
import Testing

/// `leadgate records export` and `leadgate records replay` on decisions a real gateway recorded
/// into its SQLite file.
@Suite struct RecordsCommandTests {
    /// Scores `count` leads through `leadgate serve` with records in a new SQLite file, stops the
    /// gateway (SIGTERM writes what is queued) and returns the file.
    static func recordedFile(count: Int) throws -> String {
        let file = NSTemporaryDirectory() + "leadgate-records-cli-\(UUID().uuidString)/leadgate.sqlite"
        let server = try ServeTests.Server(environment: ["LEADGATE_RECORDS_URL": file])
        for i in 0..<count {
            let body =
                #"{"lead_id":"cli-\#(i)","features":{"pricing_page_views":\#(i % 12),"listing_views":\#(i * 3),"saved_listings":\#(i % 7),"#
                + #""days_since_last_activity":\#(i % 20),"tour_requested":\#(i % 2 == 0),"lead_source":"zillow"},"notes":"lead \#(i), \"quoted\""}"#
            let reply = try ServeTests.curl([
                "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body, server.url("/v1/leads/score").absoluteString,
            ])
            #expect(reply.status == 200, "\(reply.body)")
        }
        kill(server.process.processIdentifier, SIGTERM)
        #expect(server.waitForExit() == 0, "\(server.logText.suffix(400))")
        return file
    }

    @Test func exportStreamsEveryDecisionAsNDJSONAndCSV() throws {
        let file = try Self.recordedFile(count: 25)
        let ndjson = try LeadgateCLITests.run(["records", "export", "--records", file])
        #expect(ndjson.status == 0, "\(ndjson.stderr)")
        let lines = ndjson.stdout.split(separator: "\n")
        #expect(lines.count == 25)
        var leads: [String] = []
        var previous = ""
        for line in lines {
            let decision = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            leads.append(decision["lead_id"] as? String ?? "")
            #expect(decision["kind"] as? String == "single")
            #expect((decision["input"] as? [String: Any])?["notes"] as? String != nil)
            #expect((decision["model"] as? [String: Any])?["id"] as? String == "realestate")
            // Oldest first.
            let at = decision["decided_at"] as? String ?? ""
            #expect(at >= previous)
            previous = at
        }
        #expect(Set(leads) == Set((0..<25).map { "cli-\($0)" }))
        #expect(ndjson.stderr.contains("exported 25 decisions (ndjson)"), "\(ndjson.stderr)")
        #expect(ndjson.stderr.contains("25/25 decisions"), "progress: \(ndjson.stderr)")

        let csvFile = NSTemporaryDirectory() + "leadgate-export-\(UUID().uuidString).csv"
        let csv = try LeadgateCLITests.run(["records", "export", "--records", file, "--format", "csv", "--output", csvFile])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.isEmpty)
        let text = try String(contentsOfFile: csvFile, encoding: .utf8)
        let header = text.prefix { $0 != "\n" }
        #expect(header.hasPrefix("id,request_id,index,lead_id,decided_at,kind,caller,gateway,model_id,model_version"), "\(header)")
        // Quoted fields (the notes hold a comma and quotes) keep one decision per record.
        #expect(text.contains(#"\""quoted\"""#), "\(text.prefix(600))")
        #expect(text.split(separator: "\n").count == 26)

        // A range that holds nothing, and a range that holds everything.
        let future = try LeadgateCLITests.run(["records", "export", "--records", file, "--since", "2999-01-01"])
        #expect(future.status == 0 && future.stdout.isEmpty, "\(future.stderr)")
        let all = try LeadgateCLITests.run(["records", "export", "--records", file, "--since", "2020-01-01", "--until", "2999-01-01T00:00:00Z"])
        #expect(all.stdout.split(separator: "\n").count == 25)
        let bad = try LeadgateCLITests.run(["records", "export", "--records", file, "--since", "yesterday"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--since must be a date"), "\(bad.stderr)")
    }

    @Test func replayReportsBadgeFlipsWithoutWritingAnything() throws {
        let file = try Self.recordedFile(count: 40)
        // The same model, the recorded multipliers: nothing changes.
        let same = try LeadgateCLITests.run(["records", "replay", "--records", file])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stdout.contains("replayed: 40; skipped: 0"), "\(same.stdout)")
        #expect(same.stdout.contains("0 of 40 changed"), "\(same.stdout)")
        #expect(same.stdout.contains("## Badge flips: 0 of 40"), "\(same.stdout)")

        // The same trees under lower thresholds: every score stays, badges move up.
        let models = NSTemporaryDirectory() + "leadgate-replay-models-\(UUID().uuidString)"
        let folder = models + "/lenient"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let shipped = LeadgateCLITests.root.appendingPathComponent("config/models/realestate")
        try FileManager.default.copyItem(atPath: shipped.appendingPathComponent("model.json").path, toPath: folder + "/model.json")
        let manifest = try String(contentsOf: shipped.appendingPathComponent("manifest.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "id: realestate ", with: "id: lenient ")
            .replacingOccurrences(of: "hot_above: 80, cold_below: 40", with: "hot_above: 30, cold_below: 10")
        try manifest.write(toFile: folder + "/manifest.yaml", atomically: true, encoding: .utf8)
        // The configuration's default model is there too; --model picks the other.
        try FileManager.default.copyItem(atPath: shipped.path, toPath: models + "/realestate")
        let before = try LeadgateCLITests.run(["records", "export", "--records", file]).stdout
        let csv = NSTemporaryDirectory() + "leadgate-replay-\(UUID().uuidString).csv"
        let json = NSTemporaryDirectory() + "leadgate-replay-\(UUID().uuidString).json"
        let lenient = try LeadgateCLITests.run([
            "records", "replay", "--records", file, "--models", models, "--model", "lenient", "--output", csv, "--json", json,
        ])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stdout.contains("0 of 40 changed"), "\(lenient.stdout)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["replayed"] as? Int == 40)
        let flipped = try #require(report["flipped"] as? Int)
        #expect(flipped > 0, "\(lenient.stdout)")
        let flips = try #require(report["flips"] as? [String: [String: Int]])
        // Lower thresholds only move badges up.
        let up = (flips["cold"]?["warm"] ?? 0) + (flips["cold"]?["hot"] ?? 0) + (flips["warm"]?["hot"] ?? 0)
        let down = (flips["hot"]?["warm"] ?? 0) + (flips["hot"]?["cold"] ?? 0) + (flips["warm"]?["cold"] ?? 0)
        #expect(up == flipped && down == 0, "\(flips)")
        #expect(flips.values.flatMap(\.values).reduce(0, +) == 40)
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 41)
        #expect(rows.dropFirst().allSatisfy { $0.contains(",lenient@2026.11.0,") && ($0.contains(",recorded,") || $0.contains(",none,")) })
        // Nothing was written: the records are as they were.
        #expect(try LeadgateCLITests.run(["records", "export", "--records", file]).stdout == before)

        let unknown = try LeadgateCLITests.run(["records", "replay", "--records", file, "--model", "nope"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("`nope` is not a loaded model"), "\(unknown.stderr)")
        let noLLM = try LeadgateCLITests.run(["records", "replay", "--records", file, "--prompt", "lead-adjust"])
        #expect(noLLM.status != 0)
        #expect(noLLM.stderr.contains("llm.base_url"), "\(noLLM.stderr)")
    }

    @Test func recordsOffIsAClearError() throws {
        let result = try LeadgateCLITests.run(["records", "export"], environment: ["LEADGATE_RECORDS_URL": "off"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("records") && result.stderr.contains("off"), "\(result.stderr)")
    }
}
