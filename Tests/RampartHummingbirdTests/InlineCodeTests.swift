import Foundation
import HTTPTypes
import Rampart
import RampartMustache
import Testing

@Suite("SafeMustache: nonces stamped, static inline blocks hashed, nonces drawn only when used")
struct InlineCodeTests {
    static let nonce = "QUFBQUFBQUFBQUFBQUFBQQ=="

    /// Template, what a rendering with a nonce contains, the script hashes, the style hashes,
    /// whether the nonce is drawn.
    static let cases: [(String, String, [String], [String], Bool)] = [
        ("<script>go()</script>", "<script>go()</script>", ["go()"], [], false),
        ("<SCRIPT type=module>go()</SCRIPT>", "<SCRIPT type=module>go()</SCRIPT>", ["go()"], [], false),
        ("<script>a()\r\nb()\rc()</script>", "<script>a()\r\nb()\rc()</script>", ["a()\nb()\nc()"], [], false),
        ("<style>p { color: red }</style>", "<style>p { color: red }</style>", [], ["p { color: red }"], false),
        ("<script src=\"/app.js\"></script>", "<script src=\"/app.js\"></script>", [], [], false),
        ("<script src=app.js></script>", "<script src=app.js></script>", [], [], false),
        (
            "<script src=\"https://cdn.example/x.js\"></script>", "<script nonce=\"\(nonce)\" src=\"https://cdn.example/x.js\"></script>", [],
            [], true
        ),
        ("<script src=\"//cdn.example/x.js\"></script>", "<script nonce=\"\(nonce)\" src=\"//cdn.example/x.js\"></script>", [], [], true),
        ("<script nonce=\"{{cspNonce}}\">x()</script>", "<script nonce=\"\(nonce)\">x()</script>", [], [], true),
        (
            "<link rel=\"stylesheet\" href=\"https://fonts.example/a.css\">",
            "<link nonce=\"\(nonce)\" rel=\"stylesheet\" href=\"https://fonts.example/a.css\">",
            [], [], true
        ),
        ("<link rel=\"stylesheet\" href=\"/a.css\">", "<link rel=\"stylesheet\" href=\"/a.css\">", [], [], false),
        (
            "<link rel=preload as=script href=\"https://cdn.example/x.js\">",
            "<link nonce=\"\(nonce)\" rel=preload as=script href=\"https://cdn.example/x.js\">",
            [], [], true
        ),
        ("<link rel=\"icon\" href=\"https://cdn.example/i.png\">", "<link rel=\"icon\" href=\"https://cdn.example/i.png\">", [], [], false),
        ("<!-- <script>x()</script> --><p>hi</p>", "<p>hi</p>", [], [], false),
        ("<scripts>not a script</scripts>", "<scripts>not a script</scripts>", [], [], false),
    ]

    @Test("each kind of tag", arguments: cases)
    func prepare(template: String, rendered: String, scripts: [String], styles: [String], drawsNonce: Bool) throws {
        let engine = try SafeMustache(templates: ["page": template])
        var expected = CSPInlineHashes()
        for script in scripts { expected.addScript(script) }
        for style in styles { expected.addStyle(style) }
        #expect(engine.inlineHashes(of: "page") ?? CSPInlineHashes() == expected)

        let slot = LazyCSPNonce()
        let html = try #require(engine.render("page", [:], request: SafeMustache.RequestValues(lazyNonce: slot, csrf: nil)))
        let drawn = slot.nonceIfUsed
        #expect((drawn != nil) == drawsNonce)
        #expect(html.contains(rendered.replacingOccurrences(of: Self.nonce, with: drawn?.value ?? "none")), "\(html)")
        #expect(slot.hashes == expected)
    }

    @Test("a nonce other than {{cspNonce}} is refused at load")
    func wrongNonce() {
        #expect {
            _ = try SafeMustache(templates: ["page": "<p>x</p>\n<script nonce=\"abc\">go()</script>"])
        } throws: { error in
            guard let error = error as? TemplateSecurityError else { return false }
            return error.reason == "nonceMismatch" && error.template == "page" && error.line == 2
        }
    }

    @Test("a page whose inline blocks are all static: hashes in the CSP, no nonce drawn, cacheable")
    func staticPage() throws {
        let engine = try SafeMustache(templates: [
            "page": "<title>t</title>{{> scripts}}<style>b{}</style>",
            "scripts": "<script>one()</script>",
        ])
        let slot = LazyCSPNonce()
        _ = try #require(engine.render("page", [:], request: SafeMustache.RequestValues(lazyNonce: slot, csrf: nil), cacheKey: "k"))
        var fields = HTTPFields()
        fields[.cacheControl] = "public, max-age=300"
        try SecurityHeaders.strict.rendered().apply(to: &fields, slot: slot, isSecure: true, status: .ok)
        #expect(slot.nonceIfUsed == nil)
        #expect(
            fields[.contentSecurityPolicy]
                == "default-src 'none'; script-src 'self' \(CSPSource.hash(of: "one()")); style-src 'self' \(CSPSource.hash(of: "b{}")); img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; upgrade-insecure-requests"
        )
        #expect(fields[.cacheControl] == "public, max-age=300", "hashes alone leave the page cacheable")

        // The same page with a script from another site: the nonce is drawn, and the page is no-store.
        let external = try SafeMustache(templates: ["page": "<script>one()</script><script src=\"https://cdn.example/a.js\"></script>"])
        let other = LazyCSPNonce()
        let html = try #require(external.render("page", [:], request: SafeMustache.RequestValues(lazyNonce: other, csrf: nil)))
        let nonce = try #require(other.nonceIfUsed)
        #expect(html == "<script>one()</script><script nonce=\"\(nonce.value)\" src=\"https://cdn.example/a.js\"></script>")
        var otherFields = HTTPFields()
        try SecurityHeaders.strict.rendered().apply(to: &otherFields, slot: other, isSecure: true, status: .ok)
        #expect(
            otherFields[.contentSecurityPolicy]?.hasPrefix(
                "default-src 'none'; script-src 'self' 'nonce-\(nonce.value)' \(CSPSource.hash(of: "one()"));"
            ) == true
        )
        #expect(otherFields[.cacheControl] == "no-store")
    }
}
