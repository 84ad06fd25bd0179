import Foundation
import Synchronization

/// A real PostgreSQL server for tests, from Debian's `postgresql` package: `initdb` into a temporary
/// folder, `postgres` on a free loopback port with its unix socket in that folder, trust auth for the
/// superuser `leadgate`. As root (CI), the folder belongs to an unprivileged user (`postgres` when
/// the package created it, else `nobody`) and the server runs as that user through `setpriv`, which
/// execs in place, so the process we start is the postmaster itself (SIGKILL hits the server).
public final class PostgresServer: Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public let port: Int
    public let directory: String
    public let username = "leadgate"
    private let bin: String
    private let runAs: (uid: UInt32, gid: UInt32)?
    private let process = Mutex<Process?>(nil)

    /// The newest `/usr/lib/postgresql/*/bin` that has `initdb` and `postgres`.
    public static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: "\($0)/initdb") && FileManager.default.isExecutableFile(atPath: "\($0)/postgres")
        }
    }()

    public static var isAvailable: Bool { binDirectory != nil }

    public static let unavailableMessage =
        "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (apt-get install postgresql; scripts/install-deps.sh does)"

    /// One server for the suites that only need a database each (``makeDatabase()``).
    public static let shared: Result<PostgresServer, any Error> = Result { try PostgresServer() }

    public init(fsync: Bool = false) throws {
        guard let bin = Self.binDirectory else { throw Unavailable(description: Self.unavailableMessage) }
        self.bin = bin
        port = try Self.freePort()
        directory = NSTemporaryDirectory() + "leadgate-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            let user = getpwnam("postgres") ?? getpwnam("nobody")
            guard let user else {
                throw Unavailable(description: "running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
            }
            runAs = (user.pointee.pw_uid, user.pointee.pw_gid)
            guard chown(directory, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw Unavailable(description: "cannot chown \(directory) to the PostgreSQL user")
            }
        } else {
            runAs = nil
        }
        try runToCompletion(
            "initdb",
            ["-D", "\(directory)/data", "-U", username, "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"]
        )
        var conf = "listen_addresses = '127.0.0.1'\nport = \(port)\nunix_socket_directories = '\(directory)'\nmax_connections = 50\n"
        conf += "shared_buffers = 64MB\nlog_min_messages = fatal\n"
        if !fsync { conf += "fsync = off\nfull_page_writes = off\n" }
        let confPath = "\(directory)/data/postgresql.auto.conf"
        try conf.write(toFile: confPath, atomically: false, encoding: .utf8)
        if let runAs { _ = chown(confPath, runAs.uid, runAs.gid) }
        try start()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `postgres://leadgate@127.0.0.1:port/database?sslmode=disable`.
    public func url(database: String = "postgres") -> String { "postgres://\(username)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Creates a new, empty database and returns its name.
    public func makeDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try runToCompletion("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", username, name])
        return name
    }

    /// Runs `sql` with `psql` in `database` and returns the rows, unaligned, one per line.
    public func psql(database: String, _ sql: String) throws -> String {
        try runToCompletion(
            "psql", ["-h", "127.0.0.1", "-p", String(port), "-U", username, "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    public func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "\(bin)/postgres")
        p.arguments = ["-D", "\(directory)/data"]
        wrap(p)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        try p.run()
        process.withLock { $0 = p }
        for _ in 0..<1000 {
            if (try? runToCompletion("pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port)])) != nil { return }
            if !p.isRunning { break }
            usleep(20_000)
        }
        kill()
        throw Unavailable(description: "postgres did not start on port \(port) (see \(directory)/data)")
    }

    /// SIGKILL the postmaster and its children (by pid), and wait until they are gone.
    public func kill() {
        guard
            let p = process.withLock({ p -> Process? in
                defer { p = nil }; return p
            })
        else { return }
        let pid = p.processIdentifier
        let children = Self.children(of: pid)
        if p.isRunning { Foundation.kill(pid, SIGKILL) }
        for child in children { Foundation.kill(child, SIGKILL) }
        p.waitUntilExit()
        for _ in 0..<250 where children.contains(where: { Foundation.kill($0, 0) == 0 }) { usleep(20_000) }
    }

    /// Process ids whose parent is `pid` (from /proc).
    private static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            guard let status = try? String(contentsOfFile: "/proc/\(candidate)/status", encoding: .utf8) else { return false }
            return status.split(separator: "\n").contains { $0.hasPrefix("PPid:") && $0.split(separator: "\t").last.map(String.init) == String(pid) }
        }
    }

    /// As root, runs the executable as the unprivileged user (`setpriv` execs, keeping the pid).
    private func wrap(_ p: Process) {
        guard let runAs, let executable = p.executableURL?.path else { return }
        p.arguments = ["--reuid=\(runAs.uid)", "--regid=\(runAs.gid)", "--clear-groups", "--", executable] + (p.arguments ?? [])
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory
        p.environment = environment
    }

    @discardableResult
    private func runToCompletion(_ tool: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "\(bin)/\(tool)")
        p.arguments = arguments
        wrap(p)
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        p.standardOutput = output
        p.standardError = output
        try p.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw Unavailable(description: "\(tool) failed: \(text)") }
        return text
    }

    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Unavailable(description: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Unavailable(description: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
