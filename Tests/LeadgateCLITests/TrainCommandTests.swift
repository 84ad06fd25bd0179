import Foundation
import Testing

/// `leadgate train` then `leadgate score`, as a user runs them, and then the folder served.
@Suite struct TrainCommandTests {
    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The AUC of `scores` against `labels` (Mann–Whitney, ties half), written out here so the test
    /// does not lean on the code under test.
    static func auc(_ pairs: [(Double, Bool)]) -> Double {
        let positives = pairs.filter { $0.1 }.map(\.0)
        let negatives = pairs.filter { !$0.1 }.map(\.0)
        var wins = 0.0
        for p in positives { for n in negatives { wins += p > n ? 1 : p == n ? 0.5 : 0 } }
        return wins / Double(positives.count * negatives.count)
    }

    @Test func trainThenScoreTheHoldoutGivesTheCardsAUC() throws {
        let dir = NSTemporaryDirectory() + "leadgate-train-cli-\(UUID().uuidString)"
        let data = LeadgateCLITests.fixtures.appendingPathComponent("training/leads.csv").path
        let train = try LeadgateCLITests.run([
            "train", "--data", data, "--label", "converted", "--out", dir + "/model", "--holdout-out", dir + "/holdout.csv", "--threads", "2",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        // Progress on stderr (rounds with the validation metric), the summary table on stdout.
        #expect(train.stderr.contains("round 1/200") && train.stderr.contains("valid-auc"), "\(train.stderr)")
        #expect(train.stderr.contains("left out `lead_id`: an identifier"), "\(train.stderr)")
        #expect(train.stdout.contains("holdout AUC") && train.stdout.contains("xgboost"), "\(train.stdout)")
        let card = try Self.json(dir + "/model/model-card.json")
        let cardAUC = try #require((card["holdout"] as? [String: Any])?["auc"] as? Double)

        let score = try LeadgateCLITests.run([
            "score", "--model", dir + "/model", "--input", dir + "/holdout.csv", "--output", dir + "/scores.csv", "--explain",
        ])
        #expect(score.status == 0, "\(score.stderr)")
        #expect(score.stderr.contains("scored 160 rows"), "\(score.stderr)")
        let scores = try String(contentsOfFile: dir + "/scores.csv", encoding: .utf8).split(separator: "\n")
        let holdout = try String(contentsOfFile: dir + "/holdout.csv", encoding: .utf8).split(separator: "\n")
        #expect(scores.first?.hasPrefix("lead_id,row,probability,score,badge,confidence,error,reasons,reason_fields") == true)
        #expect(scores.count == 161 && holdout.count == 161)
        // Rows come back in order with the input's lead ids; the label is the holdout file's last column.
        var pairs: [(Double, Bool)] = []
        for (s, h) in zip(scores.dropFirst(), holdout.dropFirst()) {
            let id = String(s.prefix { $0 != "," })
            #expect(h.hasPrefix(id + ","))
            let cells = s.split(separator: ",", omittingEmptySubsequences: false)
            pairs.append((Double(cells[2]) ?? -1, h.hasSuffix(",1")))
        }
        #expect(abs(Self.auc(pairs) - cardAUC) < 1e-5, "scored \(Self.auc(pairs)), card \(cardAUC)")

        // A row that cannot be read is reported in its own row, and the run goes on.
        let bad = dir + "/bad.csv"
        try "lead_id,pricing_page_views,mortgage_preapproved\nok,3,yes\nbroken,three,yes\nalso-ok,,no\n".write(
            toFile: bad, atomically: true, encoding: .utf8)
        let partial = try LeadgateCLITests.run(["score", "--model", dir + "/model", "--input", bad])
        #expect(partial.status == 0, "\(partial.stderr)")
        let lines = partial.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[2].contains("`pricing_page_views` is `three`, not a number"), "\(partial.stdout)")
        #expect(lines[1].hasPrefix("ok,1,0.") && lines[3].hasPrefix("also-ok,3,0."), "\(partial.stdout)")
        #expect(partial.stderr.contains("1 rows could not be read"), "\(partial.stderr)")
    }

    @Test func badOptionsAreOneLineWithTheFix() throws {
        let result = try LeadgateCLITests.run([
            "train", "--data", "/nonexistent.csv", "--label", "y", "--out", NSTemporaryDirectory() + "x-\(UUID().uuidString)",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot open `/nonexistent.csv`"), "\(result.stderr)")
        let mixed = try LeadgateCLITests.run(["train", "--data", "a.csv", "--label", "y", "--out", "o", "--since", "2026-01-01"])
        #expect(mixed.status != 0 && mixed.stderr.contains("use them with --from-records"), "\(mixed.stderr)")
        let calibration = try LeadgateCLITests.run(["train", "--data", "a.csv", "--label", "y", "--out", "o", "--calibration", "magic"])
        #expect(calibration.status != 0 && calibration.stderr.contains("use platt, isotonic or none"), "\(calibration.stderr)")
    }
}
