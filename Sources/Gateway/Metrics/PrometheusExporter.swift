public import CoreMetrics
import Prometheus
public import Telemetry

/// The gateway's default metrics backend: a swift-metrics factory over swift-prometheus's registry
/// that also prints each metric's help text and uses its declared buckets (``MetricDescriptor``).
/// `GET /metrics` renders the registry in the Prometheus text format.
///
/// To send the same metrics elsewhere too (swift-otel, StatsD), bootstrap `MetricsSystem` with a
/// `MultiplexMetricsHandler` of this exporter and the other backend, and pass that factory to the
/// gateway (``GatewayApplication/build(config:logger:lifecycle:metrics:onServerRunning:)``).
public final class PrometheusExporter: MetricsFactory {
    private let registry = PrometheusCollectorRegistry()
    private let catalog: [String: MetricDescriptor]

    /// - Parameter descriptors: The metrics to describe (help, buckets); others get no help text
    ///   and the latency buckets.
    public init(descriptors: [MetricDescriptor] = GatewayMetrics.catalog) {
        catalog = Dictionary(descriptors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The text exposition format (version 0.0.4).
    public func render() -> String { registry.emitToString() }

    /// The metric's name and help text, as the registry takes them.
    private func name(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: catalog[label]?.help ?? "")
    }

    private func buckets(_ label: String) -> [Duration] {
        var seconds = MetricDescriptor.latencyBuckets
        if case .timer(let given)? = catalog[label]?.kind { seconds = given }
        return seconds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: name(label), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: name(label), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: name(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: name(label), labels: dimensions, buckets: buckets(label).map(\.seconds))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: name(label), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: name(label), labels: dimensions, buckets: buckets(label))
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
