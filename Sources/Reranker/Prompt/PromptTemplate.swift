import Foundation
import Mustache
import Yams

/// A prompt file: YAML front matter, then a Mustache body in two parts, `[system]` and `[user]`.
///
/// ```
/// ---
/// id: lead-adjust
/// version: 3
/// model: gpt-4o-mini          # LEADGATE_LLM_MODEL overrides it
/// temperature: 0
/// max_tokens: 200
/// description: Adjusts the ML score from the lead's notes.
/// ---
/// [system]
/// You adjust lead scores …
/// [user]
/// Base score: {{base_score}} ({{base_badge}})
/// {{#reasons}}- {{text}}
/// {{/reasons}}{{{notes_block}}}
/// ```
///
/// Variables: `lead_id`, `base_score`, `base_badge`, `probability`, `facts` (a list of `label`,
/// `value`), `reasons` (a list of `text`, `direction`), `notes_block` (the lead's untrusted notes,
/// cleaned and inside a delimiter with a per-request random suffix, or empty) and `has_notes`.
/// The body is rendered as text (no HTML escaping). The SHA-256 of the file's bytes identifies the
/// prompt in responses, logs, metrics and cache keys.
public struct PromptTemplate: Sendable {
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    public let id: String
    public let version: String
    public let model: String?
    public let temperature: Double
    public let maxTokens: Int
    public let description: String
    /// Hex SHA-256 of the file's bytes.
    public let hash: String
    let system: MustacheTemplate
    let user: MustacheTemplate

    public init(contentsOfFile path: String) throws(LoadError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(message: "\(path): cannot be read. Check llm.prompt in the configuration.")
        }
        try self.init(bytes: [UInt8](data), name: path)
    }

    public init(bytes: [UInt8], name: String = "prompt") throws(LoadError) {
        func fail(_ message: String) -> LoadError { LoadError(message: "\(name): \(message)") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("is not UTF-8 text.") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.trimmingSuffix("\r")) }
        guard lines.first == "---", let end = lines.dropFirst().firstIndex(of: "---") else {
            throw fail("must start with YAML front matter between two `---` lines.")
        }
        let front = lines[1..<end].joined(separator: "\n")
        lines = Array(lines[(end + 1)...])
        let meta: [String: Any]
        do {
            meta = (try Yams.load(yaml: front) as? [String: Any]) ?? [:]
        } catch {
            throw fail("the front matter is not valid YAML (\(error)).")
        }
        let known: Set<String> = ["id", "version", "model", "temperature", "max_tokens", "description"]
        if let unknown = meta.keys.first(where: { !known.contains($0) }) {
            throw fail("front matter key `\(unknown)` is unknown. Use: \(known.sorted().joined(separator: ", ")).")
        }
        guard let id = meta["id"].map({ "\($0)" }), !id.isEmpty else { throw fail("front matter needs an `id`.") }
        guard let version = meta["version"].map({ "\($0)" }) else { throw fail("front matter needs a `version`.") }
        self.id = id
        self.version = version
        self.model = meta["model"].map { "\($0)" }
        self.temperature = (meta["temperature"] as? Double) ?? (meta["temperature"] as? Int).map(Double.init) ?? 0
        self.maxTokens = (meta["max_tokens"] as? Int) ?? 200
        self.description = meta["description"].map { "\($0)" } ?? ""
        guard (0...2).contains(temperature) else { throw fail("temperature must be within 0–2.") }
        guard (16...4096).contains(maxTokens) else { throw fail("max_tokens must be within 16–4096.") }
        guard let systemStart = lines.firstIndex(of: "[system]"), let userStart = lines.firstIndex(of: "[user]"), systemStart < userStart else {
            throw fail("the body needs a `[system]` line and then a `[user]` line.")
        }
        let systemText = lines[(systemStart + 1)..<userStart].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let userText = lines[(userStart + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !systemText.isEmpty, !userText.isEmpty else { throw fail("the [system] and [user] parts must not be empty.") }
        do {
            system = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + systemText)
            user = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + userText)
        } catch {
            throw fail("the Mustache body does not parse (\(error)).")
        }
        hash = SHA256.hex(bytes)
    }

    /// The facts a prompt sees about one lead.
    public struct Facts: Sendable {
        public var leadID: String
        public var baseScore: Int
        public var baseBadge: String
        public var probability: Double
        public var facts: [(label: String, value: String)]
        public var reasons: [(text: String, direction: String)]
        /// Untrusted free text; cleaned and delimited by ``render(_:notesLimit:)``.
        public var notes: String?

        public init(
            leadID: String, baseScore: Int, baseBadge: String, probability: Double, facts: [(label: String, value: String)],
            reasons: [(text: String, direction: String)], notes: String?
        ) {
            self.leadID = leadID
            self.baseScore = baseScore
            self.baseBadge = baseBadge
            self.probability = probability
            self.facts = facts
            self.reasons = reasons
            self.notes = notes
        }
    }

    /// The system and user messages for one lead. Notes go only into the user message, stripped of
    /// control characters, capped at `notesLimit` characters, between `<lead_notes_XXXX>` tags whose
    /// random suffix the text cannot know in advance.
    public func render(_ facts: Facts, notesLimit: Int = 2000) -> (system: String, user: String) {
        var notesBlock = ""
        if let notes = facts.notes {
            let cleaned = String(String.UnicodeScalarView(notes.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F || $0 == "\n" }))
            let capped = String(cleaned.prefix(notesLimit))
            if !capped.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                let tag = "lead_notes_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
                notesBlock = "<\(tag)>\n\(capped)\n</\(tag)>"
            }
        }
        let object: [String: Any] = [
            "lead_id": facts.leadID, "base_score": facts.baseScore, "base_badge": facts.baseBadge,
            "probability": String(format: "%.3f", facts.probability),
            "facts": facts.facts.map { ["label": $0.label, "value": $0.value] },
            "reasons": facts.reasons.map { ["text": $0.text, "direction": $0.direction] },
            "notes_block": notesBlock, "has_notes": !notesBlock.isEmpty,
        ]
        return (system.render(object), user.render(object))
    }
}

extension Substring {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring { hasSuffix(suffix) ? dropLast(suffix.count) : self }
}
