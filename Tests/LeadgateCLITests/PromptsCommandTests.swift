import Foundation
import Testing

/// `leadgate prompts lint` and `leadgate prompts render`, run as a user runs them.
@Suite struct PromptsCommandTests {
    static func folder(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-prompts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    static let good = try! String(contentsOf: LeadgateCLITests.root.appendingPathComponent("prompts/lead-adjust.prompt"), encoding: .utf8)

    @Test func theShippedPromptsLintClean() throws {
        let result = try LeadgateCLITests.run(["prompts", "lint", "prompts", "--strict"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ok       lead-adjust.prompt (lead-adjust)"))
    }

    @Test func errorsAndWarningsAreNamedWithTheirLine() throws {
        let dir = try Self.folder([
            "good.prompt": Self.good,
            "typo.prompt": Self.good.replacingOccurrences(of: "id: lead-adjust", with: "id: typo")
                .replacingOccurrences(of: "{{base_score}}", with: "{{base_scor}}"),
            "twin.prompt": Self.good,
            "quiet.prompt": "---\nid: quiet\nversion: 1\n---\n[system]\nScore.\n[user]\nScore {{base_score}}.\n",
            "front.prompt": "---\nid: front\nversion: 1\ntemperatur: 0\n---\n[system]\nx\n[user]\ny\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try LeadgateCLITests.run(["prompts", "lint", dir.path])
        #expect(result.status == 1)
        let out = result.stdout
        #expect(out.contains("error    typo.prompt: line 21 ([user]): `base_scor` is not a prompt variable here"), "\(out)")
        #expect(out.contains("error    twin.prompt (lead-adjust): id `lead-adjust` is already used by"), "\(out)")
        #expect(out.contains("error    front.prompt: front matter key `temperatur` is unknown"), "\(out)")
        #expect(out.contains("warning  quiet.prompt (quiet): never uses `notes_block`"), "\(out)")
        #expect(out.contains("ok       good.prompt (lead-adjust)"), "\(out)")
        // Warnings alone pass, unless --strict.
        let warnOnly = try Self.folder(["quiet.prompt": "---\nid: quiet\nversion: 1\n---\n[system]\nScore.\n[user]\nScore {{base_score}}.\n"])
        defer { try? FileManager.default.removeItem(at: warnOnly) }
        #expect(try LeadgateCLITests.run(["prompts", "lint", warnOnly.path]).status == 0)
        #expect(try LeadgateCLITests.run(["prompts", "lint", warnOnly.path, "--strict"]).status == 1)
    }

    @Test func renderPrintsTheExactMessages() throws {
        let result = try LeadgateCLITests.run(["prompts", "render", "--prompt", "lead-adjust", "--lead", "examples/lead.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages.map { $0["role"] } == ["system", "user"])
        let user = messages[1]["content"] ?? ""
        #expect(user.contains("Model score: 47/100 (warm)"))
        #expect(user.contains("- Pricing page views: 6"))
        #expect(user.contains("<lead_notes_") && user.contains("school districts"))
        let request = try #require(body["request"] as? [String: Any])
        #expect(request["temperature"] as? Double == 0)
        #expect((request["messages"] as? [[String: String]])?.last?["content"] == user)
        #expect((body["prompt"] as? [String: Any])?["hash"] as? String != nil)
        let missing = try LeadgateCLITests.run(["prompts", "render", "--prompt", "nope", "--lead", "examples/lead.json"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no prompt"), "\(missing.stderr)")
    }
}
