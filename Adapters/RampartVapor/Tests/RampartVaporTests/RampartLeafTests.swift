import Foundation
import Leaf
import LeafKit
import NIOCore
import Rampart
import RampartSQLite
import RampartVapor
import Testing
import Vapor
import VaporTesting

@testable import RampartLeaf

@Suite("RampartLeaf")
struct RampartLeafTests {
    /// A views directory holding `files`.
    static func views(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-leaf-\(UUID().uuidString)")
        for (name, text) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return dir.path + "/"
    }

    static func withLeafApp(
        _ files: [String: String],
        options: RampartLeaf.Options = .init(),
        _ body: (Application) async throws -> Void
    ) async throws {
        let root = try views(files)
        try await withApp { app in
            app.leaf.configuration = LeafConfiguration(rootDirectory: root)
            RampartLeaf.install(on: app, options)
            try await body(app)
        }
    }

    static let page = "<p>#(v)</p><p title=\"#(v)\">x</p><a href=\"/u/#(v)\">y</a>"

    /// Values whose text LeafKit and Rampart must print the same way (both escape the same five
    /// characters to the same entities); Rampart only does it on bytes.
    static let values: [LeafData] = [
        .string("<script>alert('x') & \"q\"</script>"),
        .string("e\u{301}\"\u{301}'\u{301}<\u{338}"),
        .string("plain ascii"),
        .string("日本語 <b>"),
        .string(""),
        .int(42),
        .double(3.5),
        .bool(true),
        .array([.string("a<"), .int(1), .bool(false)]),
        .dictionary(["k": .string("<v>")]),
        .string(nil),
        .data(Data("raw <bytes>".utf8)),
    ]

    @Test("#(x) prints what stock LeafKit prints, escaped through Rampart", arguments: values)
    func sameTextAsLeafKit(value: LeafData) async throws {
        try await Self.withLeafApp(["page.leaf": Self.page]) { app in
            let stock = LeafRenderer(
                configuration: app.leaf.configuration,
                tags: LeafKit.defaultTags,
                cache: DefaultLeafCache(),
                sources: .singleSource(
                    NIOLeafFiles(
                        fileio: app.fileio,
                        limits: .default,
                        sandboxDirectory: app.leaf.configuration.rootDirectory,
                        viewDirectory: app.leaf.configuration.rootDirectory
                    )
                ),
                eventLoop: app.eventLoopGroup.next()
            )
            let expected = String(buffer: try await stock.render(path: "page", context: ["v": value]).get())
            let rendered = String(buffer: try await app.leaf.renderer.render(path: "page", context: ["v": value]).get())
            #expect(rendered == expected)
            #expect(!rendered.contains("<script>"))
        }
    }

    @Test(
        "an output at the start of a URL attribute is filtered",
        arguments: [
            ("javascript:alert(1)", "about:invalid#rampart"),
            ("  JaVa\tScript:alert(1)", "about:invalid#rampart"),
            ("data:text/html,<b>", "about:invalid#rampart"),
            ("https://example.com/?a=1&b=\"2\"", "https://example.com/?a=1&amp;b=&quot;2&quot;"),
            ("/relative/path", "/relative/path"),
        ]
    )
    func urlFiltered(url: String, expected: String) async throws {
        try await Self.withLeafApp(["link.leaf": "<a href=\"#(u)\">a</a><a href=\"#lowercased(u)\">b</a>"]) { app in
            let html = String(buffer: try await app.leaf.renderer.render(path: "link", context: ["u": .string(url)]).get())
            #expect(html == "<a href=\"\(expected)\">a</a><a href=\"\(expected.lowercased())\">b</a>")
        }
    }

