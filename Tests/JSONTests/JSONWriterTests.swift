import Foundation
import JSON
import Testing

@Suite struct JSONWriterTests {
    @Test func membersEncodedOnceGoIntoAnyObject() throws {
        var part = JSONWriter()
        part.beginObject()
        part.field("a", 1)
        part.key("b")
        part.beginArray()
        part.string("x")
        part.endArray()
        part.endObject()
        let members = String(part.text.dropFirst().dropLast())
        var w = JSONWriter()
        w.beginObject()
        w.field("first", true)
        w.members(members)
        w.members("")
        w.key("nested")
        w.beginObject()
        w.members(members)
        w.endObject()
        w.endObject()
        #expect(w.text == #"{"first":true,"a":1,"b":["x"],"nested":{"a":1,"b":["x"]}}"#)
        _ = try JSONReader.parse(Data(w.text.utf8))
    }

    /// Every string survives a round trip through the strict reader, escapes included.
    @Test(arguments: [
        "", "plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1F}\u{7F}",
        "é à ü — “curly” 🏠 e\u{301}", "\"\\\"\\", "ends with escape\n", "\u{2028}\u{2029}",
    ])
    func stringsRoundTrip(_ value: String) throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("text", value)
        w.endObject()
        let node = try JSONReader.parse(Data(w.text.utf8))
        guard case .object(let members) = node, members.count == 1, case .string(let back) = members[0].value else {
            Issue.record("not an object with one string: \(w.text)")
            return
        }
        #expect(back == value)
        #expect(!w.text.utf8.contains(where: { $0 < 0x20 }), "a raw control character was written")
    }

    /// Numbers at the edge of the double range stay valid JSON (scaling them for rounding used to
    /// overflow to `inf`, which a stored lead then carried into every history read).
    @Test(arguments: [Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude, 1.7e300, -3e297, 12.3456789])
    func extremeNumbersStayValidJSON(_ value: Double) throws {
        var w = JSONWriter()
        w.beginArray()
        w.number(value, digits: 12)
        w.endArray()
        let node = try JSONReader.parse(bytes: Array(w.text.utf8))
        #expect(!w.text.contains("inf"), "\(w.text)")
        guard case .array(let items) = node, let read = items.first?.number else {
            Issue.record("not an array of one number: \(w.text)")
            return
        }
        let tolerance: Double = abs(value) * 1e-12
        #expect(abs(read - value) <= tolerance, "\(w.text)")
    }

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        var text = ""
        JSONWriter.appendQuoted("a\"b\\c\nd\u{1}e", to: &text)
        #expect(text == #""a\"b\\c\nd\u0001e""#)
    }
}
