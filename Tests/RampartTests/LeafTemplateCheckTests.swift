import Rampart
import Testing

@Suite("TemplateContextCheck.checkLeaf")
struct LeafTemplateCheckTests {
    static let rules = TemplateContextCheck.LeafRules(
        textTag: "rampartText",
        urlTag: "rampartURL",
        markupTags: ["csrfField"],
        refusedTags: ["unsafeHTML": "writes data as markup"],
        knownTags: ["csrfField", "cspNonce", "lowercased", "date", "rampartText", "rampartURL"]
    )

    static func check(_ source: String) throws(TemplateSecurityError) -> String {
        try TemplateContextCheck.checkLeaf(source, name: "page.leaf", rules: rules)
    }

    /// Templates that pass, and what they are rewritten to.
    @Test(arguments: [
        ("<p>#(name)</p>", "<p>#rampartText(name)</p>"),
        ("<p title=\"#(title)\">x</p>", "<p title=\"#rampartText(title)\">x</p>"),
        ("<a href=\"#(url)\">x</a>", "<a href=\"#rampartURL(url)\">x</a>"),
        ("<a href='#(url)'>x</a>", "<a href='#rampartURL(url)'>x</a>"),
        ("<img src=\"#(a.b)\">", "<img src=\"#rampartURL(a.b)\">"),
        // After a literal `/`, `?` or `#` the output is a path or query part: text.
        ("<a href=\"/users/#(id)\">x</a>", "<a href=\"/users/#rampartText(id)\">x</a>"),
        ("<a href=\"?q=#(q)\">x</a>", "<a href=\"?q=#rampartText(q)\">x</a>"),
        // A named output tag in a URL attribute is wrapped.
        ("<a href=\"#lowercased(url)\">x</a>", "<a href=\"#rampartURL(lowercased(url))\">x</a>"),
        // An unregistered bare name is text to LeafKit: `#top` stays.
        ("<a href=\"#top\">up</a>", "<a href=\"#top\">up</a>"),
        ("<p>Issue #5 and #hashtag</p>", "<p>Issue #5 and #hashtag</p>"),
        // `\#` prints `#`.
        ("<p>\\#(name)</p>", "<p>\\#(name)</p>"),
        // Parentheses and `)` inside a string literal do not end the tag.
        ("<p>#(a + \")\" + b)</p>", "<p>#rampartText(a + \")\" + b)</p>"),
        ("<p>#(\"say \\\"hi\\\"\")</p>", "<p>#rampartText(\"say \\\"hi\\\"\")</p>"),
        // `#(x):` has no body; the colon is text.
        ("<p>#(x):</p>", "<p>#rampartText(x):</p>"),
        // Blocks, in text and in attribute values.
        (
            "#if(user):<b>#(user.name)</b>#elseif(guest):guest#else:<i>none</i>#endif",
            "#if(user):<b>#rampartText(user.name)</b>#elseif(guest):guest#else:<i>none</i>#endif"
        ),
        ("<ul>#for(item in items):<li>#(item)</li>#endfor</ul>", "<ul>#for(item in items):<li>#rampartText(item)</li>#endfor</ul>"),
        ("<p class=\"#if(on):on#endif\">x</p>", "<p class=\"#if(on):on#endif\">x</p>"),
        // Nonce, CSRF field, extend and export in their places.
        ("<script nonce=\"#cspNonce()\">go()</script>", "<script nonce=\"#cspNonce()\">go()</script>"),
        ("<form method=\"post\">#csrfField()</form>", "<form method=\"post\">#csrfField()</form>"),
        (
            "#extend(\"base\"):#export(\"body\"):<p>#(x)</p>#endexport#endextend",
            "#extend(\"base\"):#export(\"body\"):<p>#rampartText(x)</p>#endexport#endextend"
        ),
        ("<main>#import(\"body\")</main>", "<main>#import(\"body\")</main>"),
        // Non-ASCII text, in and out of string literals.
        ("<p>héllo #(\"wörld\")</p>", "<p>héllo #rampartText(\"wörld\")</p>"),
    ])
    func accepted(source: String, rewritten: String) throws {
        #expect(try Self.check(source) == rewritten)
    }

    /// Templates refused, with the reason.
    @Test(arguments: [
        ("<script>var n = #(name)</script>", "inScript"),
        ("<script>var n = \"#lowercased(name)\"</script>", "inScript"),
        ("<style>p { color: #(c) }</style>", "inStyle"),
        ("<textarea>#(x)</textarea><xmp>#(x)</xmp>", "inRawText"),
        ("<button onclick=\"go('#(x)')\">x</button>", "inEventHandler"),
        ("<p style=\"color: #(c)\">x</p>", "inStyleAttribute"),
        ("<iframe srcdoc=\"#(html)\"></iframe>", "inHTMLAttribute"),
        ("<p title=#(t)>x</p>", "unquotedAttribute"),
        ("<!-- #(note) -->", "inComment"),
        ("<p #(attrs)>x</p>", "inTag"),
        ("<meta http-equiv=\"refresh\" content=\"0; url=#(u)\">", "inMetaRefresh"),
        ("<p>#unsafeHTML(bio)</p>", "refusedTag"),
        ("<input value=\"#csrfField()\">", "markupInContext"),
        ("<p title=\"#import(\"x\")\">x</p>", "partialInContext"),
        ("<p title=\"#extend(\"x\"):#endextend\">x</p>", "partialInContext"),
        ("#extend(\"base\"):#export(\"a\"):<script>#endexport#endextend", "exportEndsInContext"),
        ("#if(x):<p>", "unclosedTag"),
        ("<p>#(x</p>", "unclosedTag"),
        ("#endif", "malformedTag"),
        ("<p>#(naïve)</p>", "malformedTag"),
        ("<p>#(a\nb)</p>", "malformedTag"),
        ("<p>#(\"a\nb\")</p>", "malformedTag"),
        // A combining mark after `#` or `)` joins it into another Character for LeafKit.
        ("<p>#\u{301}(x)</p>", "malformedTag"),
        ("<p>#(x)\u{301}</p>", "malformedTag"),
        ("<p title=\"#(x)>", "endsInContext"),
        ("<script>", "endsInContext"),
    ])
    func refused(source: String, reason: String) {
        #expect {
            try Self.check(source)
        } throws: { error in
            (error as? TemplateSecurityError)?.reason == reason
        }
    }

    @Test func errorNamesTheTemplateLineAndTag() {
        do {
            _ = try Self.check("<p>ok</p>\n<p>#(a)</p>\n<script>#(secret)</script>")
            Issue.record("not refused")
        } catch {
            #expect(error.template == "page.leaf")
            #expect(error.line == 3)
            #expect(error.tag == "#(secret)")
            #expect(
                error.description
                    == "page.leaf:3: #(secret) is inside <script>, where HTML escaping does not apply; pass data in a quoted data-* attribute and read it from the element (inScript)"
            )
        }
    }
}
