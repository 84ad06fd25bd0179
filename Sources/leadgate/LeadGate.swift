import ArgumentParser

@main
struct LeadGate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leadgate",
        abstract: "LeadGate: lead scoring with native tree ensembles.",
        subcommands: [
            ServeCommand.self, PredictCommand.self, BenchCommand.self, StoreBenchCommand.self, PromptsCommand.self, RecordsCommand.self,
            TrainCommand.self, ScoreCommand.self, ModelsCommand.self, WorkerCommand.self, JobsCommand.self,
        ]
    )
}
