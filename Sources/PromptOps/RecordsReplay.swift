import Foundation
import JSON
public import Pipeline
public import Records
public import Reranker
import Scoring
import Synchronization

/// `leadgate records replay`: re-scores recorded decisions' inputs with another model (or the
/// models loaded now) and, optionally, another prompt, and reports what would change: score
/// deltas, badge flips, by badge. Nothing is published: no live score, stream, webhook, cache
/// entry or decision record is written.
public enum RecordsReplay {
    public struct Options: Sendable {
        /// The model to replay with, as `options.model` takes it (`id` or `id@version`); nil = the
        /// models loaded now choose as they would for a new request.
        public var model: String?
        /// Whether an LLM prompt is replayed too; without one, each decision's recorded multiplier
        /// (when the LLM step applied one) is kept, so only the model's part changes.
        public var prompt: PromptTemplate?
        /// Only these kinds of decisions (nil = all).
        public var kinds: Set<DecisionRecord.Kind>?
        public var limit: Int?
        public var concurrency = 16
        /// The LLM budget of one call.
        public var budget: Duration = .milliseconds(500)

        public init(model: String? = nil, prompt: PromptTemplate? = nil) {
            self.model = model
            self.prompt = prompt
        }
    }

    /// One replayed decision: as recorded, and as it would be now.
    public struct Row: Sendable {
        public var decisionID: String
        public var leadID: String
        public var recordedModel: String
        public var recordedBaseScore: Int
        public var recordedScore: Int
        public var recordedBadge: String
        public var model: String
        public var baseScore: Int
        public var score: Int
        public var badge: String
        /// `recorded` (the recorded multiplier kept), `applied`, `fallback` or `none`.
        public var llm: String
        public var multiplier: Double
        public var reason: String?

        public var delta: Int { score - recordedScore }
    }

    public struct Report: Sendable {
        public var rows: [Row]
        /// Decisions not replayed, with why (the input was erased, the lead is no longer valid, ...).
        public var skipped: [(id: String, why: String)]
        public var modelLabel: String
        public var promptLabel: String
    }

