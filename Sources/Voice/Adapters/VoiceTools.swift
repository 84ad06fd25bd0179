public import JSON
import Pipeline
import Scoring
import Store

/// The two functions a voice platform calls (tool definitions to paste are in README.md):
/// - `get_lead_score {lead_id}`: the lead's live score, as its `speakable` line (never waits on the LLM);
/// - `record_lead_event {lead_id, type, text?, properties?}`: something the caller said or did
///   ("we are pre-approved": `preapproval`), stored as an event and folded at once; the answer is
///   the new score's line.
public struct VoiceTools: Sendable {
    public static let names: Set<String> = ["get_lead_score", "record_lead_event"]

    /// The score a function's answer speaks of.
    public struct Score: Sendable {
        public var leadID: String
        public var score: Int
        public var badge: String
        /// For a live read: whether the score is stale, and when it was stored.
        public var stale: Bool?
        public var asOf: String?
    }

    /// What one function call answers: a line the agent can say.
    public struct Answer: Sendable {
        public var line: String
        public var score: Score?
        public var failed = false

        init(line: String, score: Score? = nil, failed: Bool = false) {
            self.line = line
            self.score = score
            self.failed = failed
        }
    }

    public let events: EventIngest
    var pipeline: ScoringPipeline { events.pipeline }

    public init(events: EventIngest) { self.events = events }

    /// Runs one function call. `eventID` makes a platform's retry of the same call count once;
    /// `canWrite` says whether the caller may record events.
    public func run(_ name: String, arguments: JSONNode, eventID: String, canWrite: Bool) async -> Answer {
        guard let leadID = arguments["lead_id"]?.string, !leadID.isEmpty else {
            return Answer(line: "I need the lead's id (lead_id) to do that.", failed: true)
        }
        switch name {
        case "get_lead_score":
            return await live(leadID)
        case "record_lead_event":
            guard canWrite else { return Answer(line: "This key may read scores but not record events (needs crm.write.leads).", failed: true) }
            guard let type = arguments["type"]?.string else {
                return Answer(line: "I need the event type (type), for example preapproval or call_transcript.", failed: true)
            }
            var properties: [(key: String, value: JSONNode)] = []
            if case .object(let given)? = arguments["properties"] { properties = given }
            if let text = arguments["text"]?.string, !properties.contains(where: { $0.key == "text" }) { properties.append(("text", .string(text))) }
            let event: JSONNode = .object([("event_id", .string(eventID)), ("type", .string(type)), ("properties", .object(properties))])
            let now = Timestamp.nowMS()
            let batch = EventBatchInput(.object([("events", .array([event]))]), nowMS: now, maxEvents: 1)
            switch await events.ingest(leadID: leadID, batch: batch, nowMS: now, context: DecisionContext(kind: .adapter)) {
            case .success(let result):
                let scored = result.scored
                return Answer(
                    line: "Noted. " + scored.speakable, score: Score(leadID: leadID, score: scored.finalScore, badge: scored.badge.rawValue))
            case .failure(let problem):
                return Answer(line: "That was not recorded: \(problem.detail)", failed: true)
            }
        default:
            return Answer(line: "`\(name)` is not a LeadGate function. Use get_lead_score or record_lead_event.", failed: true)
        }
    }

    /// The lead's live score as one line (or why there is none).
    func live(_ leadID: String) async -> Answer {
        switch await pipeline.liveScore(leadID) {
        case .success(let record?):
            let view = pipeline.view(record, refresh: true)
            guard let summary = record.summary else { return Answer(line: "The score for this lead could not be read.", failed: true) }
            return Answer(
                line: summary.speakable,
                score: Score(leadID: leadID, score: summary.score, badge: summary.badge, stale: view.stale, asOf: view.asOf))
        case .success(nil):
            return Answer(line: "There is no score for this lead yet.")
        case .failure:
            return Answer(line: "The lead's score is not available right now.", failed: true)
        }
    }
}
