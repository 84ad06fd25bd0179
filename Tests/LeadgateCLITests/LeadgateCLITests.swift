import Foundation
import Testing

/// The `leadgate` executable, run as a user runs it.
@Suite struct LeadgateCLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures")

    /// The built executable, next to the test bundle.
    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("leadgate")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return root.appendingPathComponent(".build/debug/leadgate")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try runTool(executable.path, arguments, environment: environment)
    }

    /// Runs any program to completion from the repository root, capturing its output.
    static func runTool(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryFile(_ name: String, _ contents: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url
    }

    @Test func predictWritesTheGoldenColumns() throws {
        let dir = Self.fixtures.appendingPathComponent("xgb-binary")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-\(UUID().uuidString).csv")
        let result = try Self.run([
            "predict", "--model", dir.appendingPathComponent("model.json").path,
            "--input", dir.appendingPathComponent("inputs.csv").path, "--contribs", "--output", output.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let got = String(decoding: try Data(contentsOf: output), as: UTF8.self).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let want = String(decoding: try Data(contentsOf: dir.appendingPathComponent("expected.csv")), as: UTF8.self)
            .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        // Same columns as expected.csv, without its row_kind label.
        #expect(got[0] == want[0].filter { $0 != "row_kind" })
        #expect(got.count == want.count)
        for r in 1..<min(got.count, want.count) {
            let gotValues = got[r].dropFirst().compactMap(Double.init)
            let wantValues = want[r].dropFirst(2).compactMap(Double.init)
            #expect(gotValues.count == wantValues.count)
            for (g, w) in zip(gotValues, wantValues) { #expect(abs(g - w) <= 1e-4, "row \(r): \(g) vs \(w)") }
            // margin and prediction are printed as float32 and match the library's text exactly.
            #expect(Array(got[r][1...2]) == Array(want[r][2...3]))
        }
    }

    @Test func predictNamesTheRowAndColumnOfABadValue() throws {
        let model = Self.fixtures.appendingPathComponent("xgb-binary/model.json")
        let header = String(decoding: try Data(contentsOf: Self.fixtures.appendingPathComponent("xgb-binary/inputs.csv")), as: UTF8.self)
            .split(separator: "\n")[0]
        let columns = header.split(separator: ",").map(String.init)
        let good = columns.map { _ in "1" }.joined(separator: ",")
        let bad = columns.enumerated().map { $0.offset == 2 ? "lots" : "1" }.joined(separator: ",")
        let input = try Self.temporaryFile("bad.csv", "\(header)\n\(good)\n\(bad)\n")
        let result = try Self.run(["predict", "--model", model.path, "--input", input.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("line 3"), "\(result.stderr)")
        #expect(result.stderr.contains("column \"\(columns[2])\""), "\(result.stderr)")
        #expect(result.stderr.contains("\"lots\" is not a number"))
    }

    @Test func predictNamesAnUnknownColumn() throws {
        let model = Self.fixtures.appendingPathComponent("xgb-binary/model.json")
        let input = try Self.temporaryFile("unknown.csv", "shoe_size\n42\n")
        let result = try Self.run(["predict", "--model", model.path, "--input", input.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\"shoe_size\""), "\(result.stderr)")
        #expect(result.stderr.contains("not a feature of the model"))
    }

    @Test func predictExplainsAnUnsupportedModel() throws {
        let input = try Self.temporaryFile("x.csv", "a\n1\n")
        let result = try Self.run([
            "predict", "--model", Self.fixtures.appendingPathComponent("reject/gblinear.json").path, "--input", input.path,
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("gblinear"), "\(result.stderr)")
    }

    @Test func benchPrintsOneJSONObject() throws {
        let dir = Self.fixtures.appendingPathComponent("lgb-multiclass")
        let result = try Self.run([
            "bench", "--model", dir.appendingPathComponent("model.txt").path,
            "--input", dir.appendingPathComponent("inputs.csv").path, "--rows", "300", "--repeat", "1", "--contribs", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        for key in ["predict_rows_per_s", "single_row_ns", "contribs_rows_per_s", "rows", "threads"] {
            #expect(object?[key] is NSNumber, "missing \(key) in \(result.stdout)")
        }
        #expect((object?["rows"] as? NSNumber)?.intValue == 300)
    }

    @Test func rejectsNonsenseOptions() throws {
        let result = try Self.run(["bench", "--model", "m", "--input", "i", "--rows", "0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--rows"))
    }
}
