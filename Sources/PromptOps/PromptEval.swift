import Evaluation
import Foundation
import JSON
public import Pipeline
public import Reranker
public import Scoring
import Synchronization
import Telemetry

/// `leadgate prompts eval`: runs labelled leads through the whole pipeline (model, then the LLM with
/// one prompt or two side by side) and reports whether the adjustment helps, against the model's
/// own score: ranking (ROC AUC, PR AUC, precision and lift at K), calibration (ECE), badge flips,
/// multipliers, fallbacks, latency and tokens, with bootstrap intervals for the differences.
public enum PromptEval {
    public struct Options: Sendable {
        public var data: String
        public var label: String
        public var prompt: String
        public var against: String?
        public var limit: Int?
        public var concurrency = 16
        public var resamples = 1_000
        public var seed: UInt64 = 2026

        public init(data: String, label: String, prompt: String) {
            self.data = data
            self.label = label
            self.prompt = prompt
        }
    }

    /// One lead's results.
    public struct Row: Sendable {
        public var leadID: String
        public var label: Bool
        public var probability: Double
        public var baseScore: Int
        public var baseBadge: String
        /// Per arm: the multiplier used (1 on a fallback), the status and reason, score, badge, latency.
        public var arms: [Arm]
    }

    public struct Arm: Sendable {
        public var multiplier: Double
        public var status: String
        public var reason: String?
        public var score: Int
        public var badge: String
        public var latencyMS: Double
        public var promptTokens: Int
        public var completionTokens: Int
    }

    public struct Report: Sendable {
        public var rows: [Row]
        public var skipped: [(line: Int, why: String)]
        public var prompts: [PromptTemplate]
        public var markdown: String
        public var json: String
    }

