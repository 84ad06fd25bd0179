import Foundation
import JSON
import Scoring
import Store

/// The last step: a scored lead becomes a decision record (when records are on), the lead's live
/// score (shared by every gateway on one Redis), reaches this gateway's score streams, and, when its
/// badge changed, a signed webhook. Nothing here delays a response: records and store writes are
/// queued, webhooks run in the background.
public struct Publisher: Sendable {
    let store: any ScoreStore
    let webhooks: WebhookSender?
    let metrics: PipelineMetrics
    let refresher: Refresher
    let readTimeout: Duration
    /// The decision records, when the system of record is on.
    let recording: DecisionRecording?
    /// Live-score changes for the score streams open on this gateway.
    public let feed = LiveFeed()

    /// Publishes scored leads (one store round trip for a batch). A refresh in flight for one of
    /// these leads will not store its older answer.
    /// `indices`: the leads' positions in their request, when not consecutive (a batch skips the
    /// leads it refused).
    public func publish(_ scored: [ScoredLead], context: DecisionContext, indices: [Int]? = nil) {
        guard !scored.isEmpty else { return }
        recording?.record(scored, indices: indices, context: context)
        let storedAt = Timestamp.nowMS()
        let records = scored.map { lead in
            LiveRecord(
                leadID: lead.leadID, json: lead.json, storedAtMS: storedAt, input: lead.lead.storedInputJSON(),
                summary: LiveSummary(score: lead.finalScore, badge: lead.badge.rawValue, status: lead.status.rawValue, speakable: lead.speakable))
        }
        refresher.supersede(records.lazy.map(\.leadID))
        guard let webhooks else {
            store.saveLiveScores(records)
            feed.publish(records)
            return
        }
        // With webhooks, the previous scores are read first (one round trip, after the response), so
        // each change of badge can be posted.
        let store = self.store
        let feed = self.feed
        let timeout = max(readTimeout, .seconds(1))
        Task.detached {
            let previous = await store.liveScores(records.map(\.leadID), timeout: timeout)
            store.saveLiveScores(records)
            feed.publish(records)
            guard case .success(let olds) = previous, olds.count == records.count else { return }
            for (old, new) in zip(olds, scored) {
                guard let before = old?.summary?.badge, before != new.badge.rawValue else { continue }
                BadgeChange(lead: new, from: before).send(through: webhooks)
            }
        }
    }

    /// Live scores stored by any gateway (Redis pub/sub): the ones a stream here watches are read and
    /// passed on (a stream skips a score it has already sent). Nil: the subscription came back after
    /// a break, so every lead a stream watches is read again.
    public func liveChangedElsewhere(_ ids: [String]?) {
        let feed = self.feed
        let watched = ids.map { $0.filter { feed.isWatched($0) } } ?? feed.watchedIDs
        guard !watched.isEmpty else { return }
        let store = self.store
        let timeout = readTimeout
        Task.detached {
            guard case .success(let records) = await store.liveScores(watched, timeout: timeout) else { return }
            feed.publish(records.compactMap { $0 })
        }
    }
}

/// `{"event": "badge_changed", "event_id", "lead_id", "from", "to", "score", "base_score", "at", "model"}`.
struct BadgeChange {
    let lead: ScoredLead
    let from: String

    func send(through webhooks: WebhookSender) {
        let eventID = UUID().uuidString.lowercased()
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("event", "badge_changed")
        w.field("event_id", eventID)
        w.field("lead_id", lead.leadID)
        w.field("from", from)
        w.field("to", lead.badge.rawValue)
        w.field("score", lead.finalScore)
        w.field("base_score", lead.lead.score.baseScore)
        w.field("at", Timestamp.iso8601(Date()))
        w.key("model")
        w.beginObject()
        w.field("id", lead.model.id)
        w.field("version", lead.model.version)
        w.endObject()
        w.endObject()
        webhooks.send(eventID: eventID, body: w.text)
    }
}
