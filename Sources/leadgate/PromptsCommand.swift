import ArgumentParser
import Foundation
import Gateway
import PromptOps
import Reranker
import Scoring

/// `leadgate prompts`: tools for the prompt files.
struct PromptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Check and render the LLM step's prompt files.",
        subcommands: [Lint.self, Render.self, Eval.self]
    )

    /// The configuration, as `leadgate serve` reads it (file, environment, then the flags given).
    static func settings(config: String?, models: String?) throws -> GatewayConfig {
        do {
            return try GatewayConfig.load(file: config, environment: ProcessInfo.processInfo.environment, overrides: .init(modelsDirectory: models))
        } catch {
            throw CommandFailure("invalid configuration: \(error.description)")
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every prompt file of a folder: syntax, front matter, variables, size, ids.",
            discussion: "Exits 1 when a file has an error (with --strict, also a warning), else 0.")

        @Argument(help: "The prompt folder.")
        var directory = "prompts"

        @Flag(help: "Treat warnings as errors.")
        var strict = false

        func run() throws {
            let reports = PromptLint.lint(directory: directory)
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
            let settings = try PromptsCommand.settings(config: config, models: models)
            guard let data = FileManager.default.contents(atPath: lead) else { throw CommandFailure("\(lead) cannot be read.") }
            do {
                print(try await PromptDryRun.render(config: settings, prompt: prompt, leadJSON: data))
            } catch {
                throw CommandFailure(error.description)
            }
        }
    }

    struct Eval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run labelled leads through the model and the LLM with a prompt (or two) and report whether the adjustment helps.",
            discussion: """
                Reports, for the model's own score and for each prompt side by side: ROC AUC, PR AUC, precision and lift at \
                the top 5/10/20% of leads, calibration (ECE), and differences with paired-bootstrap 95% intervals; per prompt, \
                badge flips (and which leads), the multiplier histogram, fallbacks by reason, latency and tokens. Markdown on \
                standard output; --json writes the same for machines; --output writes one line per lead. Uses the LLM \
                configured in config/leadgate.yaml or LEADGATE_LLM_BASE_URL (a test server works); the cache is not used.
                """)

        @Option(help: "Labelled leads: a CSV whose header names the model's fields (plus lead_id, notes), or JSON lines.")
        var data: String

        @Option(help: "The column (CSV) or key (JSON lines) holding the outcome: 1/0, true/false.")
        var label: String

        @Option(help: "The prompt id to evaluate.")
        var prompt: String

        @Option(help: "A second prompt id to compare with, side by side.")
        var against: String?

        @Option(help: "Use only the first N leads.")
        var limit: Int?

        @Option(help: "LLM calls at once.")
        var concurrency = 16

        @Option(help: "Bootstrap resamples for the intervals.")
        var resamples = 1_000

        @Option(help: "Write one CSV line per lead here.")
        var output: String?

        @Option(help: "Write the report as JSON here.")
        var json: String?

        @Option(help: "The YAML configuration file (default: LEADGATE_CONFIG, else config/leadgate.yaml when present).")
        var config: String?

        @Option(help: "Folder of model folders (overrides models.directory).")
        var models: String?

        func validate() throws {
            guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1.") }
            guard resamples >= 100 else { throw ValidationError("--resamples must be at least 100.") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
        }

        func run() async throws {
            let settings = try PromptsCommand.settings(config: config, models: models)
            var options = PromptEval.Options(data: data, label: label, prompt: prompt)
            options.against = against
            options.limit = limit
            options.concurrency = concurrency
            options.resamples = resamples
            let progress = CommandSupport.progress("LLM calls")
            let report: PromptEval.Report
            do {
                report = try await PromptEval.run(config: settings, options: options, progress: progress)
            } catch {
                throw CommandFailure(error.description)
            }
            print(report.markdown)
            if let json { try report.json.write(toFile: json, atomically: true, encoding: .utf8) }
            if let output { try PromptEval.csv(report).write(toFile: output, atomically: true, encoding: .utf8) }
        }
    }
}
