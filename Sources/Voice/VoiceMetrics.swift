public import CoreMetrics
public import Telemetry

/// Metrics of events and score streams, through swift-metrics.
public final class VoiceMetrics: Sendable {
    public static let descriptors: [MetricDescriptor] = [events, streams, streamMessages]
    static let events = MetricDescriptor(
        "leadgate_events_total", .counter, "Lead events received, by result (duplicate: an event_id already stored).")
    static let streams = MetricDescriptor("leadgate_score_streams", .gauge, "Open score streams (SSE).")
    static let streamMessages = MetricDescriptor("leadgate_score_stream_messages_total", .counter, "Score changes sent on streams.")

    private let accepted: Counter
    private let duplicate: Counter
    private let notStored: Counter
    private let open: Meter
    private let messages: Counter

    public init(factory: any MetricsFactory) {
        accepted = Counter(label: Self.events.name, dimensions: [("result", "accepted")], factory: factory)
        duplicate = Counter(label: Self.events.name, dimensions: [("result", "duplicate")], factory: factory)
        notStored = Counter(label: Self.events.name, dimensions: [("result", "not_stored")], factory: factory)
        open = Meter(label: Self.streams.name, factory: factory)
        open.set(0)
        messages = Counter(label: Self.streamMessages.name, factory: factory)
    }

    func events(accepted a: Int, duplicates d: Int, rejected r: Int) {
        if a > 0 { accepted.increment(by: a) }
        if d > 0 { duplicate.increment(by: d) }
        if r > 0 { notStored.increment(by: r) }
    }

    func streamOpened() { open.increment() }
    func streamClosed() { open.decrement() }
    func streamSent() { messages.increment() }
}
