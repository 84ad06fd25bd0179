import Foundation
import JSON
import Testing

/// The strict reader: what RFC 8259 admits, and nothing else, with the place of each fault.
@Suite struct JSONReaderTests {
    @Test func readsEveryKindOfValue() throws {
        let node = try JSONReader.parse(Data(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\u00e9\ud83c\udfe0\n"}, "": 0} "#.utf8))
        guard case .object(let members) = node else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == ["a", "b", ""])
        guard case .array(let items)? = node["a"] else {
            Issue.record("a is not a list")
            return
        }
        #expect(items.count == 5)
        #expect(items[1].number == -2500)
        #expect(node["b"]?["c"]?.string == "xé🏠\n")
    }

    @Test(arguments: [
        ("", "empty"),
        ("{", "ends before"),
        (#"{"a" 1}"#, "':'"),
        (#"{"a":1,}"#, "quoted object key"),
        ("[1,]", "unexpected character"),
        ("NaN", "unexpected character"),
        ("[Infinity]", "unexpected character"),
        ("[-Infinity]", "digits"),
        ("[1e999]", "out of range"),
        ("[01]", "','"),
        ("[1.]", "decimal point"),
        (#"["\u00"]"#, "\\u escape"),
        (#"["\ud800"]"#, "unpaired surrogate"),
        (#"["\udc00"]"#, "unpaired surrogate"),
        (#"["\ud800\u0041"]"#, "unpaired surrogate"),
        (#"["\q"]"#, "unknown escape"),
        ("[1] [2]", "after the end"),
        ("[\"a\u{1}\"]", "control character"),
    ])
    func refuses(_ text: String, mentioning: String) {
        do {
            _ = try JSONReader.parse(Data(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(mentioning), "\(text): \(error.description)")
            #expect(error.kind == .malformed)
        }
    }

    @Test(arguments: [[0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF]] as [[UInt8]])
    func refusesInvalidUTF8(_ sequence: [UInt8]) {
        let bytes = Array(#"{"k": "a"#.utf8) + sequence + Array(#"b"}"#.utf8)
        #expect(throws: JSONError.self) { try JSONReader.parse(Data(bytes)) }
    }

    @Test func namesTheLineAndColumn() {
        do {
            _ = try JSONReader.parse(Data("{\n  \"a\": 1,\n  \"b\" 2\n}".utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 7)
        }
    }

    @Test func refusesDuplicateKeysNamingThem() {
        do {
            _ = try JSONReader.parse(Data(#"{"lead_id": "a", "x": {"lead_id": 1}, "lead_id": "b"}"#.utf8))
            Issue.record("accepted a repeated key")
        } catch {
            #expect(error.kind == .duplicateKey)
            #expect(error.key == "lead_id")
        }
        // Written once escaped and once plain, it is still the same key.
        #expect(throws: JSONError.self) { try JSONReader.parse(Data(#"{"ab": 1, "a\u0062": 2}"#.utf8)) }
        // The same key in sibling objects is fine.
        #expect(throws: Never.self) { try JSONReader.parse(Data(#"[{"a": 1}, {"a": 2}]"#.utf8)) }
    }

    @Test func limitsNesting() throws {
        let deep = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        _ = try JSONReader.parse(Data(deep.utf8))
        let deeper = "[" + deep + "]"
        #expect(throws: JSONError.self) { try JSONReader.parse(Data(deeper.utf8)) }
    }

    @Test func modelFilesMayCarryNonFiniteLiterals() throws {
        let document = try JSONDocument(bytes: Array("[NaN, Infinity, -Infinity, 0.1]".utf8))
        #expect(document.double(at: 1).isNaN)
        #expect(document.double(at: 2) == .infinity)
        #expect(document.double(at: 3) == -.infinity)
        #expect(document.float(at: 4) == Float(0.1))
    }
}
