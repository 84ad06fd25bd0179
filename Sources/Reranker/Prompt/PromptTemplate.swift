import Foundation
import Hashing
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
/// The body is rendered as text (no HTML escaping; see ``PromptBody`` for the Mustache subset), and
/// a name that is not one of these variables is refused when the file loads. The SHA-256 of the
/// file's bytes identifies the prompt in responses, logs, metrics and cache keys.
public struct PromptTemplate: Sendable {
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }

        public init(message: String) { self.message = message }
    }

    public let id: String
    public let version: String
    public let model: String?
    public let temperature: Double
    public let maxTokens: Int
    /// Overrides the gateway's `seed` when set.
    public let seed: Int?
    /// The longest reasoning accepted from the model, in characters (`reasoning_max_chars`).
    public let reasoningMaxChars: Int
    public let description: String
    /// Hex SHA-256 of the file's bytes.
    public let hash: String
    let system: PromptBody
    let user: PromptBody

    /// The variables the prompt uses (so that cache keys include `lead_id` only when it is used).
    public var variablesUsed: Set<String> { Set((system.uses + user.uses).map(\.name)) }

    /// What a prompt can load with but probably should not: variables it never uses that the
    /// adjustment depends on, and untrusted notes in the system part. `leadgate prompts lint`
    /// prints these; `--strict` makes them errors.
    public var warnings: [String] {
        var found: [String] = []
        let used = variablesUsed
        if !used.contains("notes_block") {
            found.append("never uses `notes_block`: the model will not see the agent's notes, which are what it is there to read.")
        }
        if !used.contains("base_score") && !used.contains("probability") {
            found.append("uses neither `base_score` nor `probability`: the model cannot see the score it adjusts.")
        }
        if !used.contains("reasons") { found.append("never uses `reasons`: the model cannot see why the score is what it is.") }
        if system.uses.contains(where: { $0.name == "notes_block" }) {
            found.append("puts `notes_block` in [system]: untrusted text belongs in [user] only.")
        }
        return found
    }

    /// The variables a prompt may use, and the names each list section adds.
    public static let variables = [
        "lead_id", "base_score", "base_badge", "probability", "facts", "reasons", "notes_block", "has_notes",
    ]
    public static let sectionVariables = ["facts": ["label", "value"], "reasons": ["text", "direction"]]

    public init(contentsOfFile path: String) throws(LoadError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(message: "\(path): cannot be read. Check llm.prompt in the configuration.")
        }
        try self.init(bytes: [UInt8](data), name: path)
    }

    /// The largest prompt file accepted.
    public static let maxFileBytes = 64 * 1024

    public init(bytes: [UInt8], name: String = "prompt") throws(LoadError) {
        func fail(_ message: String) -> LoadError { LoadError(message: "\(name): \(message)") }
        guard bytes.count <= Self.maxFileBytes else {
            throw fail(
                "is \(bytes.count) bytes; the limit is \(Self.maxFileBytes). A prompt this long costs tokens and time on every lead: shorten it.")
        }
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
        let known: Set<String> = ["id", "version", "model", "temperature", "max_tokens", "seed", "reasoning_max_chars", "description"]
        if let unknown = meta.keys.first(where: { !known.contains($0) }) {
            throw fail("front matter key `\(unknown)` is unknown. Use: \(known.sorted().joined(separator: ", ")).")
        }
        guard let id = meta["id"].map({ "\($0)" }), !id.isEmpty else { throw fail("front matter needs an `id`.") }
        guard id.count <= 64,
            id.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." })
        else {
            throw fail("id `\(id)` must be 1–64 letters, digits, `-`, `_` or `.` (it appears in URLs and metrics).")
        }
        guard let version = meta["version"].map({ "\($0)" }) else { throw fail("front matter needs a `version`.") }
        self.id = id
        self.version = version
        self.model = meta["model"].map { "\($0)" }
        self.temperature = (meta["temperature"] as? Double) ?? (meta["temperature"] as? Int).map(Double.init) ?? 0
        self.maxTokens = (meta["max_tokens"] as? Int) ?? 200
        if let seed = meta["seed"] {
            guard let value = seed as? Int else { throw fail("seed must be a whole number.") }
            self.seed = value
        } else {
            self.seed = nil
        }
        self.reasoningMaxChars = (meta["reasoning_max_chars"] as? Int) ?? 600
        guard (40...2_000).contains(reasoningMaxChars) else { throw fail("reasoning_max_chars must be within 40–2000.") }
        self.description = meta["description"].map { "\($0)" } ?? ""
        guard (0...2).contains(temperature) else { throw fail("temperature must be within 0–2.") }
        guard (16...4096).contains(maxTokens) else { throw fail("max_tokens must be within 16–4096.") }
        guard let systemStart = lines.firstIndex(of: "[system]"), let userStart = lines.firstIndex(of: "[user]"), systemStart < userStart else {
            throw fail("the body needs a `[system]` line and then a `[user]` line.")
        }
        let rawSystem = lines[(systemStart + 1)..<userStart].joined(separator: "\n")
        let rawUser = lines[(userStart + 1)...].joined(separator: "\n")
        let systemText = rawSystem.trimmingCharacters(in: .whitespacesAndNewlines)
        let userText = rawUser.trimmingCharacters(in: .whitespacesAndNewlines)
        func blankLinesBefore(_ text: String) -> Int { text.prefix(while: { $0.isWhitespace }).filter { $0 == "\n" }.count }
        guard !systemText.isEmpty, !userText.isEmpty else { throw fail("the [system] and [user] parts must not be empty.") }
        // Line numbers in messages count from the top of the file.
        let systemLine = end + 3 + systemStart + blankLinesBefore(rawSystem)
        let userLine = end + 3 + userStart + blankLinesBefore(rawUser)
        func body(_ text: String, part: String, firstLine: Int) throws(LoadError) -> PromptBody {
            let parsed: PromptBody
            do {
                parsed = try PromptBody(parsing: text, firstLine: firstLine)
            } catch {
                throw fail("line \(error.line) ([\(part)]): \(error.message)")
            }
            for use in parsed.uses {
                var allowed = Set(Self.variables)
                for section in use.within { allowed.formUnion(Self.sectionVariables[section] ?? []) }
                guard allowed.contains(use.name) else {
                    throw fail(
                        "line \(use.line) ([\(part)]): `\(use.name)` is not a prompt variable here. Use one of: \(allowed.sorted().joined(separator: ", "))."
                    )
                }
            }
            return parsed
        }
        system = try body(systemText, part: "system", firstLine: systemLine)
        user = try body(userText, part: "user", firstLine: userLine)
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
        let scope: PromptBody.Scope = [
            "lead_id": .text(facts.leadID), "base_score": .text(String(facts.baseScore)), "base_badge": .text(facts.baseBadge),
            "probability": .text(Self.threeDecimals(facts.probability)),
            "facts": .list(facts.facts.map { ["label": .text($0.label), "value": .text($0.value)] }),
            "reasons": .list(facts.reasons.map { ["text": .text($0.text), "direction": .text($0.direction)] }),
            "notes_block": .text(notesBlock), "has_notes": .flag(!notesBlock.isEmpty),
        ]
        return (system.render(scope), user.render(scope))
    }

    /// `%.3f` without Foundation's formatter: a probability in [0, 1].
    static func threeDecimals(_ value: Double) -> String {
        guard value.isFinite else { return "0.000" }
        let thousandths = Int((min(max(value, 0), 1) * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

extension Substring {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring { hasSuffix(suffix) ? dropLast(suffix.count) : self }
}
