import Foundation
import Testing

@testable import Training

@Suite struct CSVStreamTests {
    static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "leadgate-csv-\(UUID().uuidString).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func records(_ stream: CSVStream) throws -> [[String]] {
        var out: [[String]] = []
        while let r = try stream.next() { out.append(r) }
        return out
    }

    @Test(arguments: [3, 7, 64, 1 << 20])
    func quotedFieldsSurviveEveryChunkBoundary(chunk: Int) throws {
        let text = "\u{FEFF}id;\"note\";n\r\n1;\"a; b\";2\r\n2;\"say \"\"hi\"\"\r\nthere\";3\r\n\r\n3;;4"
        let stream = try CSVStream(path: Self.file(text), separator: nil, chunkSize: chunk)
        #expect(stream.separator == UInt8(ascii: ";"))
        #expect(stream.header == ["id", "note", "n"])
        #expect(try Self.records(stream) == [["1", "a; b", "2"], ["2", "say \"hi\"\r\nthere", "3"], ["3", "", "4"]])
    }

    @Test func commaIsSniffedAndRaggedRowsNameTheirLine() throws {
        let stream = try CSVStream(path: Self.file("a,b\n1,\"x;y\"\n2\n"))
        #expect(stream.separator == UInt8(ascii: ","))
        #expect(try stream.next() == ["1", "x;y"])
        #expect {
            _ = try stream.next()
        } throws: { error in
            (error as? TrainingError)?.description.contains("line 3 has 1 fields; the header has 2") == true
        }
    }

    @Test func anUnclosedQuoteIsAnError() throws {
        let stream = try CSVStream(path: Self.file("a,b\n1,\"open\n"))
        #expect(throws: TrainingError.self) { _ = try stream.next() }
    }
}

@Suite struct CellTextTests {
    @Test func spacesAndTabsAroundACellGoOthersStay() {
        #expect(CellText.trimmed("  yes\t") == "yes")
        #expect(CellText.trimmed("a b") == "a b")
        #expect(CellText.trimmed("") == "")
        #expect(CellText.trimmed(" \t ") == "")
        #expect(CellText.trimmed(" Zürich ") == "Zürich")
    }
}
