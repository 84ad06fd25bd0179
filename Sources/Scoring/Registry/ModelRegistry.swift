import Foundation
import Synchronization
public import TreeEnsemble

/// Which models serve: the folder they live in, the default, an optional challenger that gets a
/// sticky share of leads, and a fallback that serves when the default cannot be loaded.
public struct ModelSelection: Sendable, Equatable {
    /// Holds one folder per model (`<id>/manifest.yaml` + the model file).
    public var directory: String
    /// Id, version or `id@version` of the default model; `nil` when there is exactly one model.
    public var defaultModel: String?
    public var challenger: String?
    /// Share of leads (0–1, by a hash of `lead_id`) that the challenger scores.
    public var challengerShare: Double
    public var fallback: String?

    public init(directory: String, defaultModel: String? = nil, challenger: String? = nil, challengerShare: Double = 0, fallback: String? = nil) {
        self.directory = directory
        self.defaultModel = defaultModel
        self.challenger = challenger
        self.challengerShare = challengerShare
        self.fallback = fallback
    }
}

/// The loaded models, swapped atomically on reload: a request takes one ``Snapshot`` and keeps it,
/// so a swap never changes a model under a request in flight.
public final class ModelRegistry: Sendable {
    public struct Snapshot: Sendable {
        public let models: [LoadedModel]
        /// The model that scores when a request names none (the fallback when the default failed).
        public let primary: LoadedModel
        public let challenger: LoadedModel?
        public let challengerShare: Double
        public let fallback: LoadedModel?
        /// True when `primary` is the fallback because the default could not be loaded.
        public let isDegraded: Bool
        /// Folders that failed to load on the last (re)load, with why.
        public let problems: [ConfigurationError]
        /// Increments on every successful reload.
        public let generation: Int
        /// The promotion state from `rollout.json` that this snapshot follows, when there is one.
        public let rollout: Rollout?
    }

    /// Why a request's model choice cannot be served.
    public struct SelectionError: Error, Sendable {
        public let requested: String
        public let available: [String]
    }

    public let selection: ModelSelection
    let thresholds: ScoreThresholds
    let reasonCount: Int
    let limits: LoadLimits
    private let state: Mutex<Snapshot>
    private let reloading = Mutex(())

