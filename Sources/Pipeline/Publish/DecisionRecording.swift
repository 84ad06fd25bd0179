import Foundation
import JSON
public import Records
public import Reranker
import Scoring
import Telemetry

/// The decision record of every published lead: what came in, what the model and the LLM step
/// said, what was answered, by whom and how fast. Handed to the ``Recorder``'s bounded queue, which
/// writes it to the system of record in batches; nothing here waits on a database.
public struct DecisionRecording: Sendable {
    public let recorder: Recorder
    /// This gateway's name in every record (`records.instance`, else the host name).
    public let instance: String
    let liveTTL: Duration
    let reranker: LLMReranker?

    public init(recorder: Recorder, instance: String, liveTTL: Duration, reranker: LLMReranker?) {
        self.recorder = recorder
        self.instance = instance
        self.liveTTL = liveTTL
        self.reranker = reranker
    }

    /// Queues one record per lead. `indices` are the leads' positions in their request (a batch
    /// skips the leads it refused); without them, the positions follow `context.index`.
    func record(_ scored: [ScoredLead], indices: [Int]?, context: DecisionContext) {
        let requestID = context.requestID ?? UUID().uuidString.lowercased()
        let latency = (ContinuousClock.now - context.receivedAt).milliseconds
        let kind = DecisionRecord.Kind(rawValue: context.kind.rawValue) ?? .single
        let ttl = liveTTL.seconds
        var records: [DecisionRecord] = []
        records.reserveCapacity(scored.count)
        for (position, lead) in scored.enumerated() {
            let index = indices.map { position < $0.count ? $0[position] : position } ?? context.index + position
            records.append(
                DecisionRecord(
                    requestID: requestID, index: index, leadID: lead.leadID, time: lead.scoredAt, kind: kind, caller: context.caller,
                    gatewayInstance: instance, model: DecisionRecord.Model(id: lead.model.id, version: lead.model.version, role: lead.lead.role),
                    inputJSON: lead.lead.storedInputJSON(), unknownFields: lead.lead.score.unknownFields, probability: lead.lead.score.probability,
                    baseScore: lead.lead.score.baseScore, finalScore: lead.finalScore, baseBadge: lead.baseBadge.rawValue,
                    finalBadge: lead.badge.rawValue, confidence: lead.lead.score.confidence,
                    explanationJSON: lead.explanationDocument,
                    llm: llmStep(lead), totalLatencyMilliseconds: latency, expiresAt: lead.scoredAt.addingTimeInterval(ttl)))
        }
        recorder.record(contentsOf: records)
    }

    /// The LLM step as the record keeps it.
    func llmStep(_ lead: ScoredLead) -> DecisionRecord.LLMStep {
        let outcome = lead.outcome
        var step = DecisionRecord.LLMStep(status: lead.status.rawValue, latencyMilliseconds: outcome.latency.milliseconds)
        switch outcome.result {
        case .applied(let adjustment):
            step.multiplier = adjustment.multiplier
            step.reasoning = adjustment.reasoning
        case .fallback(let code, _):
            if lead.status != .pending { step.reason = code.rawValue }
            step.multiplier = 1
        }
        if let reranker, lead.status.usedPrompt {
            let prompt = lead.lead.prompt ?? reranker.prompt
            step.promptID = prompt.id
            step.promptVersion = prompt.version
            step.promptHash = prompt.hash
            step.model = reranker.model(for: prompt)
        }
        step.setRawAnswer(outcome.raw?.body)
        if let usage = outcome.usage { step.tokens = DecisionRecord.Tokens(prompt: usage.prompt, completion: usage.completion) }
        return step
    }
}
