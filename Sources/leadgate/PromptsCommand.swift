import ArgumentParser
import Foundation
import Gateway
import Scoring

/// `leadgate prompts`: tools for the prompt files.
struct PromptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Check and render the LLM step's prompt files.",
        subcommands: [Lint.self, Render.self]
    )

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every prompt file of a folder: syntax, front matter, variables, size, ids.",
            discussion: "Exits 1 when a file has an error (with --strict, also a warning), else 0.")

        @Argument(help: "The prompt folder.")
        var directory = "prompts"

        @Flag(help: "Treat warnings as errors.")
        var strict = false

        func run() throws {
            let reports = PromptTools.lint(directory: directory)
            guard !reports.isEmpty else { throw CommandFailure("\(directory) has no *.prompt files.") }
            var failed = false
            for report in reports {
                let name = (report.file as NSString).lastPathComponent
                let label = report.id.map { "\(name) (\($0))" } ?? name
                if report.errors.isEmpty && report.warnings.isEmpty { print("ok       \(label)") }
                for error in report.errors { print("error    \(label): \(error)") }
                for warning in report.warnings { print("warning  \(label): \(warning)") }
                if !report.errors.isEmpty || (strict && !report.warnings.isEmpty) { failed = true }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the exact messages and request body the LLM would get for a lead (no call is made).",
            discussion: "The lead is scored with the configured models (config/leadgate.yaml or --config), as POST /v1/leads/score would.")

        @Option(help: "A prompt id in the prompt folder, or a prompt file.")
        var prompt: String

        @Option(help: "A JSON file holding one lead, as POST /v1/leads/score takes it.")
        var lead: String

        @Option(help: "The YAML configuration file (default: LEADGATE_CONFIG, else config/leadgate.yaml when present).")
        var config: String?

        @Option(help: "Folder of model folders (overrides models.directory).")
        var models: String?

        func run() async throws {
            let settings: GatewayConfig
            do {
                settings = try GatewayConfig.load(
                    file: config, environment: ProcessInfo.processInfo.environment, overrides: .init(modelsDirectory: models))
            } catch {
                throw CommandFailure("invalid configuration: \(error.description)")
            }
            guard let data = FileManager.default.contents(atPath: lead) else { throw CommandFailure("\(lead) cannot be read.") }
            do {
                print(try await PromptTools.render(config: settings, prompt: prompt, leadJSON: data))
            } catch {
                throw CommandFailure(error.description)
            }
        }
    }
}
