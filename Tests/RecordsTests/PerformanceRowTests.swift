import Foundation
import Records
import Testing

@Suite struct PerformanceRowTests {
    @Test(arguments: Backend.allCases)
    func snapshotsReadBackNewestFirstWithTheirNulls(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let old = PerformanceRow(
                modelID: "m", version: "1", accuracy: 0.8, precision: 0.5, recall: 0.25, f1: 1.0 / 3,
                testDate: Date(timeIntervalSince1970: 1_800_000_000),
                windowDays: 30, leads: 40, converted: 8, auc: 0.75, prAUC: 0.4, ece: 0.05, llmLift: nil, llmLiftLow: nil, llmLiftHigh: nil)
            var new = old
            new.version = "2"
            new.testDate = Date(timeIntervalSince1970: 1_800_003_600)
            new.precision = nil
            new.llmLift = -0.1
            new.llmLiftLow = -0.2
            new.llmLiftHigh = 0.01
            var other = old
            other.modelID = "n"
            try await store.insert(performance: [old, new, other])
            let rows = try await store.performanceHistory(modelID: "m", limit: 10)
            #expect(rows == [new, old])
            #expect(try await store.performanceHistory(modelID: "m", limit: 1) == [new])
            #expect(try await store.performanceHistory(modelID: "none", limit: 5).isEmpty)
        }
    }
}
