public import Foundation

/// One line of the audit log: who did what to which target. `detailJSON` must hold no personal data
/// (counts, modes, pseudonyms; never a lead's input or its id).
public struct AuditEntry: Sendable, Hashable {
    public var time: Date {
        get { storedTime }
        set { storedTime = RecordTime.normalized(newValue) }
    }
    private var storedTime: Date
    /// The API key name or JWT `sub`, or `system` for scheduled work.
    public var actor: String
    /// A dotted verb, e.g. `lead.erase`, `records.purge`, `decision.read`.
    public var action: String
    /// What the action applied to, e.g. `lead`, a decision id, `decisions`.
    public var target: String
    /// A JSON object with the details.
    public var detailJSON: String

    public init(time: Date, actor: String, action: String, target: String, detailJSON: String = "{}") {
        self.storedTime = RecordTime.normalized(time)
        self.actor = actor
        self.action = action
        self.target = target
        self.detailJSON = detailJSON
    }
}
