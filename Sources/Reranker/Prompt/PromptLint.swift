import Foundation

/// `leadgate prompts lint`: checks prompt files outside a running gateway.
public enum PromptLint {
    public struct LintReport: Sendable {
        public var file: String
        public var id: String?
        public var errors: [String]
        public var warnings: [String]
    }

    /// Checks every `*.prompt` file of `directory` (and `rollout.yaml` when present): syntax, front
    /// matter, variables, size, ids used twice.
    public static func lint(directory: String) -> [LintReport] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".prompt") }.sorted()
        var reports: [LintReport] = []
        var ids: [String: String] = [:]
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            var report = LintReport(file: path, errors: [], warnings: [])
            do {
                let prompt = try PromptTemplate(contentsOfFile: path)
                report.id = prompt.id
                report.warnings = prompt.warnings
                if let other = ids[prompt.id] {
                    report.errors.append("id `\(prompt.id)` is already used by \(other). Give each prompt its own id.")
                }
                ids[prompt.id] = path
            } catch {
                report.errors.append(error.message.hasPrefix(path + ": ") ? String(error.message.dropFirst(path.count + 2)) : error.message)
            }
            reports.append(report)
        }
        let rollout = (directory as NSString).appendingPathComponent("rollout.yaml")
        if FileManager.default.fileExists(atPath: rollout) {
            var report = LintReport(file: rollout, errors: [], warnings: [])
            var snapshot = PromptRegistry.Snapshot(entries: [], rollout: .init(live: ""), rolloutSource: "", generation: 0)
            snapshot.entries = reports.compactMap { r in
                r.errors.isEmpty ? (try? PromptTemplate(contentsOfFile: r.file)).map { PromptRegistry.Entry(file: r.file, prompt: $0) } : nil
            }
            if case .failure(let refusal) = PromptRegistry.readRollout(rollout, prompts: snapshot) { report.errors.append(refusal.message) }
            reports.append(report)
        }
        return reports
    }
}
