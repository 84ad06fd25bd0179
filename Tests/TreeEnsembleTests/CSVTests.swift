import Foundation
import Testing

@testable import TreeEnsemble

@Suite struct CSVTests {
    private func table(_ text: String) throws(InputError) -> CSVTable { try CSVTable(bytes: Array(text.utf8)) }

    @Test func readsQuotedFieldsCRLFAndByteOrderMarks() throws {
        let t = try table("\u{FEFF}a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\r\n")
        #expect(t.header == ["a", "b", "c"])
        #expect(t.rows == [["1", "x, y", "say \"hi\""], ["2", "two\nlines", ""]])
        #expect(t.lineNumbers == [2, 3])
    }

    @Test func skipsBlankLinesAndAcceptsAMissingFinalNewline() throws {
        let t = try table("a,b\n\n1,2\n\n3,4")
        #expect(t.rows == [["1", "2"], ["3", "4"]])
        #expect(t.lineNumbers == [3, 5])
    }

    @Test(arguments: [
        ("a,b\n1,\"2\n", "not closed"),
        ("a,b\n1,2,3\n", "3 fields"),
        ("a,b\n1,x\"y\n", "quote appears inside"),
        ("a,b\n1,\"2\"x\n", "followed by text"),
        ("", "empty"),
    ])
    func reportsWhereTheCSVIsBroken(_ text: String, _ mention: String) {
        do throws(InputError) {
            _ = try table(text)
            Issue.record("parsed, but should fail")
        } catch {
            #expect(error.description.contains(mention), "\(error)")
            #expect(error.line != nil)
        }
    }

    /// Any table written with standard quoting reads back unchanged.
    @Test func roundTripsRandomTables() throws {
        var rng = SeededGenerator(seed: 99)
        let pieces = ["a", "1.5", "", " ", ",", "\"", "\n", "\r\n", "é", "x,y", "-2e10"]
        for _ in 0..<200 {
            let columns = Int.random(in: 1...5, using: &rng)
            let rows = Int.random(in: 0...6, using: &rng)
            func field() -> String {
                (0..<Int.random(in: 0...3, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "" }.joined()
            }
            let header = (0..<columns).map { "c\($0)" }
            var body = (0..<rows).map { _ in (0..<columns).map { _ in field() } }
            // A row of one empty field is a blank line, which the reader skips by design.
            body.removeAll { $0.count == 1 && $0[0].isEmpty }
            func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            let text = ([header] + body).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n")
            let parsed = try table(text)
            #expect(parsed.header == header)
            #expect(parsed.rows == body)
        }
    }

    /// Random bytes never crash the reader: they parse into rectangular rows or fail with a line number.
    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 5)
        let alphabet = Array("ab1.,\"\n\r ".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? 0 }
            do throws(InputError) {
                let t = try CSVTable(bytes: bytes)
                #expect(t.rows.allSatisfy { $0.count == t.header.count })
            } catch {
                #expect(error.line != nil)
            }
        }
    }
}

@Suite struct FeatureMatrixCSVTests {
    let model: Ensemble

    init() throws {
        model = try Ensemble(contentsOfFile: TestData.fixtures.appendingPathComponent("xgb-categorical/model.json").path)
    }

    private var header: [String] { model.featureNames }

    private func csv(_ rows: [[String]], header: [String]? = nil) -> CSVTable {
        let lines = [(header ?? self.header).joined(separator: ",")] + rows.map { $0.joined(separator: ",") }
        // The test builds well-formed text.
        return (try? CSVTable(bytes: Array(lines.joined(separator: "\n").utf8))) ?? CSVTable.emptyForTests
    }

    private func row(overriding column: String, with value: String) -> [String] {
        header.map { $0 == column ? value : "1" }
    }

    @Test func acceptsColumnsInAnyOrderWithEmptyCellsAsMissing() throws {
        let reversed = Array(header.reversed())
        let table = csv([reversed.map { _ in "" }], header: reversed)
        let matrix = try FeatureMatrix(csv: table, for: model)
        #expect(matrix.rowCount == 1)
        #expect(matrix.values.allSatisfy { $0.isNaN })
    }

    @Test func namesTheUnknownColumn() {
        do throws(InputError) {
            _ = try FeatureMatrix(csv: csv([], header: header + ["surprise"]), for: model)
            Issue.record("accepted an unknown column")
        } catch {
            #expect(error.column == "surprise")
            #expect(error.description.contains("not a feature of the model"))
        }
    }

    @Test func namesTheMissingColumns() {
        do throws(InputError) {
            _ = try FeatureMatrix(csv: csv([], header: Array(header.dropFirst())), for: model)
            Issue.record("accepted a table without a feature")
        } catch {
            #expect(error.description.contains(header[0]))
        }
    }

    @Test func namesTheLineAndColumnOfABadNumber() throws {
        let numeric = try #require(model.features.first { $0.kind == .numeric }).name
        do throws(InputError) {
            _ = try FeatureMatrix(csv: csv([row(overriding: numeric, with: "1"), row(overriding: numeric, with: "abc")]), for: model)
            Issue.record("accepted a bad number")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == numeric)
            #expect(error.description.contains("\"abc\" is not a number"))
        }
    }

    @Test func mapsCategoryNamesAndRejectsUnknownOnes() throws {
        let feature = try #require(model.features.firstIndex { $0.kind == .categorical && !$0.categories.isEmpty })
        let name = model.features[feature].name
        let category = model.features[feature].categories[1]
        let matrix = try FeatureMatrix(csv: csv([row(overriding: name, with: category)]), for: model)
        #expect(matrix.values[feature] == 1)
        do throws(InputError) {
            _ = try FeatureMatrix(csv: csv([row(overriding: name, with: "Martian")]), for: model)
            Issue.record("accepted an unknown category")
        } catch {
            #expect(error.column == name)
            #expect(error.description.contains("known categories"))
        }
    }
}

extension CSVTable {
    static let emptyForTests: CSVTable = {
        // "x" parses to a header with no rows.
        // Cannot fail: a one-field header.
        try! CSVTable(bytes: Array("x".utf8))
    }()
}
