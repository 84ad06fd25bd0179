public import Pipeline
public import Scoring

/// A lead scored again from its events: the new score and what became of each event.
public struct EventsResult: Sendable {
    public var scored: ScoredLead
    public var received: Int
    public var accepted: Int
    public var duplicates: Int
    /// Events held for the lead after expiry.
    public var held: Int
    /// Per event of the request, in order: its id and whether it was new (false: a duplicate).
    public var events: [(id: String, new: Bool)]
    /// The fields the events set, by name.
    public var fromEvents: [(field: String, value: LeadValue)]
}

/// Events of many leads (`POST /v1/leads/events`): one entry per lead in the order of their first
/// event.
public struct BulkEventsResult: Sendable {
    public var leads: [(leadID: String, result: Result<EventsResult, Problem>)]
    public var eventCount: Int
}
