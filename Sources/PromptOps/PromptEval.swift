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
}
