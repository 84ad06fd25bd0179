import ArgumentParser
import Foundation
import Gateway
import JSON
import Records
import Scoring
import Training

/// `leadgate models`: the promotion guard by hand — challenge a champion, install the winner, retrain
/// from the records, promote through a trial, roll back.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Compare a challenger with the serving model on the same labelled leads; promote it only when the guard passes; roll back.",
        subcommands: [Challenge.self, Retrain.self, Promote.self, Rollback.self]
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
            w.field("installed", installed)
            w.field("reason", result.reason)
            w.field("challenger", result.challenger.model)
            result.writeFigures(&w)
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

    /// The models folder's registry, for the rollout commands.
    static func registry(_ settings: GatewayConfig) throws -> ModelRegistry {
        do {
            return try ModelRegistry(selection: settings.models)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    struct Retrain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retrain the default model from the records now, as the gateway's loop (learning.retrain) does.",
            discussion: """
                Exports the decisions with outcomes of the last learning.retrain.window_days, trains a challenger with \
                the champion's manifest (split by decision time), judges both on the most recent held-out outcomes and \
                applies the guard (learning.min_outcomes, AUC, ece_bound). A pass installs it in the models folder and \
                puts it on trial (rollout.json), which running gateways follow. Exit status 0 when it passed, 3 when \
                refused or skipped.
                """)

        @Option(help: "The models folder (default: the configuration's models.directory).") var models: String?
        @OptionGroup var selection: RecordsCommand.Selection

        func run() async throws {
            let settings = try selection.settings(models: models)
            guard settings.records.backend != .off else { throw CommandFailure("records are off: there is nothing to retrain from.") }
            let registry = try ModelsCommand.registry(settings)
            let holder = "leadgate-models-\(ProcessInfo.processInfo.processIdentifier)"
            let outcome = try await selection.withStore(settings) { store in
                try await Retrainer(
                    settings: settings.retrain, store: store, registry: registry, holder: holder,
                    note: { CommandSupport.note($0) }
                ).retrain(actor: "leadgate models")
            }
            print("\(outcome.action): \(outcome.reason)")
            if !["model.challenger", "model.promote"].contains(outcome.action) { throw ExitCode(3) }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a loaded version on trial (--share below 1) or make it the default, in the models folder's rollout.json.",
            discussion: """
                Every gateway that loads the folder follows the change within learning.retrain.check_s (default 60 s), or \
                at once on SIGHUP or POST /v1/admin/models/reload. The old default is kept for `leadgate models rollback --models`.
                """)

        @Option(help: "The models folder (default: the configuration's models.directory).") var models: String?
        @Option(help: "The version to promote: id@version, or a version of the default model.") var to: String
        @Option(help: "Share of leads (0–1) it scores on trial; 1 or none makes it the default.") var share: Double?
        @OptionGroup var selection: RecordsCommand.Selection

        func validate() throws {
            if let share, !(share > 0 && share <= 1) { throw ValidationError("--share must be in (0, 1]; it is \(share).") }
        }

        func run() async throws {
            let settings = try selection.settings(models: models)
            let registry = try ModelsCommand.registry(settings)
            let snapshot = registry.snapshot
            let key = to.contains("@") ? to : "\(snapshot.primary.id)@\(to)"
            guard snapshot.models.contains(where: { "\($0.id)@\($0.version)" == key }) else {
                throw CommandFailure(
                    "`\(key)` is not in \(settings.models.directory). Loaded: \(snapshot.models.map { "\($0.id)@\($0.version)" }.joined(separator: ", "))."
                )
            }
            let rollout = Retrainer.promotion(of: key, share: share, in: snapshot, actor: "leadgate models")
            try await ModelsCommand.apply(
                rollout, action: rollout.stage == .full ? "model.promote" : "model.challenger", registry: registry, selection: selection,
                settings: settings)
        }
    }

    /// Writes the rollout into the models folder, reloads it to check it serves, and records the event.
    static func apply(
        _ rollout: Rollout, action: String, registry: ModelRegistry, selection: RecordsCommand.Selection, settings: GatewayConfig
    ) async throws {
        do {
            try Retrainer.apply(rollout, registry: registry)
        } catch {
            throw CommandFailure(error.description)
        }
        let model = rollout.defaultModel.split(separator: "@").first.map(String.init) ?? rollout.defaultModel
        let detail = RetrainOutcome(
            action: action, model: model, candidate: rollout.challenger ?? rollout.defaultModel, reason: rollout.reason, rollout: rollout)
        print(
            "default \(rollout.defaultModel)"
                + (rollout.challenger.map { ", on trial \($0) at \(Int((rollout.challengerShare * 100).rounded())) %" } ?? "")
                + " (\(Rollout.path(in: settings.models.directory)))")
        try await ModelsCommand.record(selection, action: action, model: model, detail: detail.detailJSON)
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Put back what a promotion replaced: with --models, the folder's rollout (ends a trial, or restores the previous default); with --model, FOLDER.previous."
        )

        @Option(help: "A model's folder promoted by `challenge --install`: FOLDER.previous comes back, FOLDER becomes FOLDER.rolled-back.")
        var model: String?
        @Option(help: "The models folder whose rollout.json to roll back (a trial, or a promotion by the loop, `promote` or the admin routes).")
        var models: String?
        @OptionGroup var selection: RecordsCommand.Selection

        func validate() throws {
            if (model == nil) == (models == nil) { throw ValidationError("Pass --model FOLDER or --models FOLDER (one of them).") }
        }

        func run() async throws {
            guard let model else {
                let settings = try selection.settings(models: models)
                let registry = try ModelsCommand.registry(settings)
                guard let rollout = Retrainer.rollback(in: registry.snapshot, actor: "leadgate models") else {
                    throw CommandFailure(
                        "nothing to roll back: no trial is running and no promotion kept a previous default in \(settings.models.directory).")
                }
                try await ModelsCommand.apply(rollout, action: "model.rollback", registry: registry, selection: selection, settings: settings)
                return
            }
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