    @Test("a refused template fails the render with its reason, and stops the app at boot")
    func refusedAtLoadAndBoot() async throws {
        let files = ["ok.leaf": "<p>#(x)</p>", "partials/bad.leaf": "<p>fine</p>\n<script>var x = #(x)</script>"]
        try await Self.withLeafApp(files, options: .init(checkAllTemplatesAtBoot: false)) { app in
            // LeafKit reports any failed load as a missing template; the reason is logged.
            await #expect(throws: LeafError.self) {
                _ = try await app.leaf.renderer.render(path: "partials/bad", context: ["x": "1"]).get()
            }
            let ok = String(buffer: try await app.leaf.renderer.render(path: "ok", context: ["x": "<i>"]).get())
            #expect(ok == "<p>&lt;i&gt;</p>")
        }
        try await Self.withLeafApp(files) { app in
            await #expect {
                try await app.asyncBoot()
            } throws: { error in
                guard let error = error as? TemplateSecurityError else { return false }
                return error.template == "partials/bad.leaf" && error.line == 2 && error.reason == "inScript"
            }
        }
    }

    @Test("#unsafeHTML is refused unless dangerouslyAllowUnsafeHTML, and then only in HTML text")
    func unsafeHTML() async throws {
        let files = ["u.leaf": "<div>#unsafeHTML(bio)</div>"]
        try await Self.withLeafApp(files, options: .init(checkAllTemplatesAtBoot: false)) { app in
            await #expect(throws: LeafError.self) {
                _ = try await app.leaf.renderer.render(path: "u", context: ["bio": "<b>hi</b>"]).get()
            }
            #expect {
                try RampartLeaf.checkTemplates(in: app.leaf.configuration.rootDirectory, tags: app.leaf.tags)
            } throws: { error in
                (error as? TemplateSecurityError)?.reason == "refusedTag"
            }
        }
        try await Self.withLeafApp(files, options: .init(dangerouslyAllowUnsafeHTML: true)) { app in
            let html = String(buffer: try await app.leaf.renderer.render(path: "u", context: ["bio": "<b>hi</b>"]).get())
            #expect(html == "<div><b>hi</b></div>")
            #expect(throws: TemplateSecurityError.self) {
                try RampartLeaf.checkTemplates(
                    in: try Self.views(["a.leaf": "<p title=\"#unsafeHTML(bio)\">x</p>"]),
                    tags: app.leaf.tags,
                    options: .init(dangerouslyAllowUnsafeHTML: true)
                )
            }
        }
    }

    @Test("#cspNonce() is the response's nonce and #csrfField() posts")
    func nonceAndCSRF() async throws {
        let ring = try KeyRing(current: .generate())
        let database = try RampartDatabase(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-leaf-\(UUID().uuidString)/db.sqlite").path
        )
        let sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(SQLiteSessionStore(database: database))), keyRing: ring)
        let csrf = try CSRFConfiguration(crossOrigin: try CrossOriginProtection(trustedOrigins: []), mode: .tokens)
        let files = [
            "form.leaf": """
            <script nonce="#cspNonce()">go()</script>
            <form method="post" action="/echo">#csrfField()<input name="text"></form>
            """
        ]
        try await Self.withLeafApp(files) { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            app.middleware.use(RampartSessionMiddleware(manager: sessions))
            app.middleware.use(RampartCSRFMiddleware(configuration: csrf))
            app.get("form") { req in try await req.view.render("form") }
            app.post("echo") { _ in "posted" }
            var cookie = ""
            var token = ""
            try await app.testing().test(.GET, "form", headers: ["Host": "localhost"]) { res in
                #expect(res.status == .ok)
                let html = res.body.string
                let nonce = RampartSecurityMiddlewareTests.nonce(in: res.headers.first(name: "Content-Security-Policy"))
                #expect(nonce != nil)
                #expect(html.contains("<script nonce=\"\(nonce ?? "-")\">go()</script>"))
                #expect(res.headers.first(name: "Cache-Control") == "no-store")
                token = RampartCSRFMiddlewareTests.token(in: html) ?? ""
                cookie =
                    res.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("__Host-session=") }.map { String($0.prefix { $0 != ";" }) } ?? ""
            }
            #expect(!token.isEmpty && !cookie.isEmpty)
            let form: HTTPHeaders = [
                "Host": "localhost", "Sec-Fetch-Site": "same-origin", "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
            ]
            try await app.testing().test(.POST, "echo", headers: form, body: ByteBuffer(string: "_csrf=\(token)&text=hi")) { res in
                #expect(res.status == .ok)
                #expect(res.body.string == "posted")
            }
            try await app.testing().test(.POST, "echo", headers: form, body: ByteBuffer(string: "text=hi")) { res in
                #expect(res.status == .forbidden)
            }
        }
    }

    /// The `'sha256-…'` source of a block's text, as the browser computes it.
    static func hash(_ text: String) -> String { CSPSource.hash(of: text).description }

    /// Views for the inline-code tests: a layout with a static script and style, a page that
    /// extends it, a page with code that needs a nonce.
    static let inlineViews = [
        "base.leaf": """
        <html><head><style>p { color: green }</style></head>
        <body>#import("body")<script>document.body.dataset.ready = "1"</script></body></html>
        """,
        "page.leaf": """
        #extend("base"):#export("body"):<p>#(name)</p>#endexport#endextend
        """,
        "dynamic.leaf": """
        <script src="https://cdn.example/app.js"></script>
        <script src="/own.js"></script>
        <style>#header { color: red }</style>
        <link rel="stylesheet" href="https://cdn.example/x.css">
        <p>#(name)</p>
        """,
        "escaped.leaf": "<p>a</p>\\<script>go()</script>",
    ]

    @Test("a static inline block runs by its hash: no nonce drawn, no no-store, the page as written")
    func staticBlocksHashed() async throws {
        try await Self.withLeafApp(Self.inlineViews) { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            app.get("page") { req in try await req.view.render("page", ["name": "<b>"]) }
            app.get("escaped") { req in try await req.view.render("escaped") }
            try await app.testing().test(.GET, "page", headers: ["Host": "localhost"]) { res in
                #expect(res.status == .ok)
                let csp = res.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(
                    res.body.string == """
                        <html><head><style>p { color: green }</style></head>
                        <body><p>&lt;b&gt;</p><script>document.body.dataset.ready = "1"</script></body></html>
                        """
                )
                #expect(csp.contains("script-src 'self' \(Self.hash("document.body.dataset.ready = \"1\""))"))
                #expect(csp.contains("style-src 'self' \(Self.hash("p { color: green }"))"))
                #expect(RampartSecurityMiddlewareTests.nonce(in: csp) == nil)
                #expect(res.headers.first(name: "Cache-Control") == nil)
            }
            // A backslash before the block stays text; the hash is still allowed.
            try await app.testing().test(.GET, "escaped", headers: ["Host": "localhost"]) { res in
                #expect(res.body.string == "<p>a</p>\\<script>go()</script>")
                #expect(res.headers.first(name: "Content-Security-Policy")?.contains(Self.hash("go()")) == true)
            }
        }
    }

    @Test("code from elsewhere, or with template syntax inside, gets the response's nonce")
    func dynamicBlocksNonced() async throws {
        try await Self.withLeafApp(Self.inlineViews) { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            app.get("dynamic") { req in try await req.view.render("dynamic", ["name": "x"]) }
            try await app.testing().test(.GET, "dynamic", headers: ["Host": "localhost"]) { res in
                let nonce = RampartSecurityMiddlewareTests.nonce(in: res.headers.first(name: "Content-Security-Policy"))
                #expect(nonce != nil)
                let n = nonce ?? "-"
                #expect(
                    res.body.string == """
                        <script nonce="\(n)" src="https://cdn.example/app.js"></script>
                        <script src="/own.js"></script>
                        <style nonce="\(n)">#header { color: red }</style>
                        <link nonce="\(n)" rel="stylesheet" href="https://cdn.example/x.css">
                        <p>x</p>
                        """
                )
                #expect(res.headers.first(name: "Cache-Control") == "no-store")
            }
        }
    }

    /// Templates refused at load by the inline-code preparation: template, line, reason.
    static let refusedInline: [(String, Int, String)] = [
        ("<p>x</p>\n<script nonce=\"abc\">go()</script>", 2, "nonceMismatch"),
        ("<style nonce=\"#(n)\">p{}</style>", 1, "nonceMismatch"),
        ("<p>#rampartInlineHash(\"script\", \"'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='\")</p>", 1, "refusedTag"),
    ]

    @Test("a nonce other than #cspNonce(), or a hand-written #rampartInlineHash, stops the app at boot", arguments: refusedInline)
    func inlineRefusedAtBoot(source: String, line: Int, reason: String) async throws {
        try await Self.withLeafApp(["bad.leaf": source]) { app in
            await #expect {
                try await app.asyncBoot()
            } throws: { error in
                guard let error = error as? TemplateSecurityError else { return false }
                return error.template == "bad.leaf" && error.line == line && error.reason == reason
            }
        }
    }

    @Test(
        "#rampartInlineHash takes only a SHA-256 source",
        arguments: [
            "'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='"
        ]
    )
    func inlineHashParameter(good: String) {
        #expect(RampartInlineHashTag.sha256Source(good)?.description == good)
        for bad in [
            "'unsafe-inline'", "'sha256-AAAA='", "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;='", "'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' 'unsafe-eval'",
        ] {
            #expect(RampartInlineHashTag.sha256Source(bad) == nil, "\(bad)")
        }
    }
}
