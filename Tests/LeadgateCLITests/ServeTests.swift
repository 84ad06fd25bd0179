import Foundation
import Synchronization
import Testing

/// `leadgate serve` as a process: configuration errors, SIGTERM draining, SIGHUP reloading.
@Suite struct ServeTests {
    /// A running `leadgate serve` whose port is read from its "listening" log line.
    final class Server: Sendable {
        /// What the server wrote to standard error, and the port from its "listening" line.
        final class Output: Sendable {
            let text = Mutex("")
            let port = Mutex<Int?>(nil)
        }

        let process: Process
        let port: Int
        private let output: Output

        var logText: String { output.text.withLock { $0 } }

        init(arguments: [String] = [], environment: [String: String] = [:]) throws {
            let process = Process()
            process.executableURL = LeadgateCLITests.executable
            process.arguments = ["serve", "--port", "0"] + arguments
            process.currentDirectoryURL = LeadgateCLITests.root
            // Each server keeps its records (and their journal) in a folder of its own.
            let records = NSTemporaryDirectory() + "leadgate-serve-\(UUID().uuidString)/leadgate.sqlite"
            process.environment = ProcessInfo.processInfo.environment.merging(["LEADGATE_RECORDS_URL": records]) { $1 }
                .merging(environment) { $1 }
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            let output = Output()
            err.fileHandleForReading.readabilityHandler = { handle in
                let text = String(decoding: handle.availableData, as: UTF8.self)
                output.text.withLock { $0 += text }
                for line in text.split(separator: "\n") where line.contains(#""msg":"listening""#) {
                    if let range = line.range(of: #""port":""#) {
                        let digits = line[range.upperBound...].prefix { $0.isNumber }
                        output.port.withLock { $0 = Int(digits) }
                    }
                }
            }
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while output.port.withLock({ $0 }) == nil, process.isRunning, Date() < deadline { usleep(20_000) }
            guard let port = output.port.withLock({ $0 }) else {
                process.terminate()
                throw Failure("the server did not start: \(output.text.withLock { $0 })")
            }
            self.process = process
            self.port = port
            self.output = output
        }

        func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

        func waitForExit(seconds: Double = 30) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            return process.isRunning ? nil : process.terminationStatus
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A blocking HTTP call through `curl` (the command), so the test needs no HTTP client library.
    static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let result = try LeadgateCLITests.runTool("/usr/bin/env", ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-H", "Expect:"] + arguments)
        let text = result.stdout
        guard let newline = text.lastIndex(of: "\n") else { return (0, text) }
        return (Int(text[text.index(after: newline)...]) ?? 0, String(text[..<newline]))
    }

    @Test(arguments: [
        (["LEADGATE_PORT": "eighty"], [String](), "LEADGATE_PORT"),
        (["LEADGATE_LLM_TIMEOUT_MS": "0"], [], "LEADGATE_LLM_TIMEOUT_MS"),
        (["LEADGATE_REDIS_URL": "http://x"], [], "redis.url"),
        (["LEADGATE_AUTH_MODE": "jwt"], [], "auth.jwt"),
        ([:], ["--port", "70000"], "--port"),
        ([:], ["--models", "/nonexistent"], "models.directory"),
    ])
    func invalidConfigurationStopsTheStart(_ environment: [String: String], _ flags: [String], _ key: String) throws {
        let result = try LeadgateCLITests.run(["serve"] + flags, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("`\(key)`"), "\(result.stderr)")
    }

