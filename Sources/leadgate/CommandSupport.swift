import ArgumentParser
import Foundation
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
