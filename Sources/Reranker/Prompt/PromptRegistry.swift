import Foundation
public import Scoring
import Synchronization
import Yams

/// The prompt files of a folder, kept current while the gateway runs, and which of them serve.
///
/// - Every `*.prompt` file is loaded; an edited file is live on the next ``reload()`` (the gateway
///   calls it every second). A file that no longer loads is refused: its error is logged and shown
///   by `GET /v1/prompts`, and the last good version of that prompt keeps serving.
/// - The rollout says which prompt is live and which (if any) is the candidate for a share of the
///   leads, chosen by a hash of the lead id (sticky: a lead always sees the same prompt). It comes
///   from the configuration, then from `rollout.yaml` in the folder when that file exists or
///   changes, or from an admin call; the latest of the last two wins.
public final class PromptRegistry: Sendable {
    public struct Rollout: Sendable, Equatable {
        public var live: String
        public var candidate: String?
        /// Of leads, 0–1.
        public var share: Double

        public init(live: String, candidate: String? = nil, share: Double = 0) {
            self.live = live
            self.candidate = candidate
            self.share = share
        }
    }

    /// One file and what became of it.
    public struct Entry: Sendable {
        public var file: String
        /// The last version that loaded.
        public var prompt: PromptTemplate?
        /// Why the file as it is now does not load (the last good version, if any, keeps serving).
        public var error: String?
    }

    public struct Snapshot: Sendable {
        public var entries: [Entry]
        public var rollout: Rollout
        /// Where the rollout came from: `configuration`, `rollout.yaml` or `admin`.
        public var rolloutSource: String
        public var rolloutError: String?
        public var generation: Int

        public func prompt(_ id: String) -> PromptTemplate? { entries.lazy.compactMap(\.prompt).first { $0.id == id } }
        public var live: PromptTemplate? { prompt(rollout.live) }
        public var candidate: PromptTemplate? { rollout.candidate.flatMap(prompt) }

        public func role(of id: String) -> String {
            id == rollout.live ? "live" : id == rollout.candidate ? "candidate" : "available"
        }
    }

    private struct Stamp: Equatable {
        var modified: Date?
        var size: Int
    }

    private struct State {
        var snapshot: Snapshot
        var stamps: [String: Stamp] = [:]
        var rolloutStamp: Stamp?
    }

    public let directory: String
    public let rolloutFile: String
    private let state: Mutex<State>