    /// Replays `decisions` (typically ``RecordStore/export(since:until:pageSize:)``) through
    /// `pipeline`'s evaluate step and, with a prompt, its LLM. `progress(read, total)` is called as
    /// decisions are read (`total` as given, e.g. from ``RecordStore/countDecisions(since:until:)``;
    /// the last call has `read == total`).
    public static func run<Decisions: AsyncSequence>(
        _ decisions: Decisions, total: Int, pipeline: ScoringPipeline, options: Options,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Report where Decisions.Element == DecisionRecord {
        let snapshot = pipeline.registry.snapshot
        let reranker = pipeline.reranker
        if options.prompt != nil, reranker == nil {
            throw ConfigurationError(key: "llm.base_url", "is not set: replaying a prompt asks the LLM. Set LEADGATE_LLM_BASE_URL.")
        }
        if let model = options.model {
            do {
                _ = try pipeline.registry.select(leadID: "", requested: model, in: snapshot)
            } catch {
                throw ConfigurationError(key: "--model", Evaluator.unknownModel(error).message)
            }
        }
        var rows: [Row] = []
        var skipped: [(id: String, why: String)] = []
        var chunk: [(DecisionRecord, EvaluatedLead)] = []
        var seen = 0
        var scanned = 0
        let chunkSize = max(64, options.concurrency * 8)
        for try await decision in decisions {
            if let limit = options.limit, seen >= limit { break }
            scanned += 1
            if scanned % 100 == 0 { progress(scanned, max(total, scanned)) }
            if let kinds = options.kinds, !kinds.contains(decision.kind) { continue }
            seen += 1
            switch evaluate(decision, pipeline: pipeline, snapshot: snapshot, model: options.model, wantsLLM: options.prompt != nil) {
            case .success(let lead): chunk.append((decision, lead))
            case .failure(let why): skipped.append((decision.id, why.text))
            }
            if chunk.count >= chunkSize {
                rows += await finish(chunk, reranker: reranker, options: options)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        rows += await finish(chunk, reranker: reranker, options: options)
        progress(scanned, scanned)
        return Report(
            rows: rows, skipped: skipped,
            modelLabel: options.model ?? "the models loaded now (\(snapshot.primary.id)@\(snapshot.primary.version) by default)",
            promptLabel: options.prompt.map { "\($0.id)@\($0.version)" } ?? "none (each decision's recorded LLM multiplier kept)")
    }

    /// The decision's recorded input, validated and scored again (no LLM call yet).
    static func evaluate(
        _ decision: DecisionRecord, pipeline: ScoringPipeline, snapshot: ModelRegistry.Snapshot, model: String?, wantsLLM: Bool
    ) -> Result<EvaluatedLead, Why> {
        guard !decision.inputJSON.isEmpty, decision.inputJSON != "{}" else { return .failure(Why("the input was erased")) }
        let node: JSONNode
        do {
            node = try JSONReader.parse(bytes: Array(decision.inputJSON.utf8))
        } catch {
            return .failure(Why("the recorded input is not JSON (\(error.description))"))
        }
        var input = LeadInput(node)
        if let model { input.options.model = model }
        input.options.rerank = wantsLLM
        input.options.explain = wantsLLM
        return pipeline.evaluate(input, snapshot: snapshot).mapError { problem in
            Why(problem.errors.first.map { "\($0.field) \($0.message)" } ?? problem.detail)
        }
    }

    struct Why: Error {
        var text: String
        init(_ text: String) { self.text = text }
    }

    /// The rows of a chunk: the LLM asked with the prompt (`concurrency` calls at once), or each
    /// decision's recorded multiplier applied to the new probability.
    static func finish(_ chunk: [(DecisionRecord, EvaluatedLead)], reranker: LLMReranker?, options: Options) async -> [Row] {
        var outcomes = [RerankOutcome?](repeating: nil, count: chunk.count)
        if let prompt = options.prompt, let reranker {
            await withTaskGroup(of: (Int, RerankOutcome).self) { group in
                var next = 0
                func add(_ group: inout TaskGroup<(Int, RerankOutcome)>) {
                    guard next < chunk.count else { return }
                    let facts = chunk[next].1.promptFacts
                    let i = next
                    next += 1
                    group.addTask { (i, await reranker.adjust(facts, prompt: prompt, budget: options.budget)) }
                }
                for _ in 0..<max(1, options.concurrency) { add(&group) }
                while let (i, outcome) = await group.next() {
                    outcomes[i] = outcome
                    add(&group)
                }
            }
        }
        return chunk.enumerated().map { i, pair in
            let (decision, lead) = pair
            var multiplier = 1.0
            var llm = "none"
            var reason: String?
            if options.prompt != nil {
                switch outcomes[i]?.result ?? .fallback(.timeout, detail: "no answer") {
                case .applied(let adjustment):
                    multiplier = adjustment.multiplier
                    llm = "applied"
                case .fallback(let code, _):
                    llm = "fallback"
                    reason = code.rawValue
                }
            } else if let recorded = decision.llm.multiplier, decision.llm.status != "fallback" {
                multiplier = recorded
                llm = "recorded"
            }
            let score = LeadScorer.scoreValue(lead.score.probability, multiplier: multiplier)
            return Row(
                decisionID: decision.id, leadID: decision.leadID, recordedModel: "\(decision.model.id)@\(decision.model.version)",
                recordedBaseScore: decision.baseScore, recordedScore: decision.finalScore, recordedBadge: decision.finalBadge,
                model: "\(lead.model.id)@\(lead.model.version)", baseScore: lead.score.baseScore, score: score,
                badge: lead.model.scorer.thresholds.badge(for: score).rawValue, llm: llm, multiplier: multiplier, reason: reason)
        }
    }
}