    /// Loads every model folder. Throws when the default (or, failing it, the fallback) cannot load.
    public init(
        selection: ModelSelection, thresholds: ScoreThresholds = ScoreThresholds(), reasonCount: Int = 4, limits: LoadLimits = LoadLimits()
    ) throws(ConfigurationError) {
        self.selection = selection
        self.thresholds = thresholds
        self.reasonCount = reasonCount
        self.limits = limits
        let snapshot = try Self.build(selection: selection, previous: nil, thresholds: thresholds, reasonCount: reasonCount, limits: limits)
        state = Mutex(snapshot)
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Loads the folders again and swaps the result in atomically. A folder that fails keeps its last
    /// good model; if the default has no model at all, the registry keeps the old snapshot.
    @discardableResult
    public func reload() -> Result<Snapshot, ConfigurationError> {
        reloading.withLock { _ in
            let previous = snapshot
            do throws(ConfigurationError) {
                let next = try Self.build(
                    selection: selection, previous: previous, thresholds: thresholds, reasonCount: reasonCount, limits: limits)
                state.withLock { $0 = next }
                return .success(next)
            } catch {
                return .failure(error)
            }
        }
    }

    /// The model for a lead: the one the request names, else the challenger for its share of lead
    /// ids, else the primary.
    public func select(leadID: String, requested: String?, in snapshot: Snapshot) throws(SelectionError) -> LoadedModel {
        if let requested {
            guard let model = Self.find(requested, in: snapshot.models) else {
                throw SelectionError(requested: requested, available: snapshot.models.map { "\($0.id)@\($0.version)" })
            }
            return model
        }
        if let challenger = snapshot.challenger, Self.bucket(leadID) < snapshot.challengerShare { return challenger }
        return snapshot.primary
    }

    /// A stable number in [0, 1) from the lead id (FNV-1a), so a lead always lands on the same side.
    public static func bucket(_ leadID: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in leadID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Double(hash % 1_000_000) / 1_000_000
    }

    static func find(_ key: String, in models: [LoadedModel]) -> LoadedModel? {
        if let at = key.firstIndex(of: "@") {
            let id = String(key[..<at])
            let version = String(key[key.index(after: at)...])
            return models.first { $0.id == id && $0.version == version }
        }
        return models.first { $0.version == key } ?? models.first { $0.id == key }
    }

    private static func build(
        selection: ModelSelection, previous: Snapshot?, thresholds: ScoreThresholds, reasonCount: Int, limits: LoadLimits
    ) throws(ConfigurationError) -> Snapshot {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: selection.directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError(
                key: "models.directory", "`\(selection.directory)` is not a folder. Point it at the folder that holds the model folders.")
        }
        let folders = ((try? fm.contentsOfDirectory(atPath: selection.directory)) ?? []).sorted().filter { name in
            fm.fileExists(atPath: (selection.directory as NSString).appendingPathComponent("\(name)/manifest.yaml"))
        }
        var models: [LoadedModel] = []
        var problems: [ConfigurationError] = []
        for name in folders {
            let path = (selection.directory as NSString).appendingPathComponent(name)
            do {
                models.append(try LoadedModel.load(directory: path, thresholds: thresholds, reasonCount: reasonCount, limits: limits))
            } catch {
                problems.append(error)
                if let old = previous?.models.first(where: { $0.directory == path }) { models.append(old) }
            }
        }
        var seen = Set<String>()
        for model in models where !seen.insert("\(model.id)@\(model.version)").inserted {
            throw ConfigurationError(
                key: "models.directory", "two folders hold \(model.id)@\(model.version). Give each model folder its own version.")
        }
        func resolve(_ key: String?, _ name: String) throws(ConfigurationError) -> LoadedModel? {
            guard let key else { return nil }
            guard let model = find(key, in: models) else {
                let known = models.map { "\($0.id)@\($0.version)" }.joined(separator: ", ")
                let why = problems.isEmpty ? "" : " Load problems: " + problems.map(\.description).joined(separator: "; ")
                throw ConfigurationError(key: "models.\(name)", "`\(key)` is not a loaded model (loaded: \(known.isEmpty ? "none" : known)).\(why)")
            }
            return model
        }
        let fallback = try resolve(selection.fallback, "fallback")
        // A promotion's choices win over the configuration's while they name loaded models.
        var selection = selection
        var rollout: Rollout?
        do throws(ConfigurationError) {
            rollout = try Rollout.read(directory: selection.directory)
        } catch {
            problems.append(error)
        }
        if let r = rollout {
            let unknown = ([r.defaultModel] + (r.challenger.map { [$0] } ?? [])).filter { find($0, in: models) == nil }
            if unknown.isEmpty {
                selection.defaultModel = r.defaultModel
                selection.challenger = r.challenger
                selection.challengerShare = r.challenger == nil ? 0 : r.challengerShare
            } else {
                problems.append(
                    ConfigurationError(
                        key: Rollout.path(in: selection.directory),
                        "names \(unknown.joined(separator: ", ")), which is not loaded; the configuration's models serve."))
                rollout = nil
            }
        }
        var primary: LoadedModel
        var degraded = false
        do throws(ConfigurationError) {
            if let chosen = try resolve(selection.defaultModel, "default") {
                primary = chosen
            } else if models.count == 1, let only = models.first {
                primary = only
            } else {
                throw ConfigurationError(
                    key: "models.default",
                    models.isEmpty
                        ? "no model loaded from `\(selection.directory)`. " + problems.map(\.description).joined(separator: "; ")
                        : "is not set and there are \(models.count) models. Name one of: \(models.map { "\($0.id)@\($0.version)" }.joined(separator: ", "))."
                )
            }
        } catch {
            guard let fallback else { throw error }
            primary = fallback
            degraded = true
            problems.append(error)
        }
        let challenger = try resolve(selection.challenger, "challenger")
        return Snapshot(
            models: models, primary: primary, challenger: challenger, challengerShare: selection.challengerShare, fallback: fallback,
            isDegraded: degraded, problems: problems, generation: (previous?.generation ?? 0) + (previous == nil ? 0 : 1), rollout: rollout)
    }
}
