public import CoreMetrics
import Synchronization

/// Counters of one metric with labels, created through a swift-metrics factory on first use and
/// cached, so recording costs a dictionary lookup under a lock instead of a factory call.
public final class CounterFamily: Sendable {
    public let descriptor: MetricDescriptor
    private let labels: [String]
    private let factory: any MetricsFactory
    private let counters = Mutex<[[String]: Counter]>([:])

    /// - Parameters:
    ///   - descriptor: The metric (a counter).
    ///   - labels: The label names, in the order values are given and printed.
    ///   - factory: The metrics backend.
    public init(_ descriptor: MetricDescriptor, labels: [String], factory: any MetricsFactory) {
        self.descriptor = descriptor
        self.labels = labels
        self.factory = factory
    }

    /// The counter for these label values (one per label name, in order).
    public func counter(_ values: [String]) -> Counter {
        counters.withLock { cache in
            if let counter = cache[values] { return counter }
            let counter = Counter(label: descriptor.name, dimensions: Array(zip(labels, values)), factory: factory)
            cache[values] = counter
            return counter
        }
    }

    public func increment(_ values: String..., by amount: Int = 1) {
        guard amount > 0 else { return }
        counter(values).increment(by: amount)
    }
}

/// Duration histograms of one metric with labels (see ``CounterFamily``).
public final class TimerFamily: Sendable {
    public let descriptor: MetricDescriptor
    private let labels: [String]
    private let factory: any MetricsFactory
    private let timers = Mutex<[[String]: Timer]>([:])

    public init(_ descriptor: MetricDescriptor, labels: [String], factory: any MetricsFactory) {
        self.descriptor = descriptor
        self.labels = labels
        self.factory = factory
    }

    public func timer(_ values: [String]) -> Timer {
        timers.withLock { cache in
            if let timer = cache[values] { return timer }
            let timer = Timer(label: descriptor.name, dimensions: Array(zip(labels, values)), factory: factory)
            cache[values] = timer
            return timer
        }
    }
}

/// Gauges of one metric whose label sets come and go (loaded models, prompts): ``set(_:)`` keeps
/// exactly the given series and destroys the others, so a model that was unloaded disappears.
public final class GaugeFamily: Sendable {
    public let descriptor: MetricDescriptor
    private let labels: [String]
    private let factory: any MetricsFactory
    private let gauges = Mutex<[[String]: Gauge]>([:])

    public init(_ descriptor: MetricDescriptor, labels: [String], factory: any MetricsFactory) {
        self.descriptor = descriptor
        self.labels = labels
        self.factory = factory
    }

    /// Sets one series.
    public func record(_ value: Double, _ values: [String]) {
        gauge(values).record(value)
    }

    /// Sets every series given and removes the series not given.
    public func set(_ series: [(values: [String], value: Double)]) {
        let keep = Set(series.map(\.values))
        let stale = gauges.withLock { cache -> [Gauge] in
            let gone = cache.filter { !keep.contains($0.key) }
            for key in gone.keys { cache[key] = nil }
            return Array(gone.values)
        }
        for gauge in stale { gauge.destroy() }
        for (values, value) in series { gauge(values).record(value) }
    }

    private func gauge(_ values: [String]) -> Gauge {
        gauges.withLock { cache in
            if let gauge = cache[values] { return gauge }
            let gauge = Gauge(label: descriptor.name, dimensions: Array(zip(labels, values)), factory: factory)
            cache[values] = gauge
            return gauge
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// The duration in milliseconds, as a `Double`.
    public var milliseconds: Double { seconds * 1000 }

    /// Whole nanoseconds, saturating (for swift-metrics timers).
    public var nanoseconds: Int64 {
        let (s, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return components.seconds < 0 ? .min : .max }
        return s &+ components.attoseconds / 1_000_000_000
    }
}