    /// Loads every prompt in `directory`; the rollout's live prompt must load.
    public init(directory: String, rollout: Rollout) throws(ConfigurationError) {
        self.directory = directory
        rolloutFile = (directory as NSString).appendingPathComponent("rollout.yaml")
        state = Mutex(State(snapshot: Snapshot(entries: [], rollout: rollout, rolloutSource: "configuration", generation: 0)))
        _ = reload()
        let snapshot = self.snapshot
        guard snapshot.live != nil else {
            let entry = snapshot.entries.first { $0.prompt?.id == snapshot.rollout.live || $0.file.hasSuffix("/\(snapshot.rollout.live).prompt") }
            let why = entry?.error ?? "no prompt file in \(directory) has `id: \(snapshot.rollout.live)`"
            throw ConfigurationError(key: "llm.prompt", "\(why) (LEADGATE_LLM_PROMPT overrides the path.)")
        }
        if let candidate = snapshot.rollout.candidate, snapshot.candidate == nil {
            throw ConfigurationError(
                key: "llm.candidate_prompt", "no prompt in \(directory) has `id: \(candidate)`. Name a loaded prompt or remove the key.")
        }
    }

    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Re-reads the files that changed (by size and modification time) and `rollout.yaml`. Returns
    /// one line per change or refusal, for the log.
    @discardableResult
    public func reload() -> [String] {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".prompt") }.sorted()
        var changes: [String] = []
        state.withLock { s in
            var entries = s.snapshot.entries
            var seen = Set<String>()
            for name in names {
                let path = (directory as NSString).appendingPathComponent(name)
                seen.insert(path)
                let attributes = try? fm.attributesOfItem(atPath: path)
                let stamp = Stamp(modified: attributes?[.modificationDate] as? Date, size: (attributes?[.size] as? Int) ?? -1)
                if s.stamps[path] == stamp { continue }
                s.stamps[path] = stamp
                let index = entries.firstIndex { $0.file == path }
                var entry = index.map { entries[$0] } ?? Entry(file: path)
                do throws(PromptTemplate.LoadError) {
                    guard let data = fm.contents(atPath: path) else { throw PromptTemplate.LoadError(message: "\(path): cannot be read.") }
                    let loaded = try PromptTemplate(bytes: [UInt8](data), name: path)
                    if let clash = entries.first(where: { $0.file != path && $0.prompt?.id == loaded.id }) {
                        throw PromptTemplate.LoadError(
                            message: "\(path): id `\(loaded.id)` is already used by \(clash.file). Give each prompt its own id.")
                    }
                    if entry.prompt?.hash != loaded.hash || entry.error != nil {
                        changes.append("loaded \(loaded.id)@\(loaded.version) (\(loaded.hash.prefix(12))) from \(name)")
                    }
                    entry.prompt = loaded
                    entry.error = nil
                } catch {
                    if entry.error != error.message {
                        changes.append("refused \(name): \(error.message)\(entry.prompt.map { "; \($0.id)@\($0.version) keeps serving" } ?? "")")
                    }
                    entry.error = error.message
                }
                if let index { entries[index] = entry } else { entries.append(entry) }
            }
            for (i, entry) in entries.enumerated().reversed() where !seen.contains(entry.file) {
                if entry.prompt?.id == s.snapshot.rollout.live || entry.prompt?.id == s.snapshot.rollout.candidate {
                    // The file of a serving prompt is gone: keep its last version, and say so.
                    if entries[i].error == nil { changes.append("\(entry.file) is gone; its last version keeps serving") }
                    entries[i].error = "the file is gone; the last version keeps serving"
                } else {
                    entries.remove(at: i)
                    s.stamps[entry.file] = nil
                    changes.append("removed \(entry.file)")
                }
            }
            var snapshot = s.snapshot
            snapshot.entries = entries
            // rollout.yaml: applied when it appears or changes.
            let attributes = try? fm.attributesOfItem(atPath: rolloutFile)
            let stamp = attributes.map { Stamp(modified: $0[.modificationDate] as? Date, size: ($0[.size] as? Int) ?? -1) }
            if stamp != s.rolloutStamp {
                s.rolloutStamp = stamp
                if stamp != nil {
                    switch Self.readRollout(rolloutFile, prompts: snapshot) {
                    case .success(let rollout):
                        if rollout != snapshot.rollout || snapshot.rolloutSource != "rollout.yaml" {
                            changes.append("rollout from rollout.yaml: \(Self.describe(rollout))")
                        }
                        snapshot.rollout = rollout
                        snapshot.rolloutSource = "rollout.yaml"
                        snapshot.rolloutError = nil
                    case .failure(let refusal):
                        changes.append("refused rollout.yaml: \(refusal.message); the rollout stays \(Self.describe(snapshot.rollout))")
                        snapshot.rolloutError = refusal.message
                    }
                }
            }
            if !changes.isEmpty { snapshot.generation += 1 }
            s.snapshot = snapshot
        }
        return changes
    }

    /// Sets the rollout (the admin call). The prompts must be loaded.
    public func setRollout(_ rollout: Rollout) -> Result<Snapshot, ConfigurationError> {
        state.withLock { s in
            if let why = Self.check(rollout, prompts: s.snapshot) { return .failure(ConfigurationError(key: "rollout", why)) }
            s.snapshot.rollout = rollout
            s.snapshot.rolloutSource = "admin"
            s.snapshot.rolloutError = nil
            s.snapshot.generation += 1
            return .success(s.snapshot)
        }
    }

    /// The prompt for a lead: the candidate for a sticky share of lead ids, else the live one.
    public func select(leadID: String, in snapshot: Snapshot) -> (prompt: PromptTemplate, role: String)? {
        if let candidate = snapshot.candidate, snapshot.rollout.share > 0, Self.bucket("prompt-ab:" + leadID) < snapshot.rollout.share {
            return (candidate, "candidate")
        }
        return snapshot.live.map { ($0, "live") }
    }

    /// FNV-1a of the text, mixed by MurmurHash3's 64-bit finalizer (FNV-1a alone leaves its high bits
    /// nearly equal for ids that differ only at the end), as a fraction in [0, 1).
    static func bucket(_ text: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }

    public static func describe(_ r: Rollout) -> String {
        "live \(r.live)" + (r.candidate.map { ", candidate \($0) for \(Int((r.share * 100).rounded()))% of leads" } ?? "")
    }

    static func check(_ rollout: Rollout, prompts: Snapshot) -> String? {
        guard prompts.prompt(rollout.live) != nil else { return "`live: \(rollout.live)` is not a loaded prompt (GET /v1/prompts lists them)." }
        if let candidate = rollout.candidate {
            guard prompts.prompt(candidate) != nil else { return "`candidate: \(candidate)` is not a loaded prompt." }
            guard candidate != rollout.live else { return "the candidate is the live prompt; name another or none." }
        }
        guard (0...1).contains(rollout.share) else { return "`share: \(rollout.share)` must be within 0–1 (0.1 = 10% of leads)." }
        return nil
    }

    /// `live: <id>`, optional `candidate: <id>` and `share: <0–1>`.
    struct Refusal: Error {
        var message: String
    }

    static func readRollout(_ path: String, prompts: Snapshot) -> Result<Rollout, Refusal> {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return .failure(Refusal(message: "cannot be read"))
        }
        let meta: [String: Any]
        do {
            meta = (try Yams.load(yaml: text) as? [String: Any]) ?? [:]
        } catch {
            return .failure(Refusal(message: "is not valid YAML (\(error))"))
        }
        if let unknown = meta.keys.first(where: { !["live", "candidate", "share"].contains($0) }) {
            return .failure(Refusal(message: "key `\(unknown)` is unknown; use live, candidate, share"))
        }
        guard let live = meta["live"].map({ "\($0)" }), !live.isEmpty else { return .failure(Refusal(message: "needs `live: <prompt id>`")) }
        let share = (meta["share"] as? Double) ?? (meta["share"] as? Int).map(Double.init) ?? 0
        let candidate = (meta["candidate"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        let rollout = Rollout(live: live, candidate: candidate, share: candidate == nil ? 0 : share)
        if let why = check(rollout, prompts: prompts) { return .failure(Refusal(message: why)) }
        return .success(rollout)
    }
}
