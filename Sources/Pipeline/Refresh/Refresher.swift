import Synchronization

/// Which leads are being scored again in the background, one refresh per lead at a time: a lead that
/// changes meanwhile (a new event, another prewarm) waits as the next version, and a refresh whose
/// lead got a newer live score from a score request does not store its outdated answer.
final class Refresher: Sendable {
    /// A lead's refresh in flight, and the newer version of the lead to score after it.
    struct Entry: Sendable {
        var next: EvaluatedLead?
        /// A live score was stored for the lead after this refresh started (a score request).
        var superseded = false
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Takes the lead's refresh slot; false when a refresh runs, in which case `next` (when given)
    /// becomes the version it scores after the current one.
    func begin(_ leadID: String, next: EvaluatedLead? = nil) -> Bool {
        entries.withLock { r in
            if r[leadID] != nil {
                if let next { r[leadID] = Entry(next: next) }
                return false
            }
            r[leadID] = Entry()
            return true
        }
    }

    /// Ends one round of the lead's refresh: the next version to score (the slot stays taken), or
    /// nil with whether the round's answer was superseded (the slot is released).
    func endRound(_ leadID: String) -> (next: EvaluatedLead?, superseded: Bool) {
        entries.withLock { r in
            let entry = r[leadID]
            if let next = entry?.next {
                r[leadID] = Entry()
                return (next, false)
            }
            r[leadID] = nil
            return (nil, entry?.superseded ?? false)
        }
    }

    /// Releases the slot and returns the version queued meanwhile, if any.
    func release(_ leadID: String) -> EvaluatedLead? {
        entries.withLock { r in
            let next = r[leadID]?.next
            r[leadID] = nil
            return next
        }
    }

    /// Marks the refreshes in flight for these leads as outdated: a newer live score is being stored.
    func supersede<S: Sequence>(_ leadIDs: S) where S.Element == String {
        entries.withLock { r in
            guard !r.isEmpty else { return }
            for id in leadIDs where r[id] != nil { r[id]?.superseded = true }
        }
    }

    func isRefreshing(_ leadID: String) -> Bool { entries.withLock { $0[leadID] != nil } }
}
