import Rampart
import Testing

@Suite("HTML escaping and Markup")
struct MarkupTests {
    @Test("the five special characters are escaped")
    func escape() {
        #expect(HTML.escape("<a href=\"x\" title='y'>&</a>") == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTML.escape("plain text, no change") == "plain text, no change")
    }

    @Test(
        "a special character followed by a combining mark is still escaped",
        arguments: [
            ("\"", "&quot;"), ("'", "&#39;"), ("<", "&lt;"), (">", "&gt;"), ("&", "&amp;"),
        ]
    )
    func combiningMarks(_ special: String, _ entity: String) {
        let input = special + "\u{301} onmouseover=alert(1)"
        let expected = entity + "\u{301} onmouseover=alert(1)"
        let output = HTML.escape(input)
        #expect(Array(output.utf8) == Array(expected.utf8))
    }

    @Test("interpolation escapes values and passes Markup through")
    func interpolation() {
        let name = "<script>alert(1)</script>"
        let inner: Markup = "<b>bold</b>"
        let page: Markup = "<p>\(name)</p>\(inner)<i>\(42)</i>"
        #expect(page.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><b>bold</b><i>42</i>")
        #expect(Markup(unsafeRaw: "<br>").html == "<br>")
    }
}
