import ArgumentParser
import Foundation
import JSON

/// `leadgate jobs`: bulk jobs against a running gateway.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Submit bulk scoring jobs to a gateway, follow them, read their results.",
        subcommands: [Submit.self, Status.self, Results.self, Cancel.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The gateway's base URL.") var url = ProcessInfo.processInfo.environment["LEADGATE_URL"] ?? "http://127.0.0.1:8080"
        @Option(name: .customLong("api-key"), help: "An API key (default: LEADGATE_API_KEY), sent as X-API-Key.")
        var apiKey: String?

        /// The key sent: `--api-key`, else LEADGATE_API_KEY, else none.
        var headers: [String] {
            (apiKey ?? ProcessInfo.processInfo.environment["LEADGATE_API_KEY"]).map { ["X-API-Key: \($0)"] } ?? []
        }
        func endpoint(_ path: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) + path : url + path }
    }

    /// The job's state, read once.
    static func state(_ id: String, connection: Connection) throws -> JSONNode {
        let reply = try CurlTransfer.perform(method: "GET", url: connection.endpoint("/v1/jobs/\(id)"), headers: connection.headers)
        guard reply.status == 200, let node = try? JSONReader.parse(bytes: Array(reply.body.utf8)) else {
            throw CommandFailure("GET /v1/jobs/\(id) answered \(reply.status): \(reply.body)")
        }
        return node
    }

    /// Follows the job until it ends, with a progress line on standard error; returns its final state.
    static func wait(_ id: String, connection: Connection) throws -> JSONNode {
        let terminal = isatty(STDERR_FILENO) == 1
        var lastLine = Date.distantPast
        while true {
            let node = try state(id, connection: connection)
            let status = node["status"]?.string ?? "?"
            let done = Int(node["done"]?.number ?? 0)
            let total = Int(node["total"]?.number ?? 0)
            let rate = node["rate_per_s"]?.number.map { String(format: "%.0f leads/s", $0) } ?? "–"
            let eta = node["eta_s"]?.number.map { "ETA \(Int($0)) s" } ?? ""
            let percent = total > 0 ? 100 * done / total : 0
            let line = "job \(id.prefix(8)) \(status): \(done)/\(total) (\(percent) %) \(rate) \(eta)"
            let final = ["succeeded", "failed", "cancelled"].contains(status)
            if terminal {
                FileHandle.standardError.write(Data("\r\(line)\u{1B}[K\(final ? "\n" : "")".utf8))
            } else if final || Date().timeIntervalSince(lastLine) >= 5 {
                CommandSupport.note(line)
                lastLine = Date()
            }
            if final { return node }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload an NDJSON or CSV file of leads as a job (streamed; progress on standard error); print the job.")

        @Argument(help: "The file: .ndjson/.jsonl (one lead object per line) or .csv (a header row of field names).") var file: String
        @OptionGroup var connection: Connection
        @Option(help: "ndjson or csv (default: from the file's extension).") var format: String?
        @Option(help: "Score with this model version (options.model).") var model: String?
        @Flag(help: "Skip the explanation (faster).") var noExplain = false
        @Flag(help: "Skip the LLM step.") var noRerank = false
        @Option(name: .customLong("callback-url"), help: "Where the gateway posts the finished job, signed.") var callbackURL: String?
        @Option(name: .customLong("idempotency-key"), help: "A retry with the same key returns the same job.") var idempotencyKey: String?
        @Flag(help: "Follow the job until it ends (exit status 1 unless it succeeded).") var wait = false

        func run() throws {
            let kind = format ?? (file.lowercased().hasSuffix(".csv") ? "csv" : "ndjson")
            guard kind == "csv" || kind == "ndjson" else { throw CommandFailure("--format must be ndjson or csv, not \(kind).") }
            var query: [String] = []
            if let model { query.append("model=\(model.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? model)") }
            if noExplain { query.append("explain=false") }
            if noRerank { query.append("rerank=false") }
            if let callbackURL {
                query.append("callback_url=\(callbackURL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? callbackURL)")
            }
            var headers = connection.headers + ["Content-Type: \(kind == "csv" ? "text/csv" : "application/x-ndjson")"]
            if let idempotencyKey { headers.append("Idempotency-Key: \(idempotencyKey)") }
            let progress = CommandSupport.progress("KiB uploaded")
            let reply = try CurlTransfer.perform(
                method: "POST", url: connection.endpoint("/v1/jobs" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))), headers: headers,
                upload: file, onUpload: { now, total in if total > 0 { progress(Int(now >> 10), Int(total >> 10)) } })
            guard reply.status == 202 || reply.status == 200, let node = try? JSONReader.parse(bytes: Array(reply.body.utf8)),
                let id = node["id"]?.string
            else {
                throw CommandFailure("POST /v1/jobs answered \(reply.status): \(reply.body)")
            }
            guard wait else {
                print(reply.body)
                return
            }
            let final = try JobsCommand.wait(id, connection: connection)
            var w = JSONWriter()
            w.node(final)
            print(w.text)
            if final["status"]?.string != "succeeded" { throw ExitCode(1) }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a job's state (with --wait, follow it to its end).")
        @Argument var id: String
        @OptionGroup var connection: Connection
        @Flag(help: "Follow the job until it ends.") var wait = false

        func run() throws {
            let node = wait ? try JobsCommand.wait(id, connection: connection) : try JobsCommand.state(id, connection: connection)
            var w = JSONWriter()
            w.node(node)
            print(w.text)
        }
    }

    struct Results: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stream a finished job's results (NDJSON, or CSV with --csv), in input order.")
        @Argument var id: String
        @OptionGroup var connection: Connection
        @Flag(help: "CSV instead of NDJSON.") var csv = false
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

        func run() throws {
            let fd = output.map { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } ?? STDOUT_FILENO
            guard fd >= 0 else { throw CommandFailure("cannot write \(output ?? ""): \(String(cString: strerror(errno))).") }
            defer { if output != nil { close(fd) } }
            // Problems (409 while running, 404) come back as JSON; read the status first.
            let state = try JobsCommand.state(id, connection: connection)
            guard ["succeeded", "failed", "cancelled"].contains(state["status"]?.string ?? "") else {
                throw CommandFailure("job \(id) is \(state["status"]?.string ?? "?"): follow it with `leadgate jobs status \(id) --wait` first.")
            }
            let reply = try CurlTransfer.perform(
                method: "GET", url: connection.endpoint("/v1/jobs/\(id)/results"),
                headers: connection.headers + ["Accept: \(csv ? "text/csv" : "application/x-ndjson")"], output: fd)
            guard reply.status == 200 else { throw CommandFailure("GET /v1/jobs/\(id)/results answered \(reply.status).") }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a pending or running job.")
        @Argument var id: String
        @OptionGroup var connection: Connection

        func run() throws {
            let reply = try CurlTransfer.perform(method: "DELETE", url: connection.endpoint("/v1/jobs/\(id)"), headers: connection.headers)
            guard reply.status == 200 else { throw CommandFailure("DELETE /v1/jobs/\(id) answered \(reply.status): \(reply.body)") }
            print(reply.body)
        }
    }
}
