import ArgumentParser
import Foundation
import Gateway
import Logging
import Scoring
import Synchronization
import TreeEnsemble

/// A failure the command reports as one line on standard error, exiting with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum CommandSupport {
    static func loadModel(_ path: String) throws -> Ensemble {
        do {
            return try Ensemble(contentsOfFile: path)
        } catch {
            throw CommandFailure("\(error.message)")
        }
    }

    static func readMatrix(_ path: String, for model: Ensemble) throws -> FeatureMatrix {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("cannot read the input file \(path).")
        }
        do {
            let table = try CSVTable(bytes: [UInt8](data))
            return try FeatureMatrix(csv: table, for: model)
        } catch {
            throw CommandFailure("\(path), \(error.description)")
        }
    }
}

extension CommandSupport {
    /// One line on standard error.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// A progress reporter for `(done, total)` calls, on standard error: a bar redrawn in place on a
    /// terminal, otherwise a line at every tenth of the way (so logs stay short).
    static func progress(_ unit: String) -> @Sendable (Int, Int) -> Void {
        let terminal = isatty(STDERR_FILENO) == 1
        let steps = terminal ? 200 : 10
        let shown = Mutex(-1)
        return { done, total in
            let step = total > 0 ? steps * min(done, total) / total : steps
            let show = shown.withLock { last in
                guard step > last else { return false }
                last = step
                return true
            }
            guard show else { return }
            if terminal {
                let width = 30
                let filled = total > 0 ? width * min(done, total) / total : width
                let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(unit)\(step == steps ? "\n" : "")".utf8))
            } else {
                note("\(done)/\(total) \(unit) (\(100 * step / steps) %)")
            }
        }
    }
}

extension CommandSupport {
    /// What `serve` and `worker` do first: ignore SIGPIPE, load the configuration (file, environment,
    /// flags; a bad value is one line naming the key), and log JSON lines (or text) at its level.
    static func gatewaySetup(config: String?, environment: [String: String], overrides: GatewayConfig.Overrides) throws -> (
        GatewayConfig, Logger
    ) {
        signal(SIGPIPE, SIG_IGN)
        let settings: GatewayConfig
        do {
            settings = try GatewayConfig.load(file: config, environment: environment, overrides: overrides)
        } catch {
            throw CommandFailure("invalid configuration: \(error.description)")
        }
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        let json = settings.logFormat == .json
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, json: json) }
        return (settings, Logger(label: "leadgate"))
    }
}
