public import Foundation

/// Which version serves when a promotion has moved on from the configuration: `rollout.json` in
/// the models folder, written by the retraining loop, `leadgate models promote|rollback` and the
/// admin routes, read by every gateway that loads the folder. Its choices win over
/// `models.default`, `models.challenger` and `models.challenger_share` while they name loaded models.
public struct Rollout: Sendable, Equatable, Codable {
    /// `challenger` while a new version serves its share of leads, `full` once it is the default.
    public enum Stage: String, Sendable, Codable {
        case challenger, full
    }

    /// `id@version` of the default model.
    public var defaultModel: String
    /// `id@version` of the version on trial, with its share of leads (0–1).
    public var challenger: String?
    public var challengerShare: Double
    public var stage: Stage
    /// The default before the last promotion: what `rollback` puts back.
    public var previous: String?
    public var updatedAt: Date
    /// Who changed it and why (the guard's figures).
    public var actor: String
    public var reason: String

    public init(
        defaultModel: String, challenger: String? = nil, challengerShare: Double = 0, stage: Stage, previous: String? = nil,
        updatedAt: Date = Date(), actor: String, reason: String
    ) {
        self.defaultModel = defaultModel
        self.challenger = challenger
        self.challengerShare = challengerShare
        self.stage = stage
        self.previous = previous
        // Whole seconds, as the file keeps them (ISO 8601), so a rollout equals itself read back.
        self.updatedAt = Date(timeIntervalSince1970: updatedAt.timeIntervalSince1970.rounded(.down))
        self.actor = actor
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case defaultModel = "default", challenger, challengerShare = "challenger_share", stage, previous, updatedAt = "updated_at", actor, reason
    }

    public static let fileName = "rollout.json"

    public static func path(in directory: String) -> String { (directory as NSString).appendingPathComponent(fileName) }

    /// The rollout of `directory`; nil when there is none.
    public static func read(directory: String) throws(ConfigurationError) -> Rollout? {
        let path = path(in: directory)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Rollout.self, from: data)
        } catch {
            throw ConfigurationError(
                key: path, "is not a rollout (\(error)). Fix it, or delete it to serve what the configuration names.")
        }
    }

    /// Writes the rollout beside the models: a temporary file renamed over the old one, so a
    /// gateway reloading meanwhile reads the old or the new, never half of one.
    public func write(directory: String) throws(ConfigurationError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = Self.path(in: directory)
        let staging = path + ".tmp"
        do {
            let data = try encoder.encode(self)
            try data.write(to: URL(fileURLWithPath: staging))
            guard rename(staging, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            throw ConfigurationError(key: path, "cannot be written: \(error.localizedDescription). Check that the models folder is writable.")
        }
    }

    /// When the file last changed (nil without one): gateways reload when it moves.
    public static func modified(directory: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path(in: directory)))?[.modificationDate] as? Date
    }
}
