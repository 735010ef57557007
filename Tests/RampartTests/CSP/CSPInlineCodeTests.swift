import Rampart
import Testing

@Suite("CSPInlineCode with an engine's syntax")
struct CSPInlineCodeTests {
    /// A syntax like Leaf's: `#nonce()`, `#` marks templated text, each hash announced.
    static let syntax = CSPInlineCode.Syntax(
        nonceExpression: "#nonce()",
        expressionDelimiters: nil,
        templatedMarkers: ["#", "\\"],
        hashAnnouncement: { isScript, hash in "[\(isScript ? "s" : "c") \(hash)]" }
    )

    static func h(_ text: String) -> String { CSPSource.hash(of: text).description }

    /// Template → prepared text.
    static let cases: [(String, String)] = [
        ("<script>go()</script>", "[s \(h("go()"))]<script>go()</script>"),
        ("<style>p{}</style>", "[c \(h("p{}"))]<style>p{}</style>"),
        ("<p>\\\\<script>go()</script>", "<p>[s \(h("go()"))]\\\\<script>go()</script>"),
        ("<script>a.#b()</script>", "<script nonce=\"#nonce()\">a.#b()</script>"),
        ("<script>'\\n'</script>", "<script nonce=\"#nonce()\">'\\n'</script>"),
        ("<script src=\"https://cdn.example/a.js\"></script>", "<script nonce=\"#nonce()\" src=\"https://cdn.example/a.js\"></script>"),
        ("<script src=\"/a.js\"></script>", "<script src=\"/a.js\"></script>"),
        ("<script src=\"#url()\"></script>", "<script nonce=\"#nonce()\" src=\"#url()\"></script>"),
        ("<script nonce=\"#nonce()\">go()</script>", "<script nonce=\"#nonce()\">go()</script>"),
        ("<!-- <script>x()</script> -->", "<!-- <script>x()</script> -->"),
        ("<script>a()\r\nb()</script>", "[s \(h("a()\nb()"))]<script>a()\r\nb()</script>"),
        // Tags written inside script or style code are code: the block is hashed whole and
        // its text left as it is (a nonce added inside would change the hashed text).
        (
            "<script>w(\"<script src=https://cdn.example/a.js></scr\" + \"ipt>\")</script>",
            "[s \(h("w(\"<script src=https://cdn.example/a.js></scr\" + \"ipt>\")"))]<script>w(\"<script src=https://cdn.example/a.js></scr\" + \"ipt>\")</script>"
        ),
        ("<script>s = '<style>p{}'</script>", "[s \(h("s = '<style>p{}'"))]<script>s = '<style>p{}'</script>"),
        (
            "<style>p::after{content:'<link rel=stylesheet href=//x>'}</style>",
            "[c \(h("p::after{content:'<link rel=stylesheet href=//x>'}"))]<style>p::after{content:'<link rel=stylesheet href=//x>'}</style>"
        ),
        ("<script src=\"/a.js\"><script>x()</script>", "<script src=\"/a.js\"><script>x()</script>"),
        // </scripts is not an end tag: the block runs to </script>.
        ("<script>a='</scripts>'</script>", "[s \(h("a='</scripts>'"))]<script>a='</scripts>'</script>"),
        // Text-only elements: what looks like a tag in them is text, left alone.
        ("<textarea><script>go()</script></textarea>", "<textarea><script>go()</script></textarea>"),
        ("<TITLE><style>p{}</style></Title>", "<TITLE><style>p{}</style></Title>"),
        ("<xmp><link rel=stylesheet href=https://cdn.example/a.css></xmp>", "<xmp><link rel=stylesheet href=https://cdn.example/a.css></xmp>"),
        ("<iframe><script>go()</script></iframe><script>b()</script>", "<iframe><script>go()</script></iframe>[s \(h("b()"))]<script>b()</script>"),
        ("<plaintext></plaintext><script>go()</script>", "<plaintext></plaintext><script>go()</script>"),
        ("<textarea>", "<textarea>"),
        // <noscript> is parsed when scripting is off, so what loads in it gets the nonce.
        (
            "<noscript><link rel=stylesheet href=https://cdn.example/a.css></noscript>",
            "<noscript><link nonce=\"#nonce()\" rel=stylesheet href=https://cdn.example/a.css></noscript>"
        ),
        // <textareas> is not <textarea>.
        ("<textareas><script>go()</script>", "<textareas>[s \(h("go()"))]<script>go()</script>"),
    ]

    @Test("nonces stamped, static blocks hashed and announced", arguments: cases)
    func prepared(source: String, expected: String) throws {
        let prepared = try CSPInlineCode.prepare(source, name: "t", syntax: Self.syntax)
        #expect(prepared.source == expected)
    }

    @Test("a nonce other than the syntax's expression is refused, with its line")
    func mismatch() {
        #expect {
            _ = try CSPInlineCode.prepare("<p>\n\n<style nonce=\"{{cspNonce}}\">p{}</style>", name: "t", syntax: Self.syntax)
        } throws: { error in
            guard let error = error as? TemplateSecurityError else { return false }
            return error.template == "t" && error.line == 3 && error.reason == "nonceMismatch"
        }
    }

    @Test("hashes added by value: only hash sources, never a keyword or a digest that could end the header")
    func hashesByValue() {
        var hashes = CSPInlineHashes()
        hashes.addScript(hash: .sha256(base64: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="))
        hashes.addScript(hash: .unsafeInline)
        hashes.addScript(hash: .sha256(base64: "x'; script-src *"))
        hashes.addStyle(hash: .sha256(base64: "a\r\nSet-Cookie: x=1"))
        hashes.addStyle(hash: .sha256(base64: ""))
        hashes.addStyle(hash: .host("evil.example"))
        #expect(hashes.script == ["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"])
        #expect(hashes.style.isEmpty)
    }
}
