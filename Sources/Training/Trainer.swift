import Evaluation
import Foundation
import Scoring
import TreeEnsemble

/// `leadgate train`: reads a CSV, splits it, infers (or reads) the manifest, trains with the real
/// xgboost, calibrates on the validation rows, and writes a folder the gateway loads as it is:
/// `model.json`, `manifest.yaml`, `model-card.json` and `MODEL_CARD.md`.
public enum Trainer {
    public static func run(_ options: TrainingOptions, progress: @Sendable (TrainingProgress) -> Void) throws(TrainingError) -> TrainingReport {
        let started = Date()
        try validate(options)
        let table = try DataTable.load(path: options.data, separator: options.separator, missing: options.missingValues) { done, total in
            progress(.reading(bytes: done, of: total))
        }
        guard let labelColumn = table.columnIndex(options.label) else {
            throw TrainingError(
                "`\(options.data)` has no column `\(options.label)`. Its columns: \(table.header.prefix(40).joined(separator: ", ")).")
        }
        let labels = try Labels(table: table, column: labelColumn, positive: options.positive)
        let labeled = table.rows.indices.filter { labels.values[$0] != nil }
        let unlabeled = table.rows.count - labeled.count
        if unlabeled > 0 { progress(.note("\(unlabeled) rows have no `\(options.label)` and are left out")) }

        var skip: Set<Int> = [labelColumn]
        let split: Split
        if let name = options.timeColumn {
            guard let c = table.columnIndex(name) else { throw TrainingError("--time-column `\(name)` is not a column of `\(options.data)`.") }
            skip.insert(c)
            split = try Split.byTime(rows: labeled, table: table, column: c, holdout: options.holdoutFraction, validation: options.validationFraction)
        } else {
            split = Split.stratified(
                rows: labeled, labels: labels.values, holdout: options.holdoutFraction, validation: options.validationFraction, seed: options.seed)
        }
        let truth = labels.values.map { $0 ?? false }
        try checkParts(split, truth: truth)

        let schema: Schema
        var baseManifest: ModelManifest?
        if let path = options.manifest {
            let manifest = try ManifestFile.read(path)
            baseManifest = manifest
            schema = try ManifestFile.plan(manifest, table: table)
        } else {
            var inference = SchemaInference()
            inference.maxCategories = options.maxCategories
            inference.leakAUC = options.leakAUC
            inference.warnAUC = min(options.leakAUC, 0.8)
            schema = inference.infer(
                table: table, rows: (split.train + split.validation).sorted(), labels: truth, skip: skip, exclude: Set(options.exclude))
        }
        guard !schema.fields.isEmpty else { throw TrainingError("no column is left to train on. Check --exclude and the data.") }
        for exclusion in schema.excluded { progress(.note("left out `\(exclusion.column)`: \(exclusion.reason)")) }
        for warning in schema.warnings { progress(.note("warning: \(warning)")) }

        let encoder = MatrixEncoder(fields: schema.fields, table: table)
        let threads = options.threads > 0 ? options.threads : ProcessInfo.processInfo.activeProcessorCount
        let trainRows = split.train
        let positives = trainRows.lazy.filter { truth[$0] }.count
        let negatives = trainRows.count - positives
        let minority = Double(min(positives, negatives)) / Double(trainRows.count)
        let weighPositives = options.imbalance == .on || (options.imbalance == .auto && minority < 0.25 && positives < negatives)
        let scalePosWeight = weighPositives ? Double(negatives) / Double(max(1, positives)) : 1

        let parameters: [(String, String)] = [
            ("objective", "binary:logistic"), ("tree_method", "hist"), ("max_depth", "\(options.maxDepth)"),
            ("eta", "\(options.learningRate)"), ("subsample", "\(options.subsample)"), ("colsample_bytree", "\(options.columnSample)"),
            ("min_child_weight", "\(options.minChildWeight)"), ("scale_pos_weight", "\(scalePosWeight)"), ("seed", "\(options.seed)"),
            ("nthread", "\(threads)"),
            // The last metric decides early stopping (as in xgboost's own `train`).
            ("eval_metric", options.stoppingMetric == .auc ? "logloss" : "auc"), ("eval_metric", options.stoppingMetric.rawValue),
            ("verbosity", "1"),
        ]
        let trainMatrix = try encoder.matrix(rows: trainRows, labels: truth, threads: threads)
        let validMatrix = try encoder.matrix(rows: split.validation, labels: truth, threads: threads)
        let holdoutMatrix = try encoder.matrix(rows: split.holdout, labels: truth, threads: threads)
        if let dir = options.exportMatrices {
            try encoder.export(to: dir, parts: [("train", trainRows), ("valid", split.validation), ("holdout", split.holdout)], labels: truth)
        }

        let trainingStarted = Date()
        let booster = try XGBooster(training: trainMatrix, evaluation: [validMatrix])
        for (name, value) in parameters { try booster.set(name, value) }
        var best = (round: 0, logloss: Double.infinity, auc: -Double.infinity)
        var history: [(auc: Double, logloss: Double)] = []
        var stoppedEarly = false
        for round in 0..<options.rounds {
            try booster.update(iteration: round, training: trainMatrix)
            let metrics = try booster.evaluate(iteration: round, on: validMatrix, name: "valid")
            let logloss = metrics.first { $0.metric == "valid-logloss" }?.value ?? .nan
            let auc = metrics.first { $0.metric == "valid-auc" }?.value ?? .nan
            history.append((auc, logloss))
            let better = options.stoppingMetric == .auc ? auc > best.auc : logloss < best.logloss
            if round == 0 || better {
                best = (round, logloss, auc)
            }
            progress(
                .round(
                    round + 1, of: options.rounds, metrics: metrics.map { ($0.metric, $0.value) }, elapsed: Date().timeIntervalSince(trainingStarted))
            )
            if round - best.round >= options.earlyStoppingRounds {
                stoppedEarly = true
                break
            }
        }
        let final = try booster.slice(rounds: best.round + 1)
        try final.setFeatureNames(encoder.names)
        let trainingSeconds = Date().timeIntervalSince(trainingStarted)

        let modelBytes = try final.jsonModel()
        let ensemble: Ensemble
        do {
            ensemble = try Ensemble(bytes: modelBytes, format: .xgboostJSON)
        } catch {
            throw TrainingError("the trained model does not load in LeadGate's evaluator: \(error.message)")
        }
        // The native evaluator must agree with xgboost on every validation row.
        let xgbValid = try final.predict(validMatrix)
        let nativeValid = encoder.nativePredictions(ensemble: ensemble, rows: split.validation)
        let agreement = zip(xgbValid, nativeValid).map { abs($0 - $1) }.max() ?? 0
        guard agreement < 1e-4, xgbValid.count == nativeValid.count, !nativeValid.contains(where: \.isNaN) else {
            throw TrainingError(
                "LeadGate's evaluator and xgboost disagree by \(agreement) on a validation row. Please report this with the data's shape.")
        }

        let validMargins = try final.predict(validMatrix, margin: true)
        let validLabels = split.validation.map { truth[$0] }
        let calibration = Calibrator.fit(options.calibration, margins: validMargins, probabilities: xgbValid, labels: validLabels)
        let confidence = encoder.confidence(ensemble: ensemble, rows: trainRows)

        do {
            try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true)
        } catch {
            throw TrainingError("cannot create the folder `\(options.out)`: \(error.localizedDescription)")
        }
        let modelPath = (options.out as NSString).appendingPathComponent("model.json")
        guard FileManager.default.createFile(atPath: modelPath, contents: Data(modelBytes)) else {
            throw TrainingError("cannot write `\(modelPath)`. Check that the folder is writable.")
        }
        let id = options.modelID ?? baseManifest?.id ?? ManifestFile.identifier(fromFolder: options.out)
        let version = options.version ?? ManifestFile.versionStamp(started)
        let manifestText = try ManifestFile.write(
            base: options.manifest, fields: schema.fields, id: id, version: version, data: options.data,
            thresholds: options.thresholds, confidence: confidence, calibration: calibration, to: options.out)
        let loaded: LoadedModel
        do {
            loaded = try LoadedModel.load(directory: options.out)
        } catch {
            throw TrainingError("the written model folder does not load: \(error.description)\n\(manifestText)")
        }

