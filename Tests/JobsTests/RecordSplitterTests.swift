import Jobs
import Testing

@Suite struct RecordSplitterTests {
    /// Cuts `text` into records feeding it `piece` bytes at a time.
    static func split(_ text: String, csv: Bool, piece: Int) throws -> [String] {
        var splitter = RecordSplitter(csv: csv)
        var out: [String] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            try splitter.feed(Array(bytes[offset..<end])) { out.append(String(decoding: $0, as: UTF8.self)) }
            offset = end
        }
        try splitter.finish { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }

    @Test(arguments: [1, 2, 3, 7, 64, 4096])
    func linesAreTheSameWhateverThePieces(_ piece: Int) throws {
        let text = "{\"a\":1}\r\n\n  \n{\"b\":\"x\\ny\"}\n{\"c\":3}"
        #expect(try Self.split(text, csv: false, piece: piece) == [#"{"a":1}"#, #"{"b":"x\ny"}"#, #"{"c":3}"#])
    }

    @Test(arguments: [1, 5, 4096])
    func aCSVRecordMayHoldANewlineInQuotes(_ piece: Int) throws {
        let text = "id,notes\n1,\"two\nlines, and \"\"quotes\"\"\"\n2,plain\n"
        let records = try Self.split(text, csv: true, piece: piece)
        #expect(records == ["id,notes", "1,\"two\nlines, and \"\"quotes\"\"\"", "2,plain"])
        #expect(CSVCells.parse(Array(records[1].utf8)) == ["1", "two\nlines, and \"quotes\""])
        #expect(CSVCells.parse(Array("a,,\"\"".utf8)) == ["a", "", ""])
    }

    @Test func aRecordLongerThanTheLimitIsRefused() throws {
        var splitter = RecordSplitter(csv: false, maxRecordBytes: 16)
        #expect(throws: RecordSplitter.TooLong.self) {
            try splitter.feed(Array(String(repeating: "x", count: 40).utf8)) { _ in }
        }
    }

    @Test func aChunkSplitsBackIntoItsRecords() {
        #expect(RecordSplitter.records(Array("a\nb\n\nc".utf8), csv: false).count == 3)
        #expect(CSVCells.quoted("a,b") == "\"a,b\"")
        #expect(CSVCells.quoted("plain") == "plain")
    }
}
