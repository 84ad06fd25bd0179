import Foundation
import JSON
public import Logging
import Reranker
import Synchronization

/// Writes one JSON object per line to standard error: `ts`, `level`, `logger`, `msg` and the metadata
/// (`request_id`, `route`, `status`, ...). `text` format writes the same as `key=value` pairs.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let json: Bool
    private static let lock = Mutex(())

    public init(label: String, level: Logger.Level, json: Bool = true) {
        self.label = label
        self.logLevel = level
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let timestamp = Timestamp.iso8601(Date())
        var line: String
        if json {
            var w = JSONWriter(capacity: 256)
            w.beginObject()
            w.field("ts", timestamp)
            w.field("level", event.level.rawValue)
            w.field("logger", label)
            w.field("msg", event.message.description)
            for (key, value) in all.sorted(by: { $0.key < $1.key }) {
                w.field(key == "hb.request.id" ? "request_id" : key, value.description)
            }
            w.endObject()
            line = w.text
        } else {
            line = "\(timestamp) \(event.level.rawValue) \(label): \(event.message)"
            for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        }
        line += "\n"
        Self.lock.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }
}