        let evaluation = try HoldoutEvaluation.run(
            model: loaded, table: table, rows: split.holdout, truth: truth, fields: schema.fields, progress: progress)
        let xgbHoldout = try final.predict(holdoutMatrix)
        let rawHoldoutAUC = EvalMetrics.rocAUC(xgbHoldout, split.holdout.map { truth[$0] }) ?? .nan
        let reference = ReferenceHistograms.build(
            fields: schema.fields, table: table, rows: (trainRows + split.validation).sorted(), holdoutProbabilities: evaluation.probabilities)

        if let path = options.holdoutOut {
            try HoldoutFile.write(path: path, table: table, rows: split.holdout, fields: schema.fields, labelColumn: labelColumn, truth: truth)
        }
        let report = TrainingReport(
            modelID: id, version: version, directory: options.out, xgboostVersion: XGBoost.version, parameters: parameters,
            rowsRead: table.rows.count, unlabeledRows: unlabeled, positiveValue: labels.positive, split: split, truth: truth,
            schema: schema, bestRound: best.round + 1, roundsRun: history.count, stoppedEarly: stoppedEarly,
            validationAUC: best.auc, validationLogLoss: best.logloss, trainingSeconds: trainingSeconds,
            totalSeconds: Date().timeIntervalSince(started), scalePosWeight: scalePosWeight, calibration: calibration,
            confidence: confidence, nativeAgreement: agreement, holdout: evaluation, xgboostHoldoutAUC: rawHoldoutAUC,
            reference: reference, table: table, options: options, featureCount: encoder.columnCount)
        try ModelCard.write(report)
        return report
    }

    static func validate(_ o: TrainingOptions) throws(TrainingError) {
        guard o.holdoutFraction > 0, o.holdoutFraction < 0.9 else {
            throw TrainingError("--holdout-fraction must be in (0, 0.9); it is \(o.holdoutFraction).")
        }
        guard o.validationFraction > 0, o.validationFraction < 0.9 else {
            throw TrainingError("--validation-fraction must be in (0, 0.9); it is \(o.validationFraction).")
        }
        guard o.rounds >= 1, o.rounds <= 100_000 else { throw TrainingError("--rounds must be 1–100000; it is \(o.rounds).") }
        guard o.maxDepth >= 1, o.maxDepth <= 20 else { throw TrainingError("--max-depth must be 1–20; it is \(o.maxDepth).") }
        guard o.learningRate > 0, o.learningRate <= 1 else { throw TrainingError("--learning-rate must be in (0, 1]; it is \(o.learningRate).") }
        guard o.subsample > 0, o.subsample <= 1, o.columnSample > 0, o.columnSample <= 1 else {
            throw TrainingError("--subsample and --colsample must be in (0, 1].")
        }
        guard o.earlyStoppingRounds >= 1 else { throw TrainingError("--early-stopping must be at least 1.") }
    }

    static func checkParts(_ split: Split, truth: [Bool]) throws(TrainingError) {
        for (name, rows) in [("training", split.train), ("validation", split.validation), ("holdout", split.holdout)] {
            let positives = rows.lazy.filter { truth[$0] }.count
            guard positives > 0, positives < rows.count else {
                throw TrainingError(
                    "the \(name) part (\(rows.count) rows) has \(positives == 0 ? "no converted" : "only converted") leads. Use more rows, or a different --holdout-fraction / time column."
                )
            }
        }
    }
}
