import Foundation
import JSON
import Testing

@Suite struct JSONWriterTests {
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

    @Test func controlCharactersUseShortOrUnicodeEscapes() {
        var text = ""
        JSONWriter.appendQuoted("a\"b\\c\nd\u{1}e", to: &text)
        #expect(text == #""a\"b\\c\nd\u0001e""#)
    }
}
