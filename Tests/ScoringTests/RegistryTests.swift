import Dispatch
import Foundation
import Scoring
import Testing

@Suite struct RegistryTests {
    func twoVersions(_ dir: URL) throws {
        try copyDefaultModel(to: dir, as: "a")
        try copyDefaultModel(to: dir, as: "b") { $0.replacingOccurrences(of: "version: \"2026.11.0\"", with: "version: \"2026.12.0\"") }
    }

    @Test func needsADefaultWhenThereAreSeveral() throws {
        try withTemporaryDirectory { dir in
            try twoVersions(dir)
            do {
                _ = try ModelRegistry(selection: ModelSelection(directory: dir.path))
                Issue.record("two models and no default should not load")
            } catch let error as ConfigurationError {
                #expect(error.key == "models.default")
                #expect(error.message.contains("realestate@2026.12.0"))
            }
        }
    }

    @Test func aRolloutFileWinsOverTheConfigurationWhileItNamesLoadedModels() throws {
        try withTemporaryDirectory { dir in
            try twoVersions(dir)
            let registry = try ModelRegistry(selection: ModelSelection(directory: dir.path, defaultModel: "2026.11.0"))
            #expect(registry.snapshot.primary.version == "2026.11.0" && registry.snapshot.rollout == nil)
            let trial = Rollout(
                defaultModel: "realestate@2026.11.0", challenger: "realestate@2026.12.0", challengerShare: 0.3, stage: .challenger, actor: "t",
                reason: "test")
            try trial.write(directory: dir.path)
            let onTrial = try registry.reload().get()
            #expect(onTrial.rollout == trial && onTrial.challenger?.version == "2026.12.0" && onTrial.challengerShare == 0.3)
            #expect(try Rollout.read(directory: dir.path) == trial)
            let full = Rollout(defaultModel: "realestate@2026.12.0", stage: .full, previous: "realestate@2026.11.0", actor: "t", reason: "test")
            try full.write(directory: dir.path)
            let promoted = try registry.reload().get()
            #expect(promoted.primary.version == "2026.12.0" && promoted.challenger == nil && promoted.problems.isEmpty)
            // A rollout naming a model that is not loaded is reported, and the configuration serves.
            try Rollout(defaultModel: "realestate@9", stage: .full, actor: "t", reason: "test").write(directory: dir.path)
            let ignored = try registry.reload().get()
            #expect(ignored.primary.version == "2026.11.0" && ignored.rollout == nil)
            #expect(ignored.problems.contains { $0.message.contains("realestate@9") })
            // So is a file that is not a rollout.
            try "{".write(toFile: Rollout.path(in: dir.path), atomically: true, encoding: .utf8)
            let broken = try registry.reload().get()
            #expect(broken.primary.version == "2026.11.0" && broken.problems.contains { $0.message.contains("is not a rollout") })
        }
    }

    @Test func challengerGetsAStickyShare() throws {
        try withTemporaryDirectory { dir in
            try twoVersions(dir)
            let registry = try ModelRegistry(
                selection: ModelSelection(directory: dir.path, defaultModel: "2026.11.0", challenger: "realestate@2026.12.0", challengerShare: 0.25))
            let snapshot = registry.snapshot
            var challenged = 0
            for i in 0..<4000 {
                let id = "lead-\(i)"
                let first = try registry.select(leadID: id, requested: nil, in: snapshot)
                let again = try registry.select(leadID: id, requested: nil, in: snapshot)
                #expect(first === again)
                if first.version == "2026.12.0" { challenged += 1 }
            }
            #expect((800...1200).contains(challenged), "\(challenged) of 4000 went to the challenger")
            #expect(try registry.select(leadID: "x", requested: "2026.12.0", in: snapshot).version == "2026.12.0")
            #expect(try registry.select(leadID: "x", requested: "realestate@2026.11.0", in: snapshot).version == "2026.11.0")
            #expect(throws: ModelRegistry.SelectionError.self) { try registry.select(leadID: "x", requested: "9.9", in: snapshot) }
        }
    }

    @Test func fallbackServesWhenTheDefaultIsBroken() throws {
        try withTemporaryDirectory { dir in
            try copyDefaultModel(to: dir, as: "good")
            try copyDefaultModel(to: dir, as: "broken") {
                $0.replacingOccurrences(of: "version: \"2026.11.0\"", with: "version: \"3.0\"").replacingOccurrences(
                    of: "type: boolean", with: "type: bool")
            }
            let registry = try ModelRegistry(selection: ModelSelection(directory: dir.path, defaultModel: "3.0", fallback: "2026.11.0"))
            let snapshot = registry.snapshot
            #expect(snapshot.isDegraded)
            #expect(snapshot.primary.version == "2026.11.0")
            #expect(snapshot.problems.contains { $0.key.contains("type") })
        }
    }

    @Test func reloadSwapsAndKeepsTheLastGoodModel() throws {
        try withTemporaryDirectory { dir in
            try copyDefaultModel(to: dir, as: "m")
            let registry = try ModelRegistry(selection: ModelSelection(directory: dir.path))
            let before = registry.snapshot.primary
            // A broken edit: the last good model keeps serving, and the problem is reported.
            let manifest = dir.appendingPathComponent("m/manifest.yaml")
            let good = try String(contentsOf: manifest, encoding: .utf8)
            try "id: [".write(to: manifest, atomically: true, encoding: .utf8)
            guard case .success(let kept) = registry.reload() else {
                Issue.record("reload with a broken folder should keep the last good model")
                return
            }
            #expect(kept.primary === before)
            #expect(!kept.problems.isEmpty)
            // A good edit: a new version swaps in.
            try good.replacingOccurrences(of: "version: \"2026.11.0\"", with: "version: \"2026.11.1\"").write(
                to: manifest, atomically: true, encoding: .utf8)
            guard case .success(let next) = registry.reload() else {
                Issue.record("reload failed")
                return
            }
            #expect(next.primary.version == "2026.11.1")
            #expect(next.generation == kept.generation + 1)
        }
    }

    @Test func swapsNeverTearARequest() throws {
        try withTemporaryDirectory { dir in
            try copyDefaultModel(to: dir, as: "m")
            let registry = try ModelRegistry(selection: ModelSelection(directory: dir.path))
            let lead = Lead(id: "L", features: ["pricing_page_views": .number(4), "tour_requested": .bool(true)])
            guard case .scored(let reference) = registry.snapshot.primary.scorer.score(lead) else {
                Issue.record("not scored")
                return
            }
            let expected = reference.probability
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for i in 0..<(worker == 0 ? 5 : 300) {
                    if worker == 0 {
                        _ = registry.reload()
                    } else {
                        let model = registry.snapshot.primary
                        if case .scored(let s) = model.scorer.score(Lead(id: "L\(i)", features: lead.features)) {
                            #expect(s.probability == expected)
                        } else {
                            Issue.record("a request failed during a swap")
                        }
                    }
                }
            }
        }
    }
}
