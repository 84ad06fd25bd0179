import Evaluation
import Foundation
import JSON
import Scoring

/// `model-card.json` (for programs: the console, drift checks) and `MODEL_CARD.md` (for people).
enum ModelCard {
    static func write(_ report: TrainingReport) throws(TrainingError) {
        let json = self.json(report)
        let markdown = self.markdown(report)
        for (name, text) in [("model-card.json", json), ("MODEL_CARD.md", markdown)] {
            let path = (report.directory as NSString).appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw TrainingError("cannot write `\(path)`.")
            }
        }
    }

    static func splitDescription(_ report: TrainingReport) -> String {
        switch report.split.method {
        case .stratified(let seed):
            "stratified by outcome with seed \(seed): \(fraction(report.options.holdoutFraction)) held out, \(fraction(report.options.validationFraction)) of the rest for early stopping and calibration"
        case .time(let column, let from, let holdoutFrom, let to):
            "by time on `\(column)`: rows from \(from) train, the latest \(fraction(report.options.holdoutFraction)) (from \(holdoutFrom) to \(to)) are held out; the latest \(fraction(report.options.validationFraction)) of the rest stop early and calibrate"
        }
    }

    static func fraction(_ x: Double) -> String { "\(Int((x * 100).rounded())) %" }

    static func json(_ r: TrainingReport) -> String {
        var w = JSONWriter(capacity: 64 * 1024)
        let h = r.holdout
        w.beginObject()
        w.field("model_id", r.modelID)
        w.field("version", r.version)
        w.field("library", "xgboost")
        w.field("xgboost_version", r.xgboostVersion)
        w.field("trained_at", Timestamp.iso8601(Date()))
        w.field("command", r.options.commandLine)
        w.key("data")
        w.beginObject()
        w.field("file", (r.options.data as NSString).lastPathComponent)
        w.field("rows", r.rowsRead)
        w.field("unlabeled_rows", r.unlabeledRows)
        w.field("label", r.options.label)
        w.field("positive_value", r.positiveValue)
        w.field("positives", r.labeledPositives)
        w.key("missing_values")
        w.beginArray()
        for token in r.table.missing.sorted() { w.string(token) }
        w.endArray()
        if case .time(let column, let from, _, let to) = r.split.method {
            w.key("time_range")
            w.beginObject()
            w.field("column", column)
            w.field("from", from)
            w.field("to", to)
            w.endObject()
        }
        w.key("missing_rates")
        w.beginObject()
        for (c, name) in r.table.header.enumerated() {
            let missing = r.table.rows.indices.lazy.filter { r.table.value($0, c) == nil }.count
            w.field(name, Double(missing) / Double(max(1, r.table.rows.count)), digits: 4)
        }
        w.endObject()
        w.endObject()
        w.key("split")
        w.beginObject()
        switch r.split.method {
        case .stratified(let seed):
            w.field("method", "stratified")
            w.field("seed", Int(truncatingIfNeeded: seed))
        case .time(let column, _, let holdoutFrom, _):
            w.field("method", "time")
            w.field("column", column)
            w.field("holdout_from", holdoutFrom)
        }
        w.field("holdout_fraction", r.options.holdoutFraction)
        w.field("validation_fraction", r.options.validationFraction)
        for (name, rows) in [("train", r.split.train), ("validation", r.split.validation), ("holdout", r.split.holdout)] {
            w.key(name)
            w.beginObject()
            w.field("rows", rows.count)
            w.field("positives", rows.lazy.filter { r.truth[$0] }.count)
            w.endObject()
        }
        w.field("description", splitDescription(r))
        w.endObject()
        w.key("parameters")
        w.beginObject()
        for (name, value) in r.parameters where name != "eval_metric" { w.field(name, value) }
        w.field("num_boost_round", r.options.rounds)
        w.field("early_stopping_rounds", r.options.earlyStoppingRounds)
        w.field("early_stopping_metric", r.options.stoppingMetric.rawValue)
        w.endObject()
        w.key("training")
        w.beginObject()
        w.field("best_round", r.bestRound)
        w.field("rounds_run", r.roundsRun)
        w.field("stopped_early", r.stoppedEarly)
        w.field("validation_auc", r.validationAUC)
        w.field("validation_logloss", r.validationLogLoss)
        w.field("training_seconds", r.trainingSeconds, digits: 3)
        w.field("total_seconds", r.totalSeconds, digits: 3)
        w.field("features", r.featureCount)
        w.field("native_max_abs_difference", r.nativeAgreement, digits: 9)
        w.endObject()
        w.key("calibration")
        switch r.calibration {
        case .platt(let a, let b)?:
            w.beginObject()
            w.field("method", "platt")
            w.field("a", a, digits: 9)
            w.field("b", b, digits: 9)
            w.field("fitted_on", "validation rows")
            w.endObject()
        case .isotonic(let x, _)?:
            w.beginObject()
            w.field("method", "isotonic")
            w.field("points", x.count)
            w.field("fitted_on", "validation rows")
            w.endObject()
        case nil: w.null()
        }
        w.key("holdout")
        w.beginObject()
        w.field("rows", h.rows)
        w.field("positives", h.positives)
        w.field("auc", h.auc)
        w.field("auc_xgboost_uncalibrated", r.xgboostHoldoutAUC)
        w.field("pr_auc", h.prAUC)
        w.field("log_loss", h.logLoss)
        w.field("brier", h.brier)
        w.field("ece", h.ece)
        w.key("at_k")
        w.beginArray()
        for a in h.atK {
            w.beginObject()
            w.field("label", a.label)
            w.field("k", a.k)
            w.field("precision", a.precision)
            w.field("lift", a.lift)
            w.endObject()
        }
        w.endArray()
        w.key("badges")
        w.beginObject()
        w.field("hot_above", r.options.thresholds.hotAbove)
        w.field("cold_below", r.options.thresholds.coldBelow)
        for b in h.badges {
            w.key(b.badge.rawValue)
            w.beginObject()
            w.field("leads", b.leads)
            w.field("converted", b.converted)
            w.key("conversion_rate")
            if b.leads > 0 { w.number(Double(b.converted) / Double(b.leads)) } else { w.null() }
            w.endObject()
        }
        w.endObject()
        w.key("reliability")
        w.beginArray()
        for bin in h.reliability {
            w.beginObject()
            w.field("lower", bin.lower)
            w.field("upper", bin.upper)
            w.field("leads", bin.leads)
            w.field("mean_probability", bin.meanProbability)
            w.field("conversion_rate", bin.conversionRate)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.key("mean_abs_shap")
        w.beginObject()
        for (field, value) in h.meanAbsSHAP { w.field(field, value) }
        w.endObject()
        w.key("fields")
        w.beginArray()
        for field in r.schema.fields {
            w.beginObject()
            w.field("name", field.name)
            w.field("column", field.column)
            switch field.kind {
            case .number: w.field("type", "number")
            case .boolean: w.field("type", "boolean")
            case .oneHot(let categories):
                w.field("type", "one_hot")
                w.field("categories", categories.count)
            }
            w.endObject()
        }
        w.endArray()
        w.key("excluded")
        w.beginArray()
        for e in r.schema.excluded {
            w.beginObject()
            w.field("column", e.column)
            w.field("reason", e.reason)
            w.endObject()
        }
        w.endArray()
        w.key("warnings")
        w.beginArray()
        for warning in r.schema.warnings { w.string(warning) }
        w.endArray()
        w.key("reference")
        w.beginObject()
        for histogram in r.reference {
            w.key(histogram.field)
            w.beginObject()
            switch histogram.bins {
            case .numeric(let edges):
                w.field("kind", "numeric")
                w.key("edges")
                w.beginArray()
                for e in edges { w.number(e, digits: 9) }
                w.endArray()
            case .categories(let values):
                w.field("kind", "categories")
                w.key("values")
                w.beginArray()
                for v in values { w.string(v) }
                w.endArray()
            }
            w.key("shares")
            w.beginArray()
            for s in histogram.shares { w.number(s, digits: 6) }
            w.endArray()
            w.field("missing_share", histogram.missingShare, digits: 6)
            w.endObject()
        }
        w.endObject()
        w.endObject()
        return w.text + "\n"
    }

    static func f(_ x: Double, _ digits: Int = 3) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "–" }

    static func markdown(_ r: TrainingReport) -> String {
        let h = r.holdout
        var md = "# Model card: \(r.modelID) \(r.version)\n\n"
        md += "Trained by `leadgate train` with xgboost \(r.xgboostVersion) on `\((r.options.data as NSString).lastPathComponent)`"
        md += " (\(r.rowsRead) rows, \(r.labeledPositives) with `\(r.options.label)` = `\(r.positiveValue)`).\n\n"
        md += "Command: `\(r.options.commandLine)`\n\n"
        md += "## Holdout (\(h.rows) leads, \(h.positives) converted)\n\n"
        md += "Scored through the gateway's own path (manifest, native trees, calibration): what serving and `leadgate score` give.\n\n"
        md += "| measure | value |\n|---|---:|\n"
        md +=
            "| AUC | \(f(h.auc, 4)) |\n| PR-AUC | \(f(h.prAUC, 4)) |\n| log loss | \(f(h.logLoss, 4)) |\n| Brier | \(f(h.brier, 4)) |\n| ECE (10 bins) | \(f(h.ece, 4)) |\n"
        for a in h.atK { md += "| precision@\(a.label) | \(f(a.precision)) (lift \(f(a.lift, 2))×) |\n" }
        md += "\n### Conversion per badge (hot above \(r.options.thresholds.hotAbove), cold below \(r.options.thresholds.coldBelow))\n\n"
        md += "| badge | leads | converted | rate |\n|---|---:|---:|---:|\n"
        for b in h.badges {
            md += "| \(b.badge.rawValue) | \(b.leads) | \(b.converted) | \(b.leads > 0 ? f(Double(b.converted) / Double(b.leads)) : "–") |\n"
        }
        md += "\n### Reliability (calibration: \(r.calibration?.method ?? "none"), fitted on the validation rows)\n\n"
        md += "| probability | leads | mean probability | conversion rate |\n|---|---:|---:|---:|\n"
        for bin in h.reliability {
            md += "| \(f(bin.lower, 1))–\(f(bin.upper, 1)) | \(bin.leads) | \(f(bin.meanProbability)) | \(f(bin.conversionRate)) |\n"
        }
        md += "\n## What drives the score (mean |SHAP| over \(h.shapRows) holdout leads, log-odds)\n\n| field | mean abs SHAP |\n|---|---:|\n"
        for (field, value) in h.meanAbsSHAP.prefix(25) { md += "| \(field) | \(f(value, 4)) |\n" }
        md += "\n## Data and split\n\n"
        md += "- Split: \(splitDescription(r)).\n"
        md += "- Rows: train \(r.split.train.count), validation \(r.split.validation.count), holdout \(r.split.holdout.count)"
        md += r.unlabeledRows > 0 ? "; \(r.unlabeledRows) rows without a label left out.\n" : ".\n"
        md += "- Reproduce: run the same command on the same file; the split depends only on the rows, the labels"
        md += " and the seed (or the time column).\n"
        md += "- Fields: \(r.schema.fields.count) (\(r.featureCount) model columns).\n"
        if !r.schema.excluded.isEmpty {
            md += "\nLeft out:\n\n"
            for e in r.schema.excluded { md += "- `\(e.column)`: \(e.reason)\n" }
        }
        if !r.schema.warnings.isEmpty {
            md += "\nWarnings:\n\n"
            for w in r.schema.warnings { md += "- \(w)\n" }
        }
        md += "\n## Training\n\n"
        md +=
            "- Best round \(r.bestRound) of \(r.roundsRun) run\(r.stoppedEarly ? " (stopped early)" : ""); validation AUC \(f(r.validationAUC, 4)), log loss \(f(r.validationLogLoss, 4)).\n"
        md += "- Boosting time \(f(r.trainingSeconds, 2)) s; whole run \(f(r.totalSeconds, 2)) s.\n"
        md += "- LeadGate's native evaluator matches xgboost within \(String(format: "%.1e", r.nativeAgreement)) on every validation row.\n"
        md += "- Parameters: " + r.parameters.filter { $0.0 != "eval_metric" }.map { "`\($0.0)=\($0.1)`" }.joined(separator: ", ") + ".\n"
        md += "\nReasons (TreeSHAP) are in the model's margin (log-odds) space; calibration only maps the final probability.\n"
        return md
    }
}
