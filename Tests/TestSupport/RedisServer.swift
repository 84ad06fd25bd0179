import Foundation
import Synchronization

/// A real `redis-server` on a free loopback port, for tests: no persistence, its own directory,
/// killed when the test ends. It can be killed and restarted on the same port, or paused.
public final class RedisServer: Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public let port: Int
    public let password: String?
    private let directory: String
    private let process = Mutex<Process?>(nil)

    public init(password: String? = nil) throws {
        self.port = try SilentListener.unusedPort()
        self.password = password
        directory = NSTemporaryDirectory() + "leadgate-redis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `redis://[:password@]127.0.0.1:port/db`.
    public func url(database: Int = 0) -> String {
        "redis://\(password.map { ":\($0)@" } ?? "")127.0.0.1:\(port)/\(database)"
    }

    public static var executable: String? {
        let paths =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/usr/sbin"]
        return paths.map { $0 + "/redis-server" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts (or restarts) the server on `port` and waits until it accepts connections.
    public func start() throws {
        guard let executable = Self.executable else {
            throw Unavailable(description: "redis-server is not installed (apt-get install redis-server; .ci/run and scripts/test.sh install it)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--daemonize", "no",
            "--loglevel", "warning",
        ]
        if let password { arguments += ["--requirepass", password] }
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process.withLock { $0 = p }
        // Wait for the port to accept connections (up to 5 s).
        for _ in 0..<500 {
            if Self.accepts(port: port) { return }
            usleep(10_000)
        }
        kill()
        throw Unavailable(description: "redis-server did not start on port \(port)")
    }

    /// SIGKILL, then wait for the process to be gone.
    public func kill() {
        guard
            let p = process.withLock({ p -> Process? in
                defer { p = nil }
                return p
            })
        else { return }
        if p.isRunning {
            Foundation.kill(p.processIdentifier, SIGCONT)
            Foundation.kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
    }

    /// SIGSTOP: the server holds its connections and answers nothing.
    public func pause() { process.withLock { p in if let p { Foundation.kill(p.processIdentifier, SIGSTOP) } } }

    public func resume() { process.withLock { p in if let p { Foundation.kill(p.processIdentifier, SIGCONT) } } }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