    /// Reads the data, scores every lead with `pipeline`'s models, asks its LLM with each prompt
    /// (`concurrency` calls at once, each within `budget`), and builds the report.
    /// `progress(done, total)` is called as answers come in. The cache is not used.
    ///
    /// - Parameters:
    ///   - pipeline: A pipeline with an LLM step (its breaker should never open: a breaker opening
    ///     after a few failures would turn the rest of the run into `breaker_open` fallbacks that say
    ///     nothing about the prompt).
    ///   - prompts: One prompt, or two to compare side by side.
    public static func run(
        options: Options, pipeline: ScoringPipeline, prompts: [PromptTemplate], budget: Duration,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws(ConfigurationError) -> Report {
        guard let reranker = pipeline.reranker else {
            throw ConfigurationError(key: "llm.base_url", "is not set: an evaluation asks the LLM. Set LEADGATE_LLM_BASE_URL (a test server works).")
        }
        guard !prompts.isEmpty else { throw ConfigurationError(key: "--prompt", "names no prompt.") }
        let snapshot = pipeline.registry.snapshot
        let (inputs, labels, skippedRead) = try readData(options, manifest: snapshot.primary.manifest)
        var leads: [(EvaluatedLead, Bool)] = []
        var skipped = skippedRead
        for (n, input) in inputs.enumerated() {
            switch pipeline.evaluate(input.lead, snapshot: snapshot) {
            case .success(let lead): leads.append((lead, labels[n]))
            case .failure(let problem):
                skipped.append((input.line, problem.errors.first.map { "\($0.field): \($0.message)" } ?? problem.detail))
            }
        }
        guard !leads.isEmpty else { throw ConfigurationError(key: "--data", "has no lead the model could score (\(skipped.first?.why ?? "empty")).") }
        // Every (lead, prompt) pair, `concurrency` at a time.
        let total = leads.count * prompts.count
        let done = Mutex(0)
        var answers = [[RerankOutcome?]](repeating: [RerankOutcome?](repeating: nil, count: prompts.count), count: leads.count)
        await withTaskGroup(of: (Int, Int, RerankOutcome).self) { group in
            var next = 0
            func add(_ group: inout TaskGroup<(Int, Int, RerankOutcome)>) {
                guard next < total else { return }
                let (i, p) = (next / prompts.count, next % prompts.count)
                next += 1
                let facts = leads[i].0.promptFacts
                let prompt = prompts[p]
                group.addTask { (i, p, await reranker.adjust(facts, prompt: prompt, budget: budget)) }
            }
            for _ in 0..<max(1, options.concurrency) { add(&group) }
            while let (i, p, outcome) = await group.next() {
                answers[i][p] = outcome
                progress(
                    done.withLock {
                        $0 += 1; return $0
                    }, total)
                add(&group)
            }
        }
        var rows: [Row] = []
        for (i, (lead, label)) in leads.enumerated() {
            var arms: [Arm] = []
            for p in prompts.indices {
                let outcome = answers[i][p] ?? .fallback(.timeout, "no answer")
                var multiplier = 1.0
                var status = "applied"
                var reason: String?
                switch outcome.result {
                case .applied(let adjustment): multiplier = adjustment.multiplier
                case .fallback(let code, _):
                    status = "fallback"
                    reason = code.rawValue
                }
                let score = LeadScorer.scoreValue(lead.score.probability, multiplier: multiplier)
                arms.append(
                    Arm(
                        multiplier: multiplier, status: status, reason: reason, score: score,
                        badge: lead.model.scorer.thresholds.badge(for: score).rawValue, latencyMS: outcome.latency.milliseconds,
                        promptTokens: outcome.usage?.prompt ?? 0, completionTokens: outcome.usage?.completion ?? 0))
            }
            rows.append(
                Row(
                    leadID: lead.leadID, label: label, probability: lead.score.probability, baseScore: lead.score.baseScore,
                    baseBadge: lead.score.baseBadge.rawValue, arms: arms))
        }
        let (markdown, json) = render(rows: rows, skipped: skipped, prompts: prompts, options: options, data: options.data)
        return Report(rows: rows, skipped: skipped, prompts: prompts, markdown: markdown, json: json)
    }

    /// The per-lead CSV: id, label, base probability and score, then per prompt multiplier, status,
    /// reason, score, badge and latency.
    public static func csv(_ report: Report) -> String {
        var header = ["lead_id", "label", "probability", "base_score", "base_badge"]
        for prompt in report.prompts {
            header += ["multiplier", "status", "reason", "score", "badge", "latency_ms"].map { "\(prompt.id)_\($0)" }
        }
        var lines = [header.joined(separator: ",")]
        for row in report.rows {
            var fields = [quote(row.leadID), row.label ? "1" : "0", String(format: "%.6f", row.probability), String(row.baseScore), row.baseBadge]
            for arm in row.arms {
                fields += [
                    String(format: "%.4f", arm.multiplier), arm.status, arm.reason ?? "", String(arm.score), arm.badge,
                    String(format: "%.1f", arm.latencyMS),
                ]
            }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    // MARK: Reading

    struct Input {
        var line: Int
        var lead: LeadInput
    }

    /// CSV (a header naming the manifest's fields, the label column, optional `lead_id` and `notes`)
    /// or JSON lines (each a lead as POST /v1/leads/score takes it, with the label as a top-level key).
    static func readData(_ options: Options, manifest: ModelManifest) throws(ConfigurationError) -> ([Input], [Bool], [(line: Int, why: String)]) {
        guard let data = FileManager.default.contents(atPath: options.data), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: "--data", "`\(options.data)` cannot be read.")
        }
        var inputs: [Input] = []
        var labels: [Bool] = []
        var skipped: [(line: Int, why: String)] = []
        func label(_ value: String?) -> Bool? {
            switch value?.trimmingCharacters(in: .whitespaces).lowercased() {
            case "1", "1.0", "true", "yes", "converted": true
            case "0", "0.0", "false", "no": false
            default: nil
            }
        }
        let limit = options.limit ?? Int.max
        if options.data.hasSuffix(".jsonl") || options.data.hasSuffix(".ndjson") {
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where inputs.count < limit {
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                guard let node = try? JSONReader.parse(Data(line.utf8)), case .object(var members) = node else {
                    skipped.append((n + 1, "not a JSON object"))
                    continue
                }
                let value = members.first { $0.key == options.label }?.value
                members.removeAll { $0.key == options.label }
                let text: String? =
                    switch value {
                    case .bool(let b): b ? "1" : "0"
                    case .number(let d): String(d)
                    case .string(let s): s
                    default: nil
                    }
                guard let converted = label(text) else {
                    skipped.append((n + 1, "`\(options.label)` is missing or not 0/1, true/false"))
                    continue
                }
                inputs.append(Input(line: n + 1, lead: LeadInput(.object(members))))
                labels.append(converted)
            }
        } else {
            let rows = CSVLines.parse(text)
            guard let header = rows.first else { throw ConfigurationError(key: "--data", "is empty.") }
            guard let labelColumn = header.firstIndex(of: options.label) else {
                throw ConfigurationError(
                    key: "--label", "`\(options.label)` is not a column of \(options.data). Columns: \(header.joined(separator: ", ")).")
            }
            let fields = Dictionary(uniqueKeysWithValues: manifest.fields.map { ($0.name, $0) })
            for (n, row) in rows.dropFirst().enumerated() where inputs.count < limit {
                guard row.count == header.count else {
                    if row.count > 1 || row.first?.isEmpty == false {
                        skipped.append((n + 2, "has \(row.count) fields; the header has \(header.count)"))
                    }
                    continue
                }
                guard let converted = label(row[labelColumn]) else {
                    skipped.append((n + 2, "`\(options.label)` is `\(row[labelColumn])`, not 0/1 or true/false"))
                    continue
                }
                var features: [(key: String, value: JSONNode)] = []
                var leadID = "row-\(n + 2)"
                var notes: JSONNode = .null
                for (c, name) in header.enumerated() where c != labelColumn {
                    let cell = row[c]
                    if name == "lead_id" {
                        if !cell.isEmpty { leadID = cell }
                    } else if name == "notes" {
                        notes = cell.isEmpty ? .null : .string(cell)
                    } else if let field = fields[name] {
                        features.append((name, Self.value(cell, kind: field.kind)))
                    }
                }
                let object: JSONNode = .object([("lead_id", .string(leadID)), ("features", .object(features)), ("notes", notes)])
                inputs.append(Input(line: n + 2, lead: LeadInput(object)))
                labels.append(converted)
            }
        }
        return (inputs, labels, skipped)
    }

    static func value(_ cell: String, kind: ModelManifest.FieldKind) -> JSONNode {
        let trimmed = cell.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.lowercased() != "nan", trimmed.lowercased() != "null" else { return .null }
        switch kind {
        case .number: return Double(trimmed).map(JSONNode.number) ?? .string(trimmed)
        case .boolean:
            switch trimmed.lowercased() {
            case "1", "1.0", "true", "yes": return .bool(true)
            case "0", "0.0", "false", "no": return .bool(false)
            default: return .string(trimmed)
            }
        case .oneHot, .categorical: return .string(trimmed)
        }
    }
}

/// A small RFC 4180 reader (quoted fields, doubled quotes, CRLF).
enum CSVLines {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        while let c = pending {
            pending = iterator.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r", pending == "\n" { pending = iterator.next() }
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}

// MARK: The report

extension PromptEval {
    struct ArmSummary {
        var name: String
        var probabilities: [Double]
        var auc: Double?
        var prAUC: Double?
        var ece: Double?
        var atK: [(k: Int, precision: Double?, lift: Double?)]
    }

