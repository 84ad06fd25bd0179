public import Foundation
public import TreeEnsemble

/// A model ready to score: its manifest, the loaded ensemble and the scorer built from both.
public final class LoadedModel: Sendable {
    public let scorer: LeadScorer
    /// The folder the model was loaded from.
    public let directory: String
    public let loadedAt: Date

    public var manifest: ModelManifest { scorer.manifest }
    public var id: String { scorer.manifest.id }
    public var version: String { scorer.manifest.version }
    public var ensemble: Ensemble { scorer.model }

    public init(scorer: LeadScorer, directory: String, loadedAt: Date = Date()) {
        self.scorer = scorer
        self.directory = directory
        self.loadedAt = loadedAt
    }

    /// Loads `<directory>/manifest.yaml` and the model file it names.
    public static func load(
        directory: String, thresholds: ScoreThresholds = ScoreThresholds(), reasonCount: Int = 4, limits: LoadLimits = LoadLimits()
    ) throws(ConfigurationError) -> LoadedModel {
        let manifestPath = (directory as NSString).appendingPathComponent("manifest.yaml")
        guard let data = FileManager.default.contents(atPath: manifestPath), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(key: manifestPath, "cannot be read. Create it (see config/README.md) or remove the folder.")
        }
        let manifest: ModelManifest
        do {
            manifest = try ModelManifest(yaml: text, file: manifestPath)
        } catch {
            throw ConfigurationError(key: "\(manifestPath): \(error.key)", error.message)
        }
        let modelPath = (directory as NSString).appendingPathComponent(manifest.modelFile)
        let ensemble: Ensemble
        do {
            ensemble = try Ensemble(contentsOfFile: modelPath, limits: limits)
        } catch {
            throw ConfigurationError(key: "\(manifestPath): model", "`\(modelPath)` cannot be loaded: \(error.message)")
        }
        do {
            let scorer = try LeadScorer(manifest: manifest, model: ensemble, defaults: thresholds, reasonCount: reasonCount)
            return LoadedModel(scorer: scorer, directory: directory)
        } catch {
            throw ConfigurationError(key: "\(manifestPath): \(error.key)", error.message)
        }
    }
}
