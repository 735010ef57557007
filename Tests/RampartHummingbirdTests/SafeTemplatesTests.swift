import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import Testing

@Suite("Safe Mustache templates")
struct SafeTemplatesTests {
    @Test(
        "dangerous contexts are refused at load, naming template, line and reason",
        arguments: [
            (
                "<p>ok</p>\n<script>var x = {{x}};</script>",
                "t:2: {{x}} is inside <script>, where HTML escaping does not apply; pass data in a quoted data-* attribute and read it from the element (inScript)"
            ),
            (
                "<style>\nbody { color: {{color}} }</style>",
                "t:2: {{color}} is inside <style>, where HTML escaping does not apply; pass data in a quoted data-* attribute and read it from the element (inStyle)"
            ),
            ("<a onclick=\"go('{{x}}')\">x</a>", "t:1: {{x}} is inside the event-handler attribute onclick, which runs as script (inEventHandler)"),
            (
                "<div ONMOUSEOVER='{{x}}'></div>",
                "t:1: {{x}} is inside the event-handler attribute onmouseover, which runs as script (inEventHandler)"
            ),
            ("<p style=\"color: {{c}}\"></p>", "t:1: {{c}} is inside a style attribute, where CSS can load URLs and break out (inStyleAttribute)"),
            (
                "<input value={{v}}>",
                "t:1: {{v}} is in an unquoted attribute value; quote it with \" so a space cannot start a new attribute (unquotedAttribute)"
            ),
            (
                "<input value=a{{v}}>",
                "t:1: {{v}} is in an unquoted attribute value; quote it with \" so a space cannot start a new attribute (unquotedAttribute)"
            ),
            ("<!-- {{note}} -->", "t:1: {{note}} is inside an HTML comment, where it could end the comment (inComment)"),
            ("<div {{attrs}}></div>", "t:1: {{attrs}} is inside a tag outside any attribute value, where it could add attributes (inTag)"),
            ("<{{tag}}>", "t:1: {{tag}} is inside a tag outside any attribute value, where it could add attributes (inTag)"),
            ("{{=<% %>=}}", "t:1: {{=<% %>=}} changes the delimiters, which the context check does not follow (delimiterChange)"),
            (
                "{{% CONTENT_TYPE: TEXT}}{{x}}",
                "t:1: {{% CONTENT_TYPE: TEXT}} sets a pragma; Rampart chooses the content type, and TEXT would turn escaping off (contentTypeChange)"
            ),
            (
                "<script>{{{raw}}}</script>",
                "t:1: {{{raw}}} is inside <script>, where HTML escaping does not apply; pass data in a quoted data-* attribute and read it from the element (inScript)"
            ),
            ("<p>{{x</p>", "t:1: {{x</p> is not closed (unclosedTag)"),
            // Review findings (issue 14, item 4).
            (
                "<iframe srcdoc=\"{{bio}}\"></iframe>",
                "t:1: {{bio}} is inside srcdoc, whose decoded value is the markup of a same-origin frame (inHTMLAttribute)"
            ),
            (
                "<script></scriptx>{{x}}</script>",
                "t:1: {{x}} is inside <script>, where HTML escaping does not apply; pass data in a quoted data-* attribute and read it from the element (inScript)"
            ),
            (
                "<script><!--<script>x</script>--></script>{{x}}",
                "t:1: <!-- is a comment opener inside <script>, where the tokenizer's escaped states change where the script ends (escapedRawText)"
            ),
            (
                "<meta http-equiv=refresh content=\"0;url={{x}}\">",
                "t:1: {{x}} is inside the content of <meta http-equiv=refresh>, a URL no filter sees (inMetaRefresh)"
            ),
            (
                "<meta content=\"0;url={{x}}\" http-equiv=\"Refresh\">",
                "t:1: {{x}} is inside the content of <meta http-equiv=refresh>, a URL no filter sees (inMetaRefresh)"
            ),
            (
                "<meta http-equiv=\"{{x}}\" content=\"0\">",
                "t:1: {{x}} is inside <meta http-equiv>, which could make the page refresh to a URL (inHTMLAttribute)"
            ),
            ("<p>ok</p><script>", "t:1: (end) is inside <script>; every template and partial must end in HTML text (endsInContext)"),
            ("<a href=\"", "t:1: (end) is inside an attribute value; every template and partial must end in HTML text (endsInContext)"),
            ("<div title=\"{{x}}\"", "t:1: (end) is inside a tag; every template and partial must end in HTML text (endsInContext)"),
        ]
    )
    func refused(_ source: String, _ description: String) {
        let error = #expect(throws: TemplateSecurityError.self) { try SafeTemplates(templates: ["t": source]) }
        #expect(error?.description == description)
    }