    static func summarize(_ name: String, _ probabilities: [Double], _ labels: [Bool], ks: [Int]) -> ArmSummary {
        ArmSummary(
            name: name, probabilities: probabilities, auc: EvalMetrics.rocAUC(probabilities, labels),
            prAUC: EvalMetrics.averagePrecision(probabilities, labels), ece: EvalMetrics.expectedCalibrationError(probabilities, labels),
            atK: ks.map { ($0, EvalMetrics.precision(at: $0, probabilities, labels), EvalMetrics.lift(at: $0, probabilities, labels)) })
    }

    static func render(rows: [Row], skipped: [(line: Int, why: String)], prompts: [PromptTemplate], options: Options, data: String) -> (
        String, String
    ) {
        let labels = rows.map(\.label)
        let n = rows.count
        let ks = Array(Set([0.05, 0.1, 0.2].map { max(1, Int((Double(n) * $0).rounded())) })).sorted()
        var arms = [summarize("model", rows.map(\.probability), labels, ks: ks)]
        for (p, prompt) in prompts.enumerated() {
            arms.append(summarize("\(prompt.id)@\(prompt.version)", rows.map { min(1, $0.probability * $0.arms[p].multiplier) }, labels, ks: ks))
        }
        func f(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "–" }
        // Differences with bootstrap intervals: each prompt against the model, and B against A.
        var comparisons: [(name: String, a: Int, b: Int)] = prompts.indices.map { ("\(arms[$0 + 1].name) − model", 0, $0 + 1) }
        if prompts.count == 2 { comparisons.append(("\(arms[2].name) − \(arms[1].name)", 1, 2)) }
        let measures: [(String, ([Double], [Bool]) -> Double?)] = [
            ("ROC AUC", EvalMetrics.rocAUC), ("PR AUC", EvalMetrics.averagePrecision), ("ECE", { EvalMetrics.expectedCalibrationError($0, $1) }),
        ]
        var deltas: [(comparison: String, measure: String, delta: Double, low: Double, high: Double)] = []
        for c in comparisons {
            for (name, metric) in measures {
                if let d = EvalMetrics.bootstrapDelta(
                    arms[c.a].probabilities, arms[c.b].probabilities, labels, resamples: options.resamples, seed: options.seed, metric: metric)
                {
                    deltas.append((c.name, name, d.delta, d.low, d.high))
                }
            }
        }
        let rate = Double(labels.filter { $0 }.count) / Double(max(1, n))
        var md = "# Prompt evaluation\n\n"
        md += "\(n) leads from `\(data)` (\(labels.filter { $0 }.count) converted, \(String(format: "%.1f", rate * 100))%)"
        md += skipped.isEmpty ? ".\n\n" : "; \(skipped.count) skipped (first: line \(skipped[0].line): \(skipped[0].why)).\n\n"
        md += "| measure | " + arms.map(\.name).joined(separator: " | ") + " |\n|---|" + arms.map { _ in "---:|" }.joined() + "\n"
        md += "| ROC AUC | " + arms.map { f($0.auc) }.joined(separator: " | ") + " |\n"
        md += "| PR AUC | " + arms.map { f($0.prAUC) }.joined(separator: " | ") + " |\n"
        for (i, k) in ks.enumerated() {
            md += "| precision@\(k) | " + arms.map { f($0.atK[i].precision, 3) }.joined(separator: " | ") + " |\n"
            md += "| lift@\(k) | " + arms.map { f($0.atK[i].lift, 2) }.joined(separator: " | ") + " |\n"
        }
        md += "| ECE (10 bins) | " + arms.map { f($0.ece) }.joined(separator: " | ") + " |\n\n"
        md +=
            "## Differences (paired bootstrap, \(options.resamples) resamples, 95% interval)\n\n| comparison | measure | delta | 95% interval | real? |\n|---|---|---:|---|---|\n"
        for d in deltas {
            let real = d.low > 0 || d.high < 0
            md +=
                "| \(d.comparison) | \(d.measure) | \(String(format: "%+.4f", d.delta)) | [\(String(format: "%+.4f", d.low)), \(String(format: "%+.4f", d.high))] | \(real ? "yes" : "no: the interval holds 0") |\n"
        }
        md += "\nFor ROC AUC and PR AUC higher is better; for ECE lower is better.\n"
        for (p, prompt) in prompts.enumerated() {
            let arm = rows.map { $0.arms[p] }
            let flips = rows.filter { $0.arms[p].badge != $0.baseBadge }
            let latencies = arm.map(\.latencyMS)
            var reasons: [String: Int] = [:]
            for a in arm where a.status == "fallback" { reasons[a.reason ?? "?", default: 0] += 1 }
            var histogram = [Int](repeating: 0, count: 8)
            for a in arm where a.status == "applied" { histogram[min(7, max(0, Int(((a.multiplier - 0.8) / 0.05 + 1e-9).rounded(.down))))] += 1 }
            md += "\n## \(prompt.id)@\(prompt.version) (`\(prompt.hash.prefix(12))`)\n\n"
            md += "- Applied \(arm.filter { $0.status == "applied" }.count) of \(n); fallbacks: "
            md +=
                reasons.isEmpty
                ? "none.\n"
                : reasons.sorted { $0.value > $1.value }.map {
                    "\($0.key) \($0.value) (\(String(format: "%.1f", Double($0.value) * 100 / Double(n)))%)"
                }.joined(separator: ", ") + ".\n"
            md += "- Badge flips: \(flips.count) (\(String(format: "%.1f", Double(flips.count) * 100 / Double(max(1, n))))%)"
            md +=
                flips.isEmpty
                ? ".\n"
                : ": "
                    + flips.prefix(20).map { "\($0.leadID) \($0.baseBadge)→\($0.arms[p].badge)\($0.label ? " (converted)" : "")" }.joined(
                        separator: ", ") + (flips.count > 20 ? ", …" : "") + ".\n"
            md +=
                "- Multipliers: "
                + histogram.enumerated().map {
                    String(format: "%.2f–%.2f: %d", 0.8 + Double($0.offset) * 0.05, 0.85 + Double($0.offset) * 0.05, $0.element)
                }.joined(separator: ", ") + ".\n"
            md +=
                "- Latency: p50 \(f(EvalMetrics.percentile(latencies, 50), 1)) ms, p95 \(f(EvalMetrics.percentile(latencies, 95), 1)) ms, p99 \(f(EvalMetrics.percentile(latencies, 99), 1)) ms.\n"
            md += "- Tokens: \(arm.reduce(0) { $0 + $1.promptTokens }) prompt, \(arm.reduce(0) { $0 + $1.completionTokens }) completion.\n"
        }
        // JSON for machines.
        var w = JSONWriter(capacity: 4096 + n * 64)
        w.beginObject()
        w.field("data", data)
        w.field("leads", n)
        w.field("converted", labels.filter { $0 }.count)
        w.field("skipped", skipped.count)
        w.key("arms")
        w.beginArray()
        for arm in arms {
            w.beginObject()
            w.field("name", arm.name)
            for (key, value) in [("roc_auc", arm.auc), ("pr_auc", arm.prAUC), ("ece", arm.ece)] {
                if let value { w.field(key, value, digits: 6) } else { w.key(key); w.null() }
            }
            w.key("at_k")
            w.beginArray()
            for item in arm.atK {
                w.beginObject()
                w.field("k", item.k)
                if let p = item.precision { w.field("precision", p, digits: 6) }
                if let l = item.lift { w.field("lift", l, digits: 6) }
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("differences")
        w.beginArray()
        for d in deltas {
            w.beginObject()
            w.field("comparison", d.comparison)
            w.field("measure", d.measure)
            w.field("delta", d.delta, digits: 6)
            w.field("low", d.low, digits: 6)
            w.field("high", d.high, digits: 6)
            w.field("real", d.low > 0 || d.high < 0)
            w.endObject()
        }
        w.endArray()
        w.key("prompts")
        w.beginArray()
        for (p, prompt) in prompts.enumerated() {
            let arm = rows.map { $0.arms[p] }
            w.beginObject()
            w.field("id", prompt.id)
            w.field("version", prompt.version)
            w.field("hash", prompt.hash)
            w.field("applied", arm.filter { $0.status == "applied" }.count)
            w.key("fallbacks")
            w.beginObject()
            var reasons: [String: Int] = [:]
            for a in arm where a.status == "fallback" { reasons[a.reason ?? "?", default: 0] += 1 }
            for (reason, count) in reasons.sorted(by: { $0.key < $1.key }) { w.field(reason, count) }
            w.endObject()
            w.key("flipped")
            w.beginArray()
            for row in rows where row.arms[p].badge != row.baseBadge { w.string(row.leadID) }
            w.endArray()
            let latencies = arm.map(\.latencyMS)
            for (key, q) in [("latency_p50_ms", 50.0), ("latency_p95_ms", 95.0), ("latency_p99_ms", 99.0)] {
                if let v = EvalMetrics.percentile(latencies, q) { w.field(key, v, digits: 1) }
            }
            w.field("prompt_tokens", arm.reduce(0) { $0 + $1.promptTokens })
            w.field("completion_tokens", arm.reduce(0) { $0 + $1.completionTokens })
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return (md, w.text)
    }
}
