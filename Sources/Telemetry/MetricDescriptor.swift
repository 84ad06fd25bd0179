/// What a metric is: its name (the swift-metrics label), help text and kind, declared once by the
/// module that records it. A backend can read these (the gateway's Prometheus exporter prints the
/// help and uses the buckets); any other swift-metrics backend simply sees the labels.
public struct MetricDescriptor: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case counter
        case gauge
        /// A histogram of durations (a swift-metrics `Timer`), with bucket upper bounds in seconds.
        case timer(buckets: [Double])
    }

    public let name: String
    public let help: String
    public let kind: Kind

    public init(_ name: String, _ kind: Kind, _ help: String) {
        self.name = name
        self.kind = kind
        self.help = help
    }

    /// The latency buckets (seconds) every LeadGate duration histogram uses.
    public static let latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
}
