import Foundation
import Testing

/// `leadgate models challenge|rollback`: the promotion guard on the same labelled leads, the
/// install and the rollback, and the `model_events` they leave in the records.
@Suite struct ModelsCommandTests {
    static func version(_ folder: String) throws -> String {
        let text = try String(contentsOfFile: folder + "/manifest.yaml", encoding: .utf8)
        let line = text.split(separator: "\n").first { $0.hasPrefix("version:") } ?? ""
        return line.replacingOccurrences(of: "version:", with: "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "")
    }

    @Test func aBetterChallengerIsPromotedAWorseOneRefusedAndRollbackRestores() throws {
        let dir = NSTemporaryDirectory() + "leadgate-models-\(UUID().uuidString)"
        let data = LeadgateCLITests.fixtures.appendingPathComponent("training/leads.csv").path
        let records = dir + "/records.sqlite"
        // The serving model: one stump. The challenger: the default training. Same split (seed 42).
        for (folder, version, extra) in [("serving/leads", "1", ["--rounds", "1", "--max-depth", "1"]), ("candidate", "2", [])] {
            let train = try LeadgateCLITests.run(
                [
                    "train", "--data", data, "--label", "converted", "--out", "\(dir)/\(folder)", "--id", "leads", "--model-version", version,
                    "--holdout-out", "\(dir)/holdout-\(version).csv", "--threads", "2",
                ] + extra)
            #expect(train.status == 0, "\(train.stderr)")
        }
        let champion = dir + "/serving/leads"
        let holdout = dir + "/holdout-1.csv"

        let tooFew = try LeadgateCLITests.run([
            "models", "challenge", "--champion", champion, "--challenger", dir + "/candidate", "--data", holdout, "--min-outcomes", "1000",
            "--records", records,
        ])
        #expect(tooFew.status == 3 && tooFew.stdout.contains("fewer than min_outcomes 1000"), "\(tooFew.stdout)\(tooFew.stderr)")

        // A stump's two calibrated probabilities are hard to beat on ECE over 160 leads: the default
        // bound (+0.02) refuses, naming ECE; a looser bound lets the better ranking through.
        let strict = try LeadgateCLITests.run([
            "models", "challenge", "--champion", champion, "--challenger", dir + "/candidate", "--data", holdout, "--min-outcomes", "100",
            "--install", "--records", records,
        ])
        #expect(strict.status == 3 && strict.stdout.contains("refused: the challenger's ECE exceeds"), "\(strict.stdout)")
        #expect(try Self.version(champion) == "1")
        let promote = try LeadgateCLITests.run([
            "models", "challenge", "--champion", champion, "--challenger", dir + "/candidate", "--data", holdout, "--min-outcomes", "100",
            "--ece-bound", "0.15", "--install", "--records", records,
        ])
        #expect(promote.status == 0, "\(promote.stdout)\(promote.stderr)")
        #expect(promote.stdout.hasPrefix("passed: challenger AUC"), "\(promote.stdout)")
        #expect(try Self.version(champion) == "2" && (try Self.version(champion + ".previous")) == "1")

        // The stump, now the challenger, is refused against the promoted model, with the reason.
        let refuse = try LeadgateCLITests.run([
            "models", "challenge", "--champion", champion, "--challenger", champion + ".previous", "--data", holdout, "--min-outcomes", "100",
            "--ece-bound", "0.15", "--install", "--records", records,
        ])
        #expect(refuse.status == 3 && refuse.stdout.contains("refused: the challenger's AUC is below the champion's"), "\(refuse.stdout)")
        #expect(try Self.version(champion) == "2")

        let rollback = try LeadgateCLITests.run(["models", "rollback", "--model", champion, "--records", records])
        #expect(rollback.status == 0 && rollback.stdout.contains("rolled back leads@2 to leads@1"), "\(rollback.stdout)\(rollback.stderr)")
        #expect(try Self.version(champion) == "1")

        // Every decision is in model_events, in order, with its figures.
        let query = try LeadgateCLITests.runTool(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('\\n'.join(f'{a}|{m}|{d}' for a,m,d in c.execute('SELECT action, model_id, detail_json FROM model_events ORDER BY id')))",
                records,
            ])
        let events = query.stdout.split(separator: "\n")
        #expect(
            events.map { $0.split(separator: "|").first.map(String.init) ?? "" } == [
                "model.refuse", "model.refuse", "model.promote", "model.refuse", "model.rollback",
            ], "\(query.stdout)\(query.stderr)")
        #expect(events.allSatisfy { $0.contains("|leads|") })
        #expect(events.count == 5 && events[2].contains(#""installed":true"#) && events[2].contains(#""challenger_auc":"#), "\(events)")

