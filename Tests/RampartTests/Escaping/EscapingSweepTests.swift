import Rampart
import Testing

@Suite("Escaping sweeps, SafeURL and JSON for HTML")
struct EscapingSweepTests {
    @Test("every ASCII byte: the five specials become entities, the rest pass unchanged", arguments: 0...127)
    func asciiSweep(_ byte: Int) {
        let input = "a" + String(UnicodeScalar(UInt8(byte))) + "b"
        let expected: String =
            switch UInt8(byte) {
            case UInt8(ascii: "&"): "a&amp;b"
            case UInt8(ascii: "<"): "a&lt;b"
            case UInt8(ascii: ">"): "a&gt;b"
            case UInt8(ascii: "\""): "a&quot;b"
            case UInt8(ascii: "'"): "a&#39;b"
            default: input
            }
        #expect(Array(HTML.escape(input).utf8) == Array(expected.utf8))
    }

    static let combiningMarks: [UInt32] = [
        0x0300, 0x0301, 0x0302, 0x0303, 0x0308, 0x030A, 0x0327, 0x0338, 0x0345, 0x036F,
        0x0483, 0x0591, 0x05BF, 0x0610, 0x093C, 0x1AB0, 0x1DC0, 0x20D0, 0x20D2, 0xFE20,
    ]

    /// A byte-at-a-time escaper to check the 16-byte block code against.
    static func reference(_ text: String) -> String {
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "<"): out += Array("&lt;".utf8)
            case UInt8(ascii: ">"): out += Array("&gt;".utf8)
            case UInt8(ascii: "\""): out += Array("&quot;".utf8)
            case UInt8(ascii: "'"): out += Array("&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test("block boundaries: every length to 80 with escapes at every position and density", arguments: [0, 1, 2, 3, 5, 8, 16])
    func blockBoundaries(_ stride: Int) {
        let specials: [Character] = ["&", "<", ">", "\"", "'"]
        var generator = SystemRandomNumberGenerator()
        for length in 0...80 {
            for offset in 0..<max(1, min(length, 17)) {
                var characters = (0..<length).map { i -> Character in i % 7 == 6 ? "é" : "abcdefghij".randomElement(using: &generator)! }
                var position = offset
                while position < length {
                    characters[position] = specials.randomElement(using: &generator)!
                    position += stride == 0 ? length : stride
                }
                let text = String(characters)
                let escaped = HTML.escape(text)
                #expect(Array(escaped.utf8) == Array(Self.reference(text).utf8), "length \(length) offset \(offset)")
            }
        }
        let long = String(repeating: "a<b\"c'd&e>f", count: 10_000)
        #expect(HTML.escape(long) == Self.reference(long))
    }

    @Test("each special character followed by each of 20 combining marks", arguments: ["&", "<", ">", "\"", "'"])
    func combiningMarkSweep(_ special: String) {
        let entity = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"][special]!
        for mark in Self.combiningMarks {
            let scalar = String(Unicode.Scalar(mark)!)
            let output = HTML.escape(special + scalar + "x")
            #expect(Array(output.utf8) == Array((entity + scalar + "x").utf8), "U+\(String(mark, radix: 16))")
        }
    }

    @Test(
        "invalid UTF-8 and encoded surrogates become U+FFFD",
        arguments: [
            ([0x3C, 0xFF, 0x3E] as [UInt8], "&lt;\u{FFFD}&gt;"),
            ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),  // a lone high surrogate, CESU-style
            ([0x22, 0xC0, 0xA2], "&quot;\u{FFFD}\u{FFFD}"),  // overlong '"'
            ([0xE2, 0x82], "\u{FFFD}"),  // truncated sequence
        ]
    )
    func invalidUTF8(_ bytes: [UInt8], _ expected: String) {
        #expect(Array(HTML.escape(utf8: bytes).utf8) == Array(expected.utf8))
    }

    @Test(
        "SafeURL refuses script schemes however they are dressed",
        arguments: [
            "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\nscript:alert(1)", "java\tscript:alert(1)", "java\rscript:alert(1)",
            " javascript:alert(1)", "\u{1}\u{2}javascript:alert(1)", "javascript\n:alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)", "file:///etc/passwd",
            "javascript&#58;alert(1)", "javascript&#0000058alert(1)", "javascript&#x3A;alert(1)", "javascript&colon;alert(1)",
            "jav&#x09;ascript:alert(1)", "jav&Tab;ascript:alert(1)", "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
            "blob:https://evil.example/uuid", "intent://x#Intent;end",
        ]
    )
    func refused(_ url: String) {
        let safe = SafeURL(url)
        #expect(safe.value == "about:invalid#rampart")
        #expect(safe.wasRefused)
    }

    @Test(
        "SafeURL keeps http, https, mailto and relative URLs",
        arguments: [
            "https://example.com/a?b=c#d", "http://example.com", "HTTPS://EXAMPLE.COM", "mailto:ada@example.com",
            "/path", "path/to", "?q=1", "#top", "//evil.example/x", "./javascript:alert(1)", "javascript%3Aalert(1)", "",
        ]
    )
    func kept(_ url: String) {
        #expect(SafeURL(url).value == url)
        #expect(!SafeURL(url).wasRefused)
    }

    @Test("SafeURL in Markup is escaped as an attribute value")
    func inMarkup() {
        let link: Markup = "<a href=\"\(SafeURL("https://example.com/?a=1&b=\"x\""))\">x</a>"
        #expect(link.html == "<a href=\"https://example.com/?a=1&amp;b=&quot;x&quot;\">x</a>")
        let bad: Markup = "<a href=\"\(SafeURL("javascript:alert(1)"))\">x</a>"
        #expect(bad.html == "<a href=\"about:invalid#rampart\">x</a>")
    }

    struct Payload: Encodable {
        let text: String
        let items: [Int]
    }

    @Test("JSON for HTML escapes < > & U+2028 U+2029 and stays valid JSON")
    func jsonForHTML() throws {
        let json = try JSONForHTML.encode(Payload(text: "</script><!-- & \u{2028}\u{2029} é", items: [1, 2]))
        #expect(json.html == "{\"items\":[1,2],\"text\":\"\\u003c\\/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029 é\"}")
        #expect(!json.html.contains("<"))
        #expect(!json.html.contains("\u{2028}"))
        let top = try JSONForHTML.encode([1, 2, 3])
        #expect(top.html == "[1,2,3]")
    }
}
