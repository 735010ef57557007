import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import RampartSQLite
import Testing

@Suite("CSRFMiddleware")
struct CSRFMiddlewareTests {
    static func makeApp(mode: CSRFConfiguration.Mode = .tokens) throws -> some ApplicationProtocol {
        let ring = try KeyRing(current: .generate())
        let database = try RampartDatabase(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-csrf-\(UUID().uuidString)/db.sqlite").path
        )
        let sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(SQLiteSessionStore(database: database))), keyRing: ring)
        let oneTime = try OneTimeTokens(keyRing: ring, actions: ["profile.delete"], store: SQLiteUsedTokenStore(database: database))
        let csrf = try CSRFConfiguration(
            crossOrigin: try CrossOriginProtection(trustedOrigins: ["https://partner.example"]),
            mode: mode,
            exemptions: [
                .path("/webhooks/payment", reason: "signed by the payment provider"),
                .prefix("/public-api/", reason: "token-authenticated API, no cookies"),
                .prefix("/hooks", reason: "signed callbacks"),
            ],
            oneTimeTokens: oneTime,
            oneTimeRoutes: [.init(.post, "/profile/delete", action: "profile.delete")],
            maximumFormBytes: 4096
        )
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: try SecurityHeadersMiddleware(transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)))
        router.add(middleware: SessionMiddleware(manager: sessions))
        router.add(middleware: CSRFMiddleware(configuration: csrf))
        router.get("/form") { _, context -> HTMLResponse in
            let page: Markup = "<form method=\"post\" action=\"/comments\">\(context.csrf.hiddenField())</form>\(context.csrf.metaTag())"
            return HTMLResponse(html: page.html)
        }
        router.post("/login") { _, context in
            try await context.session.logIn(userID: "ada")
            return "logged in"
        }
        router.get("/delete-form") { _, context -> HTMLResponse in
            let page: Markup = "<form method=\"post\" action=\"/profile/delete\">\(try context.csrf.oneTimeField(action: "profile.delete"))</form>"
            return HTMLResponse(html: page.html)
        }
        router.post("/comments") { request, _ in
            // The body is still readable after the middleware looked for _csrf.
            String(buffer: try await request.body.collect(upTo: 10_000))
        }
        router.post("/upload") { request, _ in
            let form = try await request.multipartForm(policy: try UploadPolicy(maximumBytes: 64 * 1024))
            let file = try #require(form.file("file"))
            return "\(file.type.mediaType) \(file.bytes.readableBytes) \(form.value("title") ?? "-")"
        }
        router.post("/profile/delete") { _, _ in "deleted" }
        router.post("/webhooks/payment") { _, _ in "webhook" }
        router.post("/public-api/ping") { _, _ in "pong" }
        router.post("/hooks/ping") { _, _ in "hook" }
        router.post("/hooks-admin/ping") { _, _ in "admin" }
        let api = router.group("api")
        api.add(middleware: RequireJSONMiddleware())
        api.post("items") { _, _ in "created" }
        return Application(router: router)
    }

    struct Browser {
        var cookie: String?
        var headers: HTTPFields {
            var fields: HTTPFields = [HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]
            if let cookie { fields[.cookie] = cookie }
            return fields
        }

        mutating func take(_ response: TestResponse) {
            for value in response.headers[values: .setCookie] where value.hasPrefix("__Host-session=") {
                cookie = String(value.prefix { $0 != ";" })
            }
        }
    }

    static func token(in html: String, field: String = "name=\"_csrf\" value=\"") -> String? {
        guard let start = html.firstRange(of: field)?.upperBound else { return nil }
        return String(html[start...].prefix { $0 != "\"" })
    }

    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        ByteBuffer(
            string: pairs.map { "\($0.0)=\($0.1.replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: "=", with: "%3D"))" }.joined(
                separator: "&"
            )
        )
    }

    @Test("end to end: log in, GET a form, POST with its token; replay a one-time token and be refused")
    func endToEnd() async throws {
        try await Self.makeApp().test(.router) { client in
            var browser = Browser()
            // The login form's token makes an anonymous session.
            let loginForm = try await client.execute(uri: "/form", method: .get, headers: browser.headers)
            browser.take(loginForm)
            #expect(loginForm.headers[.cacheControl] == "no-store")
            #expect(loginForm.headers[values: .vary].contains("Cookie"))
            let loginToken = try #require(Self.token(in: String(buffer: loginForm.body)))
            var loginHeaders = browser.headers
            loginHeaders[.contentType] = "application/x-www-form-urlencoded"
            let login = try await client.execute(uri: "/login", method: .post, headers: loginHeaders, body: Self.form([("_csrf", loginToken)]))
            #expect(login.status == .ok)
            browser.take(login)

            // The pre-login token died with the rotation.
            var stale = browser.headers
            stale[.contentType] = "application/x-www-form-urlencoded"
            let staleResponse = try await client.execute(uri: "/comments", method: .post, headers: stale, body: Self.form([("_csrf", loginToken)]))
            #expect(staleResponse.status == .forbidden)
            #expect(
                String(buffer: staleResponse.body) == "403 Forbidden: the form's CSRF token is not valid; reload the page and try again (badToken)\n"
            )

            let form = try await client.execute(uri: "/form", method: .get, headers: browser.headers)
            let html = String(buffer: form.body)
            let token = try #require(Self.token(in: html))
            let metaToken = try #require(Self.token(in: html, field: "name=\"csrf-token\" content=\""))
            #expect(token != metaToken)
            var post = browser.headers
            post[.contentType] = "application/x-www-form-urlencoded"
            let ok = try await client.execute(uri: "/comments", method: .post, headers: post, body: Self.form([("body", "hello"), ("_csrf", token)]))
            #expect(ok.status == .ok)
            #expect(String(buffer: ok.body).hasPrefix("body=hello&_csrf="))

            // The header works too.
            var viaHeader = browser.headers
            viaHeader[HTTPField.Name("X-CSRF-Token")!] = metaToken
            #expect(try await client.execute(uri: "/comments", method: .post, headers: viaHeader).status == .ok)

            // One-time token: once, then tokenReused.
            let deleteForm = try await client.execute(uri: "/delete-form", method: .get, headers: browser.headers)
            let once = try #require(Self.token(in: String(buffer: deleteForm.body)))
            let first = try await client.execute(uri: "/profile/delete", method: .post, headers: post, body: Self.form([("_csrf", once)]))
            #expect(first.status == .ok)
            let replay = try await client.execute(uri: "/profile/delete", method: .post, headers: post, body: Self.form([("_csrf", once)]))
            #expect(replay.status == .forbidden)
            #expect(
                String(buffer: replay.body)
                    == "403 Forbidden: the form's one-time token was used already; reload the page and try again (tokenReused)\n"
            )
            // A masked token is not a one-time token.
            let masked = try await client.execute(uri: "/profile/delete", method: .post, headers: post, body: Self.form([("_csrf", token)]))
            #expect(String(buffer: masked.body) == "403 Forbidden: the form's CSRF token is not valid; reload the page and try again (badToken)\n")
        }
    }

    @Test("cross-site and token failures are 403 with the reason, as JSON or HTML by Accept")
    func rejections() async throws {
        try await Self.makeApp().test(.router) { client in
            let crossSite = try await client.execute(
                uri: "/comments",
                method: .post,
                headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site", .accept: "application/json"]
            )
            #expect(crossSite.status == .forbidden)
            #expect(crossSite.headers[.contentType] == "application/json; charset=utf-8")
            #expect(String(buffer: crossSite.body) == #"{"error":"forbidden","reason":"crossSite","message":"the request came from another site"}"#)
            #expect(crossSite.headers[.xContentTypeOptions] == "nosniff")

            let foreign = try await client.execute(
                uri: "/comments",
                method: .post,
                headers: [.origin: "https://evil.example", .accept: "text/html,application/json"]
            )
            #expect(foreign.headers[.contentType] == "text/html; charset=utf-8")
            #expect(
                String(buffer: foreign.body) == """
                    <!doctype html>
                    <html lang="en"><head><meta charset="utf-8"><title>403 Forbidden</title></head>
                    <body><h1>403 Forbidden</h1><p>the request&#39;s Origin is not this site or a trusted origin</p><p><code>originMismatch</code></p></body></html>

                    """
            )

            let missing = try await client.execute(uri: "/comments", method: .post, headers: [.accept: "application/json"])
            #expect(
                String(buffer: missing.body)
                    == #"{"error":"forbidden","reason":"missingToken","message":"the form has no CSRF token; reload the page and try again"}"#
            )

            let repeated = try await client.execute(
                uri: "/comments",
                method: .post,
                headers: HTTPFields([
                    HTTPField(name: HTTPField.Name("X-CSRF-Token")!, value: "a"), HTTPField(name: HTTPField.Name("X-CSRF-Token")!, value: "b"),
                    HTTPField(name: .accept, value: "application/json"),
                ])
            )
            #expect(
                String(buffer: repeated.body)
                    == #"{"error":"forbidden","reason":"badToken","message":"the form's CSRF token is not valid; reload the page and try again"}"#
            )

            for bad in ["not base64!", "AAAA", String(repeating: "A", count: 86), String(repeating: "A", count: 60_000)] {
                let response = try await client.execute(
                    uri: "/comments",
                    method: .post,
                    headers: [HTTPField.Name("X-CSRF-Token")!: bad, .accept: "application/json"]
                )
                #expect(response.status == .forbidden)
                #expect(
                    String(buffer: response.body)
                        == #"{"error":"forbidden","reason":"badToken","message":"the form's CSRF token is not valid; reload the page and try again"}"#
                )
            }
            // GET is never checked.
            #expect(try await client.execute(uri: "/form", method: .get, headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]).status == .ok)
        }
    }

    @Test("multipart forms carry the token; repeated fields and oversized bodies are refused")
    func multipartAndLimits() async throws {
        try await Self.makeApp().test(.router) { client in
            var browser = Browser()
            let formPage = try await client.execute(uri: "/form", method: .get, headers: browser.headers)
            browser.take(formPage)
            let token = try #require(Self.token(in: String(buffer: formPage.body)))
            var headers = browser.headers
            headers[.contentType] = "multipart/form-data; boundary=XyZ"
            let body =
                "--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n--XyZ--\r\n"
            #expect(try await client.execute(uri: "/comments", method: .post, headers: headers, body: ByteBuffer(string: body)).status == .ok)

            // The first _csrf field is the one checked; a good token later does not rescue a bad one.
            let badThenGood =
                "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nforged\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n--XyZ--\r\n"
            var jsonHeaders = headers
            jsonHeaders[.accept] = "application/json"
            let repeated = try await client.execute(uri: "/comments", method: .post, headers: jsonHeaders, body: ByteBuffer(string: badThenGood))
            #expect(repeated.status == .forbidden)
            #expect(
                String(buffer: repeated.body)
                    == #"{"error":"forbidden","reason":"badToken","message":"the form's CSRF token is not valid; reload the page and try again"}"#
            )

            let broken = try await client.execute(uri: "/comments", method: .post, headers: headers, body: ByteBuffer(string: "--XyZ\r\ngarbage"))
            #expect(broken.status == .forbidden)

            var form = browser.headers
            form[.contentType] = "application/x-www-form-urlencoded"
            let big = try await client.execute(
                uri: "/comments",
                method: .post,
                headers: form,
                body: ByteBuffer(string: "body=" + String(repeating: "x", count: 5000) + "&_csrf=\(token)")
            )
            #expect(big.status == .contentTooLarge)
        }
    }

    @Test("a multipart upload larger than the form limit passes when _csrf comes first, and the handler reads every byte")
    func multipartUploadStreamsPastTheScan() async throws {
        try await Self.makeApp().test(.router) { client in
            var browser = Browser()
            let formPage = try await client.execute(uri: "/form", method: .get, headers: browser.headers)
            browser.take(formPage)
            let token = try #require(Self.token(in: String(buffer: formPage.body)))
            var headers = browser.headers
            headers[.contentType] = "multipart/form-data; boundary=XyZ"
            headers[.accept] = "application/json"
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0x41, count: 20_000 - 8)
            func body(tokenFirst: Bool) -> ByteBuffer {
                let tokenPart = "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n"
                var buffer = ByteBuffer(string: tokenFirst ? tokenPart : "")
                buffer.writeString("--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nmy cat\r\n")
                buffer.writeString("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cat.png\"\r\nContent-Type: image/png\r\n\r\n")
                buffer.writeBytes(png)
                buffer.writeString("\r\n" + (tokenFirst ? "" : tokenPart) + "--XyZ--\r\n")
                return buffer
            }
            // 20 KB is over the 4 KiB form limit, but the token is found first and the rest streams on.
            let accepted = try await client.execute(uri: "/upload", method: .post, headers: headers, body: body(tokenFirst: true))
            #expect(accepted.status == .ok)
            #expect(String(buffer: accepted.body) == "image/png 20000 my cat")
            // A token after 4 KiB of upload is not looked for: the body is not buffered to find it.
            let late = try await client.execute(uri: "/upload", method: .post, headers: headers, body: body(tokenFirst: false))
            #expect(late.status == .forbidden)
            #expect(
                String(buffer: late.body)
                    == #"{"error":"forbidden","reason":"missingToken","message":"the form has no CSRF token; reload the page and try again"}"#
            )
        }
    }

    /// Multipart bodies with a part header name that is not ASCII (which multipart-kit traps on),
    /// or a byte it refuses, before or after the `_csrf` field: (body, what the scan answers).
    static let scanBodies: [(body: String, expected: String)] = [
        // The token is complete before the bad name: found (the handler's multipart reader
        // refuses the name later with 400 malformedMultipart).
        ("--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n--XyZ\r\n\u{E9}: 1\r\n\r\nx\r\n--XyZ--\r\n", "tok123"),
        // The bad name comes first, in another part: refused.
        ("--XyZ\r\n\u{E9}: 1\r\n\r\nx\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n--XyZ--\r\n", "badToken"),
        // The bad name is in the token's own part: refused.
        ("--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\nX-\u{E9}: 1\r\n\r\ntok123\r\n--XyZ--\r\n", "badToken"),
        // A syntax error multipart-kit throws on (CR then NUL ending a header section), after the
        // token: found (FuzzMultipart's property 3 found this one); before it: refused.
        ("--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n--XyZ\r\nA: b\r\n\r\u{0}x\r\n--XyZ--\r\n", "tok123"),
        ("--XyZ\r\nA: b\r\n\r\u{0}x\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok123\r\n--XyZ--\r\n", "badToken"),
    ]

    @Test("the multipart _csrf scan answers the same whatever the chunking (whole, or byte by byte), and hands on every byte", arguments: scanBodies)
    func multipartScanIndependentOfChunking(body: String, expected: String) async throws {
        let bytes = ByteBuffer(string: body)
        func scan(_ chunks: [ByteBuffer]) async throws -> String {
            let stream = AsyncStream<ByteBuffer> { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            let (value, rest) = try await MultipartFieldScan.firstValue(of: "_csrf", boundary: "XyZ", limit: 4096, in: stream.makeAsyncIterator())
            var handedOn = ByteBuffer()
            for try await chunk in rest { handedOn.writeImmutableBuffer(chunk) }
            #expect(handedOn == bytes)
            switch value {
            case .success(let token): return token ?? "missing"
            case .failure(let error): return error.reason
            }
        }
        let whole = try await scan([bytes])
        let split = try await scan((0..<bytes.readableBytes).map { bytes.getSlice(at: $0, length: 1)! })
        #expect(whole == expected)
        #expect(split == expected)
    }

    @Test("exempt paths skip the checks")
    func exemptions() async throws {
        try await Self.makeApp().test(.router) { client in
            let cross: HTTPFields = [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]
            let webhook = try await client.execute(uri: "/webhooks/payment", method: .post, headers: cross)
            let api = try await client.execute(uri: "/public-api/ping", method: .post, headers: cross)
            let other = try await client.execute(uri: "/webhooks/payment/other", method: .post, headers: cross)
            #expect(webhook.status == .ok)
            #expect(api.status == .ok)
            #expect(other.status == .forbidden)
        }
    }

    @Test(
        "exemption prefixes match whole segments, as the router reads the path",
        arguments: [
            ("/hooks/ping", HTTPResponse.Status.ok), ("//hooks//ping/", .ok), ("/hooks-admin/ping", .forbidden), ("//webhooks/payment", .ok),
        ]
    )
    func exemptionSegments(_ path: String, _ status: HTTPResponse.Status) async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: path, method: .post, headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(response.status == status)
        }
    }

    @Test(
        "a one-time route needs its one-time token on every spelling the router accepts",
        arguments: [
            "/profile/delete/", "//profile/delete", "/profile//delete", "/profile/delete//", "///profile///delete///",
        ]
    )
    func oneTimeRouteSpellings(_ path: String) async throws {
        try await Self.makeApp().test(.router) { client in
            var browser = Browser()
            let loginForm = try await client.execute(uri: "/form", method: .get, headers: browser.headers)
            browser.take(loginForm)
            var post = browser.headers
            post[.contentType] = "application/x-www-form-urlencoded"
            let login = try await client.execute(
                uri: "/login",
                method: .post,
                headers: post,
                body: Self.form([("_csrf", try #require(Self.token(in: String(buffer: loginForm.body))))])
            )
            browser.take(login)
            post = browser.headers
            post[.contentType] = "application/x-www-form-urlencoded"
            let form = try await client.execute(uri: "/form", method: .get, headers: browser.headers)
            let masked = try #require(Self.token(in: String(buffer: form.body)))
            // A masked token, reusable, does not pass on any spelling of the route.
            let refused = try await client.execute(uri: path, method: .post, headers: post, body: Self.form([("_csrf", masked)]))
            #expect(refused.status == .forbidden)
            #expect(String(buffer: refused.body) == "403 Forbidden: the form's CSRF token is not valid; reload the page and try again (badToken)\n")
            // Its one-time token does, once.
            let deleteForm = try await client.execute(uri: "/delete-form", method: .get, headers: browser.headers)
            let once = try #require(Self.token(in: String(buffer: deleteForm.body)))
            let first = try await client.execute(uri: path, method: .post, headers: post, body: Self.form([("_csrf", once)]))
            #expect(first.status == .ok)
            #expect(String(buffer: first.body) == "deleted")
            let replay = try await client.execute(uri: "/profile/delete", method: .post, headers: post, body: Self.form([("_csrf", once)]))
            #expect(
                String(buffer: replay.body)
                    == "403 Forbidden: the form's one-time token was used already; reload the page and try again (tokenReused)\n"
            )
        }
    }

    @Test("headers-only mode checks origins but not tokens")
    func headersOnly() async throws {
        try await Self.makeApp(mode: .headersOnly).test(.router) { client in
            let noHeaders = try await client.execute(uri: "/comments", method: .post)
            let foreign = try await client.execute(uri: "/comments", method: .post, headers: [.origin: "https://evil.example"])
            let partner = try await client.execute(
                uri: "/comments",
                method: .post,
                headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site", .origin: "https://partner.example"]
            )
            // The SPA pattern: a same-origin fetch() carries no token and passes; another site's does not.
            let sameOrigin = try await client.execute(
                uri: "/comments",
                method: .post,
                headers: [HTTPField.Name("Sec-Fetch-Site")!: "same-origin", HTTPField.Name("Sec-Fetch-Mode")!: "cors"]
            )
            let crossSite = try await client.execute(
                uri: "/comments",
                method: .post,
                headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site", .accept: "application/json"]
            )
            #expect(noHeaders.status == .ok)
            #expect(foreign.status == .forbidden)
            #expect(partner.status == .ok)
            #expect(sameOrigin.status == .ok)
            #expect(crossSite.status == .forbidden)
            #expect(String(buffer: crossSite.body).contains("\"reason\":\"crossSite\""))
        }
    }

    @Test(
        "JSON endpoints take only application/json: 415 otherwise",
        arguments: [
            ("text/plain", HTTPResponse.Status.unsupportedMediaType),
            ("application/x-www-form-urlencoded", .unsupportedMediaType),
            ("multipart/form-data; boundary=x", .unsupportedMediaType),
            ("application/json", .ok),
            ("application/json; charset=utf-8", .ok),
            ("Application/JSON", .ok),
        ]
    )
    func requireJSON(_ type: String, _ status: HTTPResponse.Status) async throws {
        try await Self.makeApp(mode: .headersOnly).test(.router) { client in
            let response = try await client.execute(
                uri: "/api/items",
                method: .post,
                headers: [.contentType: type],
                body: ByteBuffer(string: "{\"a\":1}")
            )
            #expect(response.status == status)
            if status == .unsupportedMediaType {
                #expect(String(buffer: response.body) == "415 Unsupported Media Type: send Content-Type: application/json (unsupportedMediaType)\n")
                #expect(response.headers[.accept] == "application/json")
            }
        }
    }

    @Test("bad configurations are refused at startup")
    func configuration() throws {
        let noReason = #expect(throws: SecurityConfigurationError.self) { _ = try CSRFConfiguration(exemptions: [.path("/hook", reason: " ")]) }
        #expect(noReason?.setting == "csrfExemptions")
        let unknownAction = #expect(throws: SecurityConfigurationError.self) {
            _ = try CSRFConfiguration(oneTimeRoutes: [.init(.post, "/x", action: "x")])
        }
        #expect(unknownAction?.setting == "oneTimeRoutes")
    }
}