        let other = try LeadgateCLITests.run([
            "models", "challenge", "--champion", champion, "--challenger", LeadgateCLITests.root.path + "/config/models/realestate", "--data",
            holdout,
        ])
        #expect(other.status != 0 && other.stderr.contains("a challenger replaces a model of the same id"), "\(other.stderr)")
    }
}

extension ModelsCommandTests {
    @Test func promoteThroughATrialThenRollBackInTheModelsFolder() throws {
        let dir = NSTemporaryDirectory() + "leadgate-rollout-\(UUID().uuidString)"
        let data = LeadgateCLITests.fixtures.appendingPathComponent("training/leads.csv").path
        for version in ["1", "2"] {
            let train = try LeadgateCLITests.run([
                "train", "--data", data, "--label", "converted", "--out", "\(dir)/models/leads-\(version)", "--id", "leads", "--model-version",
                version,
                "--threads", "2", "--rounds", version == "1" ? "1" : "20",
            ])
            #expect(train.status == 0, "\(train.stderr)")
        }
        let config = dir + "/leadgate.yaml"
        try "models:\n  directory: models\n  default: leads@1\nrecords:\n  path: records.sqlite\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        func rollout() throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/models/rollout.json"))
            return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }
        let unknown = try LeadgateCLITests.run(["models", "promote", "--config", config, "--to", "9"])
        #expect(unknown.status != 0 && unknown.stderr.contains("`leads@9` is not in"), "\(unknown.stderr)")
        let badShare = try LeadgateCLITests.run(["models", "promote", "--config", config, "--to", "2", "--share", "1.5"])
        #expect(badShare.status != 0 && badShare.stderr.contains("--share must be in (0, 1]"), "\(badShare.stderr)")

        let trial = try LeadgateCLITests.run(["models", "promote", "--config", config, "--to", "2", "--share", "0.25"])
        #expect(trial.status == 0 && trial.stdout.contains("default leads@1, on trial leads@2 at 25 %"), "\(trial.stdout)\(trial.stderr)")
        #expect(try rollout()["stage"] as? String == "challenger")
        let full = try LeadgateCLITests.run(["models", "promote", "--config", config, "--to", "leads@2"])
        #expect(full.status == 0 && full.stdout.hasPrefix("default leads@2"), "\(full.stdout)\(full.stderr)")
        #expect(try rollout()["previous"] as? String == "leads@1" && rollout()["stage"] as? String == "full")
        let back = try LeadgateCLITests.run(["models", "rollback", "--config", config, "--models", dir + "/models"])
        #expect(back.status == 0 && back.stdout.hasPrefix("default leads@1"), "\(back.stdout)\(back.stderr)")
        let nothing = try LeadgateCLITests.run(["models", "rollback", "--config", config, "--models", dir + "/models"])
        #expect(nothing.status != 0 && nothing.stderr.contains("nothing to roll back"), "\(nothing.stderr)")
        let both = try LeadgateCLITests.run(["models", "rollback", "--config", config])
        #expect(both.status != 0 && both.stderr.contains("Pass --model FOLDER or --models FOLDER"), "\(both.stderr)")

        let query = try LeadgateCLITests.runTool(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(' '.join(a for (a,) in c.execute('SELECT action FROM model_events ORDER BY id')))",
                dir + "/records.sqlite",
            ])
        #expect(
            query.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "model.challenger model.promote model.rollback",
            "\(query.stdout)\(query.stderr)")
    }
}
