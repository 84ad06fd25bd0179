import Foundation
import JSON
import Reranker
public import Store
import Synchronization

/// Rebuilds a lead from its event log, for the refresh of a live score that was made from events
/// (the `Voice` module installs it): the lead as folded now, so that windows and recency move on.
public protocol EventRefolding: Sendable {
    func refold(leadID: String) async -> EvaluatedLead?
}

extension ScoringPipeline {
    /// Scores `lead` again with its LLM step, off the request, and stores the new live score. One
    /// refresh per lead runs at a time (see ``Refresher``). Returns whether a refresh started or was
    /// queued.
    @discardableResult
    public func refreshInBackground(_ lead: EvaluatedLead) -> Bool {
        guard refresher.begin(lead.leadID, next: lead) else { return true }
        Task.detached {
            var current = lead
            while true {
                let outcome = await self.adjust(current, deadline: ContinuousClock.now.advanced(by: self.settings.llmTimeout))
                let scored = self.finish(current, outcome: outcome)
                let (next, superseded) = self.refresher.endRound(current.leadID)
                guard let next else {
                    // A score request stored a newer score meanwhile: this answer is outdated.
                    if !superseded { self.publisher.publish([scored], context: DecisionContext(kind: .refresh)) }
                    return
                }
                current = next
            }
        }
        return true
    }

    public func isRefreshing(_ leadID: String) -> Bool { refresher.isRefreshing(leadID) }

    /// Installs how leads scored from events are rebuilt for a refresh.
    public func install(eventRefolding: any EventRefolding) {
        refolding.withLock { $0 = eventRefolding }
    }

    /// Scores again, in the background, the lead a stale live score was made from (folding its events
    /// again when it was scored from events). False when nothing started: a refresh for the lead is
    /// already running (readers of a stale score keep arriving while it is refreshed), or the stored
    /// input cannot be scored any more.
    @discardableResult
    public func refreshInBackground(_ record: LiveRecord) -> Bool {
        guard !refresher.isRefreshing(record.leadID) else { return false }
        guard let input = record.input, case .object(let members)? = try? JSONReader.parse(Data(input.utf8)) else { return false }
        if members.contains(where: { $0.key == EvaluatedLead.foldMarker }) {
            guard let refolding = refolding.withLock({ $0 }) else { return false }
            let id = record.leadID
            // Hold the lead's refresh slot while its events are read (an event arriving meanwhile
            // becomes the next version, and wins).
            guard refresher.begin(id) else { return false }
            Task.detached {
                let folded = await refolding.refold(leadID: id)
                if let lead = self.refresher.release(id) ?? folded { self.refreshInBackground(lead) }
            }
            return true
        }
        guard case .success(let lead) = evaluate(LeadInput(.object(members))) else { return false }
        return refreshInBackground(lead)
    }
}
