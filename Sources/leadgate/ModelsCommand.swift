import ArgumentParser
import Foundation
import Gateway
import JSON
import Records
import Scoring
import Training

/// `leadgate models`: the promotion guard by hand — challenge a champion, install the winner, roll back.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Compare a challenger with the serving model on the same labelled leads; promote it only when the guard passes; roll back.",
        subcommands: [Challenge.self, Rollback.self]
    )

    /// Appends one `model.*` event (the `model_events` view) to the records, when records are on.
    static func record(_ selection: RecordsCommand.Selection, action: String, model: String, detail: String) async throws {
        let settings = try selection.settings()
        guard settings.records.backend != .off else {
            CommandSupport.note("records are off: the event is not recorded")
            return
        }
        let entry = AuditEntry(time: Date(), actor: "leadgate models", action: action, target: model, detailJSON: detail)
        try await selection.withStore(settings) { store in try await store.append(audit: [entry]) }
    }

    struct Challenge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score the same labelled leads with the champion and the challenger and apply the promotion guard.",
            discussion: """
                --data is a CSV of leads with the models' fields and a 0/1 label (the recent holdout that \
                `leadgate train --holdout-out` writes, or any later export). The guard passes when there are at \
                least --min-outcomes leads, the challenger's AUC is at least the champion's, and its ECE is at most \
                the champion's plus --ece-bound. With --install, a passing challenger replaces the champion's folder \
                (the old one is kept beside it as FOLDER.previous for `leadgate models rollback`); reload the \
                gateway (SIGHUP or POST /v1/admin/models/reload) to serve it. The decision, the rule and the figures \
                go to the records (`model_events`). Exit status 0 when the guard passes, 3 when it refuses.
                """)

        @Option(help: "The serving model's folder.") var champion: String
        @Option(help: "The candidate model's folder (e.g. from leadgate train).") var challenger: String
        @Option(help: "Labelled leads to compare on (CSV with a 0/1 label column).") var data: String
        @Option(help: "The label column (default label).") var label = "label"
        @Option(help: "Refuse on fewer labelled leads (default 200).") var minOutcomes = 200
        @Option(help: "How much higher the challenger's ECE may be (default 0.02).") var eceBound = 0.02
        @Flag(help: "On a pass, replace the champion's folder with the challenger.") var install = false
        @OptionGroup var selection: RecordsCommand.Selection

        func run() async throws {
            let championModel: LoadedModel
            let challengerModel: LoadedModel
            do {
                championModel = try LoadedModel.load(directory: champion)
                challengerModel = try LoadedModel.load(directory: challenger)
            } catch {
                throw CommandFailure(error.description)
            }
            guard championModel.id == challengerModel.id else {
                throw CommandFailure(
                    "the challenger is model `\(challengerModel.id)`, the champion `\(championModel.id)`: a challenger replaces a model of the same id. Train it with --id \(championModel.id)."
                )
            }
            let result: Training.Challenge
            do {
                result = try Training.Challenge.run(
                    champion: championModel, challenger: challengerModel, data: data, label: label, minOutcomes: minOutcomes, eceBound: eceBound)
            } catch {
                throw CommandFailure(error.description)
            }
            print(result.reason)
            var installed = false
            if result.passed, install {
                try Self.install(challenger: challenger, over: champion)
                installed = true
                print("installed \(result.challenger.model) in \(champion) (previous: \(champion).previous); reload the gateway to serve it")
            }
            var w = JSONWriter(capacity: 512)
            w.beginObject()
            w.field("passed", result.passed)
            w.field("installed", installed)
            w.field("reason", result.reason)
            w.field("champion", result.champion.model)
            w.field("challenger", result.challenger.model)
            w.field("leads", result.leads)
            w.field("converted", result.converted)
            w.field("champion_auc", result.champion.auc)
            w.field("challenger_auc", result.challenger.auc)
            w.field("champion_ece", result.champion.ece)
            w.field("challenger_ece", result.challenger.ece)
            w.field("min_outcomes", result.minOutcomes)
            w.field("ece_bound", result.eceBound)
            w.endObject()
            let action = installed ? "model.promote" : result.passed ? "model.challenge_passed" : "model.refuse"
            try await ModelsCommand.record(selection, action: action, model: championModel.id, detail: w.text)
            if !result.passed { throw ExitCode(3) }
        }

        /// Moves the champion's folder aside (`.previous`, replacing an older one) and copies the
        /// challenger in its place; the copy is made beside the target first, so a failure leaves
        /// the champion serving.
        static func install(challenger: String, over champion: String) throws {
            let files = FileManager.default
            let staging = champion + ".incoming"
            let previous = champion + ".previous"
            do {
                try? files.removeItem(atPath: staging)
                try files.copyItem(atPath: challenger, toPath: staging)
                try? files.removeItem(atPath: previous)
                try files.moveItem(atPath: champion, toPath: previous)
                try files.moveItem(atPath: staging, toPath: champion)
            } catch {
                throw CommandFailure("could not install the challenger: \(error.localizedDescription)")
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put back the model a promotion replaced (FOLDER.previous), keeping the replaced one as FOLDER.rolled-back.")

        @Option(help: "The model's folder.") var model: String
        @OptionGroup var selection: RecordsCommand.Selection

        func run() async throws {
            let files = FileManager.default
            let previous = model + ".previous"
            guard files.fileExists(atPath: previous) else {
                throw CommandFailure(
                    "there is no `\(previous)` to roll back to (only a promotion by `leadgate models challenge --install` keeps one).")
            }
            let current = (try? LoadedModel.load(directory: model)).map { "\($0.id)@\($0.version)" } ?? "?"
            let restored = (try? LoadedModel.load(directory: previous)).map { "\($0.id)@\($0.version)" } ?? "?"
            do {
                try? files.removeItem(atPath: model + ".rolled-back")
                try files.moveItem(atPath: model, toPath: model + ".rolled-back")
                try files.moveItem(atPath: previous, toPath: model)
            } catch {
                throw CommandFailure("could not roll back: \(error.localizedDescription)")
            }
            print("rolled back \(current) to \(restored); reload the gateway to serve it")
            var w = JSONWriter(capacity: 256)
            w.beginObject()
            w.field("from", current)
            w.field("to", restored)
            w.endObject()
            try await ModelsCommand.record(
                selection, action: "model.rollback", model: restored.split(separator: "@").first.map(String.init) ?? "?", detail: w.text)
        }
    }
}
