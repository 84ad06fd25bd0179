public import Foundation

/// One row of `model_performance`: how a model version did on the outcomes of a window, as of
/// `testDate`. Accuracy, precision, recall and F1 classify at probability ≥ 0.5.
public struct PerformanceRow: Sendable, Hashable {
    public var modelID: String
    public var version: String
    public var accuracy: Double?
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    public var testDate: Date {
        get { storedTestDate }
        set { storedTestDate = RecordTime.normalized(newValue) }
    }
    private var storedTestDate: Date
    public var windowDays: Int
    public var leads: Int
    public var converted: Int
    public var auc: Double?
    public var prAUC: Double?
    public var ece: Double?
    public var llmLift: Double?
    public var llmLiftLow: Double?
    public var llmLiftHigh: Double?

    public init(
        modelID: String, version: String, accuracy: Double?, precision: Double?, recall: Double?, f1: Double?, testDate: Date, windowDays: Int,
        leads: Int, converted: Int, auc: Double?, prAUC: Double?, ece: Double?, llmLift: Double?, llmLiftLow: Double?, llmLiftHigh: Double?
    ) {
        self.modelID = modelID
        self.version = version
        self.accuracy = accuracy
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.storedTestDate = RecordTime.normalized(testDate)
        self.windowDays = windowDays
        self.leads = leads
        self.converted = converted
        self.auc = auc
        self.prAUC = prAUC
        self.ece = ece
        self.llmLift = llmLift
        self.llmLiftLow = llmLiftLow
        self.llmLiftHigh = llmLiftHigh
    }

    /// The values of ``Schema/performanceColumns``, in order.
    var columnValues: [SQLValue] {
        [
            .text(modelID), .text(version), .real(accuracy), .real(precision), .real(recall), .real(f1), .time(testDate), .int(windowDays),
            .int(leads), .int(converted), .real(auc), .real(prAUC), .real(ece), .real(llmLift), .real(llmLiftLow), .real(llmLiftHigh),
        ]
    }

    init(reading row: some ColumnReader) throws {
        self.init(
            modelID: try row.required(row.text(0), 0), version: try row.required(row.text(1), 1), accuracy: try row.real(2),
            precision: try row.real(3),
            recall: try row.real(4), f1: try row.real(5), testDate: try row.required(row.time(6), 6), windowDays: try row.required(row.int(7), 7),
            leads: try row.required(row.int(8), 8), converted: try row.required(row.int(9), 9), auc: try row.real(10), prAUC: try row.real(11),
            ece: try row.real(12), llmLift: try row.real(13), llmLiftLow: try row.real(14), llmLiftHigh: try row.real(15))
    }
}
