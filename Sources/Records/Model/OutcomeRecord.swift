public import Foundation

/// What became of a lead (converted, lost, disqualified, ...), reported by the CRM.
public struct OutcomeRecord: Sendable, Hashable {
    public var leadID: String
    /// `converted`, `lost`, `disqualified` or any other label the CRM uses.
    public var outcome: String
    /// A deal value, if any.
    public var value: Double?
    public var occurredAt: Date {
        get { storedOccurredAt }
        set { storedOccurredAt = RecordTime.normalized(newValue) }
    }
    private var storedOccurredAt: Date
    /// Where the outcome came from (a CRM name, `api`, ...).
    public var source: String?
    /// A client-chosen key: an outcome with a key already stored is not stored again.
    public var idempotencyKey: String?
    /// Filled by the store: the id of the last decision for this lead at or before ``occurredAt``.
    public var linkedDecisionID: String?

    public init(
        leadID: String,
        outcome: String,
        value: Double? = nil,
        occurredAt: Date,
        source: String? = nil,
        idempotencyKey: String? = nil,
        linkedDecisionID: String? = nil
    ) {
        self.leadID = leadID
        self.outcome = outcome
        self.value = value
        self.storedOccurredAt = RecordTime.normalized(occurredAt)
        self.source = source
        self.idempotencyKey = idempotencyKey
        self.linkedDecisionID = linkedDecisionID
    }
}

/// The result of storing one outcome.
public struct OutcomeInsertResult: Sendable, Hashable {
    /// False when an outcome with the same idempotency key was already stored (nothing was written).
    public var isNew: Bool
    /// The decision the stored outcome is linked to (for a duplicate: the one stored first).
    public var linkedDecisionID: String?

    public init(isNew: Bool, linkedDecisionID: String?) {
        self.isNew = isNew
        self.linkedDecisionID = linkedDecisionID
    }
}