    static let templates = try! SafeTemplates(templates: [
        "page": """
        <p title="{{title}}">{{body}}</p><a href="{{link}}">l</a><a href="/users/{{id}}">u</a><img srcset="{{src}}">\
        <div>{{{html}}}</div><div>{{{text}}}</div>{{#items}}<li data-x="{{.}}">{{.}}</li>{{/items}}{{> footer}}
        """,
        "footer": "<footer>{{body}}</footer>",
        "form": "<script nonce=\"{{cspNonce}}\">1</script><form method=\"post\">{{csrfField}}</form>{{csrfMeta}}",
        "kept": "<p>{{name}}</p><script nonce=\"{{cspNonce}}\">1</script><form>{{csrfField}}</form><form>{{csrfField}}</form>{{csrfMeta}}",
    ])

    @Test("values are escaped by bytes, URLs filtered, Markup passed through, triple-mustache text escaped")
    func rendering() throws {
        let breakout = "\"\u{301} onmouseover=alert(1) x=\""
        let html = try #require(
            Self.templates.render(
                "page",
                [
                    "title": breakout,
                    "body": "<script>alert(1)</script>",
                    "link": "javascript:alert(1)",
                    "id": "42?a=1&b=2",
                    "src": "java\tscript:alert(1)",
                    "html": Markup("<b>trusted</b>"),
                    "text": "<i>not trusted</i>",
                    "items": ["<x>", "'y'"],
                ]
            )
        )
        let expected =
            "<p title=\"&quot;\u{301} onmouseover=alert(1) x=&quot;\">&lt;script&gt;alert(1)&lt;/script&gt;</p><a href=\"about:invalid#rampart\">l</a><a href=\"/users/42?a=1&amp;b=2\">u</a><img srcset=\"about:invalid#rampart\"><div><b>trusted</b></div><div>&lt;i&gt;not trusted&lt;/i&gt;</div><li data-x=\"&lt;x&gt;\">&lt;x&gt;</li><li data-x=\"&#39;y&#39;\">&#39;y&#39;</li><footer>&lt;script&gt;alert(1)&lt;/script&gt;</footer>"
        #expect(Array(html.utf8) == Array(expected.utf8))
    }

    @Test(
        "every variable in a URL attribute is filtered unless literal text outside sections put a / ? or # before it",
        arguments: [
            (#"<a href="{{base}}{{u}}">x</a>"#, ["base": "", "u": "javascript:alert(1)"], #"<a href="about:invalid#rampart">x</a>"#),
            (#"<a href="{{^abs}}/{{/abs}}{{u}}">x</a>"#, ["abs": true, "u": "javascript:alert(1)"], #"<a href="about:invalid#rampart">x</a>"#),
            (#"<a href="{{#abs}}/{{/abs}}{{u}}">x</a>"#, ["abs": false, "u": "javascript:alert(1)"], #"<a href="about:invalid#rampart">x</a>"#),
            (#"<a href="/users/{{u}}">x</a>"#, ["u": "javascript:alert(1)"], #"<a href="/users/javascript:alert(1)">x</a>"#),
            (#"<a href="?q={{u}}">x</a>"#, ["u": "javascript:x"], #"<a href="?q=javascript:x">x</a>"#),
            (#"<a href="{{u}}#top">x</a>"#, ["u": "javascript:alert(1)"], #"<a href="about:invalid#rampart#top">x</a>"#),
        ] as [(String, [String: any Sendable], String)]
    )
    func urlAttributes(_ source: String, _ values: [String: any Sendable], _ expected: String) throws {
        let templates = try SafeTemplates(templates: ["t": source])
        #expect(try templates.render("t", values) == expected)
    }

    @Test("a partial is checked on its own and must end in HTML text, so it cannot leave the includer in a script")
    func partials() {
        let error = #expect(throws: TemplateSecurityError.self) {
            try SafeTemplates(templates: ["open": "<script>", "page": "{{> open}}{{x}}</script>"])
        }
        #expect(error?.template == "open")
        #expect(error?.reason == "endsInContext")
    }

    @Test("a forged Markup marker in input is removed, not honoured")
    func forgedMarker() throws {
        let html = try #require(Self.templates.render("footer", ["body": "\u{E000}x\u{E001}<script>\u{E002}x\u{E003}"]))
        #expect(html == "<footer>x&lt;script&gt;x</footer>")
    }

    @Test("slot markers in input are removed too: no value can become a per-request slot")
    func forgedSlot() throws {
        let html = try #require(Self.templates.render("footer", ["body": "a\u{E004}b\u{E005}c\u{E006}\u{E007}<"]))
        #expect(html == "<footer>abc&lt;</footer>")
    }

    @Test("a kept rendering is reused with a fresh nonce and fresh tokens in every response; the key decides the content")
    func keptRendering() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: try SecurityHeadersMiddleware(transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)))
        router.add(
            middleware: SessionMiddleware(
                manager: SessionManager(
                    configuration: try SessionConfiguration(backend: .store(InMemorySessionStore())),
                    keyRing: try KeyRing(current: .generate())
                )
            )
        )
        router.add(middleware: CSRFMiddleware(configuration: try CSRFConfiguration()))
        router.get("/kept") { request, context in
            let name = request.uri.queryParameters["name"].map(String.init) ?? "?"
            return try Self.templates.render("kept", ["name": name], context: context, cacheKey: name)
        }
        try await Application(router: router).test(.router) { client in
            var nonces = Set<String>()
            var tokens = Set<String>()
            for _ in 0..<3 {
                let response = try await client.execute(uri: "/kept?name=%3Cb%3Eada", method: .get)
                let body = String(buffer: response.body)
                let csp = try #require(response.headers[.contentSecurityPolicy])
                let nonce = String(csp[try #require(csp.firstRange(of: "'nonce-")).upperBound...].prefix { $0 != "'" })
                nonces.insert(nonce)
                #expect(
                    body.hasPrefix("<p>&lt;b&gt;ada</p><script nonce=\"\(nonce)\">1</script><form><input type=\"hidden\" name=\"_csrf\" value=\"")
                )
                #expect(!body.unicodeScalars.contains { (0xE000...0xE007).contains($0.value) })
                for range in body.ranges(of: "value=\"") { tokens.insert(String(body[range.upperBound...].prefix { $0 != "\"" })) }
                for range in body.ranges(of: "content=\"") { tokens.insert(String(body[range.upperBound...].prefix { $0 != "\"" })) }
                #expect(response.headers[.cacheControl] == "no-store")
            }
            #expect(nonces.count == 3)
            // Two fields and a meta tag per page, each token fresh.
            #expect(tokens.count == 9)
            let other = String(buffer: try await client.execute(uri: "/kept?name=bob", method: .get).body)
            #expect(other.hasPrefix("<p>bob</p>"))
        }
    }

    @Test("every render gets the nonce and the CSRF field and meta tag")
    func injectedValues() async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: try SecurityHeadersMiddleware(transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)))
        router.add(
            middleware: SessionMiddleware(
                manager: SessionManager(
                    configuration: try SessionConfiguration(backend: .store(InMemorySessionStore())),
                    keyRing: try KeyRing(current: .generate())
                )
            )
        )
        router.add(middleware: CSRFMiddleware(configuration: try CSRFConfiguration()))
        router.get("/form") { _, context in try Self.templates.render("form", [:], context: context) }
        router.get("/missing") { _, context in try Self.templates.render("nope", [:], context: context) }
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/form", method: .get)
            let body = String(buffer: response.body)
            let csp = try #require(response.headers[.contentSecurityPolicy])
            let start = try #require(csp.firstRange(of: "'nonce-")).upperBound
            let nonce = String(csp[start...].prefix { $0 != "'" })
            #expect(body.hasPrefix("<script nonce=\"\(nonce)\">1</script><form method=\"post\"><input type=\"hidden\" name=\"_csrf\" value=\""))
            #expect(body.contains("<meta name=\"csrf-token\" content=\""))
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[.cacheControl] == "no-store")
            let missing = try await client.execute(uri: "/missing", method: .get)
            #expect(missing.status == .internalServerError)
        }
    }
}
