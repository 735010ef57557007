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
