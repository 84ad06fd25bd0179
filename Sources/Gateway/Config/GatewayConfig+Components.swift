import Foundation
public import Pipeline
public import Store
public import Voice

/// The settings each component takes, from the configuration.
extension GatewayConfig {
    /// What the scoring pipeline reads.
    public var pipelineSettings: PipelineSettings {
        var s = PipelineSettings()
        s.llmTimeout = .milliseconds(llmTimeoutMS)
        s.llmDeadlineMargin = .milliseconds(llmDeadlineMarginMS)
        s.lookupTimeout = .milliseconds(redisLookupTimeoutMS)
        s.readTimeout = .milliseconds(redisReadTimeoutMS)
        s.crossGatewayLock = redisLock
        s.batchThreads = batchThreads
        s.maxLeadIDChars = maxLeadIDChars
        s.maxNotesChars = maxNotesChars
        s.rejectUnknownFields = unknownFields == .reject
        s.staleAfter = .seconds(liveStaleAfterSeconds)
        s.liveTTL = .seconds(liveTTLSeconds)
        s.gatewayInstance = records.instance ?? Self.hostName
        s.requireConsent = records.requireConsent
        return s
    }

    /// Score streams: how many at once, and the keep-alive period.
    public var streamSettings: ScoreStream.Settings {
        ScoreStream.Settings(maxStreams: maxStreams, heartbeatSeconds: streamHeartbeatSeconds)
    }

    /// The store's bounds and lifetimes.
    public var storeLimits: StoreLimits {
        var limits = StoreLimits(
            adjustmentTTL: .seconds(cacheTTLSeconds), liveTTL: .seconds(liveTTLSeconds), maxAdjustments: cacheCapacity,
            maxLiveScores: liveScoreCapacity, localAdjustmentTTL: .seconds(cacheLocalTTLSeconds), localLiveTTL: .seconds(liveLocalTTLSeconds))
        limits.eventTTL = .seconds(eventsTTLSeconds)
        limits.nearLiveTTL = .seconds(liveNearTTLSeconds)
        return limits
    }
}

extension GatewayConfig {
    /// This machine's host name (the default `records.instance`).
    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "leadgate" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "leadgate" : name
    }()

    /// A name for this process among the gateways sharing a database or a Redis (leases, the jobs'
    /// consumer group): `<records.instance or host>-<pid>-<random>`, new on every call.
    func processName() -> String {
        "\(records.instance ?? Self.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
    }
}