    @Test func invalidConfigFileNamesTheKey() throws {
        let file = try LeadgateCLITests.temporaryFile("leadgate.yaml", "server:\n  port: 8080\n  hots: x\n")
        let result = try LeadgateCLITests.run(["serve", "--config", file.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("`server.hots`"), "\(result.stderr)")
    }

    @Test func sigtermFinishesTheRequestInFlight() throws {
        let server = try Server()
        var leads: [String] = []
        for i in 0..<3_000 {
            leads.append(#"{"lead_id":"t-\#(i)","features":{"pricing_page_views":\#(i % 9),"tour_requested":true,"lead_source":"zillow"}}"#)
        }
        let body = try LeadgateCLITests.temporaryFile("batch.json", #"{"leads":[\#(leads.joined(separator: ","))]}"#)
        final class Reply: Sendable { let value = Mutex<(Int, String)?>(nil) }
        let reply = Reply()
        let thread = Thread {
            let result = try? Self.curl([
                "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@\(body.path)",
                server.url("/v1/leads/batch-score").absoluteString,
            ])
            reply.value.withLock { $0 = result }
        }
        thread.start()
        usleep(300_000)
        kill(server.process.processIdentifier, SIGTERM)
        usleep(200_000)
        let during = try Self.curl([server.url("/readyz").absoluteString])
        #expect(during.status == 503)
        #expect(during.body.contains("urn:leadgate:problem:shutting-down"))
        let status = server.waitForExit()
        #expect(status == 0, "exit \(String(describing: status)): \(server.logText.suffix(500))")
        let deadline = Date().addingTimeInterval(10)
        while reply.value.withLock({ $0 }) == nil, Date() < deadline { usleep(20_000) }
        let (code, text) = try #require(reply.value.withLock { $0 })
        #expect(code == 200, "\(text.prefix(300))")
        let complete = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil && text.contains(#""scored":3000"#)
        #expect(complete, "the response was cut: \(text.utf8.count) bytes")
        // While it drained, new requests were told to go elsewhere; after it, nothing listens.
        #expect(server.logText.contains(#""msg":"draining""#))
        #expect(server.logText.contains(#""msg":"stopped""#))
    }

    @Test func sigtermClosesScoreStreamsWithAnEvent() throws {
        let server = try Server()
        final class Reply: Sendable { let value = Mutex<(Int, String)?>(nil) }
        let reply = Reply()
        let thread = Thread {
            let result = try? Self.curl(["-N", "--max-time", "20", server.url("/v1/leads/SSE-1/score/stream").absoluteString])
            reply.value.withLock { $0 = result }
        }
        thread.start()
        usleep(500_000)
        let start = Date()
        kill(server.process.processIdentifier, SIGTERM)
        let status = server.waitForExit()
        #expect(status == 0, "exit \(String(describing: status)): \(server.logText.suffix(500))")
        #expect(Date().timeIntervalSince(start) < 5, "a stream does not hold the shutdown")
        let deadline = Date().addingTimeInterval(10)
        while reply.value.withLock({ $0 }) == nil, Date() < deadline { usleep(20_000) }
        let (code, text) = try #require(reply.value.withLock { $0 })
        #expect(code == 200)
        #expect(text.contains(": no score yet"))
        #expect(text.contains("event: close"), "\(text)")
    }

    @Test func sighupReloadsTheModels() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leadgate-hup-\(UUID().uuidString)/realestate")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = LeadgateCLITests.root.appendingPathComponent("config/models/realestate")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.json"), to: dir.appendingPathComponent("model.json"))
        let manifest = try String(contentsOf: source.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        try manifest.write(to: dir.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let server = try Server(arguments: ["--models", dir.deletingLastPathComponent().path])
        defer { kill(server.process.processIdentifier, SIGTERM) }
        #expect(try Self.curl([server.url("/v1/models").absoluteString]).body.contains(#""version":"2026.11.0""#))
        try manifest.replacingOccurrences(of: "version: \"2026.11.0\"", with: "version: \"2026.11.5\"").write(
            to: dir.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        var reloaded = false
        let deadline = Date().addingTimeInterval(10)
        while !reloaded, Date() < deadline {
            reloaded = try Self.curl([server.url("/v1/models").absoluteString]).body.contains(#""version":"2026.11.5""#)
            if !reloaded { usleep(50_000) }
        }
        #expect(reloaded, "\(server.logText.suffix(500))")
        #expect(server.process.isRunning)
    }
}
