import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Rampart
import RampartSQLite
import RampartVapor
import Testing
import Vapor
import VaporTesting

@Suite("RampartCSRFMiddleware (Vapor)")
struct RampartCSRFMiddlewareTests {
    static func withCSRFApp(mode: CSRFConfiguration.Mode = .tokens, _ body: (Application) async throws -> Void) async throws {
        let ring = try KeyRing(current: .generate())
        let database = try RampartDatabase(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-vapor-csrf-\(UUID().uuidString)/db.sqlite").path
        )
        let sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(SQLiteSessionStore(database: database))), keyRing: ring)
        let oneTime = try OneTimeTokens(keyRing: ring, actions: ["profile.delete"], store: SQLiteUsedTokenStore(database: database))
        let csrf = try CSRFConfiguration(
            crossOrigin: try CrossOriginProtection(trustedOrigins: ["https://partner.example"]),
            mode: mode,
            exemptions: [
                .path("/webhooks/payment", reason: "signed by the payment provider"),
                .prefix("/hooks", reason: "signed callbacks"),
            ],
            oneTimeTokens: oneTime,
            oneTimeRoutes: [.init(.post, "/profile/delete", action: "profile.delete")],
            maximumFormBytes: 4096
        )
        try await withApp { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            app.middleware.use(RampartSessionMiddleware(manager: sessions))
            app.middleware.use(RampartCSRFMiddleware(configuration: csrf))
            app.get("form") { req -> Response in
                let page: Markup = "<form method=\"post\" action=\"/comments\">\(req.csrf.hiddenField())</form>\(req.csrf.metaTag())"
                return Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: .init(string: page.html))
            }
            app.post("login") { req async throws -> String in
                try await req.rampartSession.logIn(userID: "ada")
                return "logged in"
            }
            app.get("delete-form") { req -> String in
                let page: Markup = "<form>\(try req.csrf.oneTimeField(action: "profile.delete"))</form>"
                return page.html
            }
            // The body is still readable after the middleware looked for _csrf.
            app.on(.POST, "comments", body: .collect(maxSize: 8192)) { req in req.body.string ?? "" }
            app.post("profile", "delete") { _ in "deleted" }
            app.post("webhooks", "payment") { _ in "webhook" }
            app.post("hooks", "ping") { _ in "hook" }
            app.post("hooks-admin", "ping") { _ in "admin" }
            try await body(app)
        }
    }

    /// A browser on this site: `Sec-Fetch-Site: same-origin` and its session cookie.
    struct Browser {
        var cookie: String?
        var headers: HTTPHeaders {
            var headers: HTTPHeaders = ["Host": "localhost", "Sec-Fetch-Site": "same-origin"]
            if let cookie { headers.add(name: "Cookie", value: cookie) }
            return headers
        }
        var form: HTTPHeaders {
            var headers = self.headers
            headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            return headers
        }

        mutating func take(_ response: TestingHTTPResponse) {
            for value in response.headers[canonicalForm: "Set-Cookie"] where value.hasPrefix("__Host-session=") {
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

    static let badToken = "403 Forbidden: the form's CSRF token is not valid; reload the page and try again (badToken)\n"

    @Test("end to end: log in, GET a form, POST with its token; the pre-login token dies; replay a one-time token and be refused")
    func endToEnd() async throws {
        try await Self.withCSRFApp { app in
            let tester = try app.testing()
            var browser = Browser()
            let loginForm = try await tester.sendRequest(.GET, "/form", headers: browser.headers)
            browser.take(loginForm)
            #expect(loginForm.headers.first(name: "Cache-Control") == "no-store")
            #expect(loginForm.headers[canonicalForm: "Vary"].contains("Cookie"))
            let loginToken = try #require(Self.token(in: loginForm.body.string))
            let login = try await tester.sendRequest(.POST, "/login", headers: browser.form, body: Self.form([("_csrf", loginToken)]))
            #expect(login.status == .ok)
            browser.take(login)

            let stale = try await tester.sendRequest(.POST, "/comments", headers: browser.form, body: Self.form([("_csrf", loginToken)]))
            #expect(stale.status == .forbidden)
            #expect(stale.body.string == Self.badToken)

            let page = try await tester.sendRequest(.GET, "/form", headers: browser.headers)
            let token = try #require(Self.token(in: page.body.string))
            let metaToken = try #require(Self.token(in: page.body.string, field: "name=\"csrf-token\" content=\""))
            #expect(token != metaToken)
            let ok = try await tester.sendRequest(.POST, "/comments", headers: browser.form, body: Self.form([("body", "hello"), ("_csrf", token)]))
            #expect(ok.status == .ok)
            #expect(ok.body.string.hasPrefix("body=hello&_csrf="))

            var viaHeader = browser.headers
            viaHeader.add(name: "X-CSRF-Token", value: metaToken)
            #expect(try await tester.sendRequest(.POST, "/comments", headers: viaHeader).status == .ok)

            let deleteForm = try await tester.sendRequest(.GET, "/delete-form", headers: browser.headers)
            let once = try #require(Self.token(in: deleteForm.body.string))
            #expect(try await tester.sendRequest(.POST, "/profile/delete", headers: browser.form, body: Self.form([("_csrf", once)])).status == .ok)
            let replay = try await tester.sendRequest(.POST, "/profile/delete", headers: browser.form, body: Self.form([("_csrf", once)]))
            #expect(replay.status == .forbidden)
            #expect(replay.body.string == "403 Forbidden: the form's one-time token was used already; reload the page and try again (tokenReused)\n")
            let masked = try await tester.sendRequest(.POST, "/profile/delete", headers: browser.form, body: Self.form([("_csrf", token)]))
            #expect(masked.body.string == Self.badToken)
        }
    }

    /// Request headers → the JSON refusal's reason.
    static let matrix: [([(String, String)], String)] = [
        ([("Sec-Fetch-Site", "cross-site")], "crossSite"),
        ([("Sec-Fetch-Site", "same-site")], "crossSite"),
        ([("Origin", "https://evil.example")], "originMismatch"),
        ([("Origin", "null")], "nullOrigin"),
        ([], "missingToken"),
        ([("X-CSRF-Token", "a"), ("X-CSRF-Token", "b")], "badToken"),
        ([("X-CSRF-Token", "not base64!")], "badToken"),
        ([("X-CSRF-Token", "AAAA")], "badToken"),
        ([("X-CSRF-Token", String(repeating: "A", count: 86))], "badToken"),
        ([("Origin", "https://partner.example")], "missingToken"),
        ([("Sec-Fetch-Site", "same-origin"), ("Origin", "https://evil.example")], "missingToken"),
    ]

    @Test("the CSRF matrix: every failure is a 403 JSON refusal with its reason and the security headers", arguments: matrix)
    func rejections(headers extra: [(String, String)], reason: String) async throws {
        try await Self.withCSRFApp { app in
            var headers: HTTPHeaders = ["Host": "localhost", "Accept": "application/json"]
            for (name, value) in extra { headers.add(name: name, value: value) }
            let response = try await app.testing().sendRequest(.POST, "/comments", headers: headers)
            #expect(response.status == .forbidden)
            #expect(response.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
            #expect(response.body.string.contains("\"error\":\"forbidden\",\"reason\":\"\(reason)\""))
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
        }
    }

    @Test("multipart forms carry the token; repeated and broken ones, and oversized bodies, are refused")
    func multipartAndLimits() async throws {
        try await Self.withCSRFApp { app in
            let tester = try app.testing()
            var browser = Browser()
            let page = try await tester.sendRequest(.GET, "/form", headers: browser.headers)
            browser.take(page)
            let token = try #require(Self.token(in: page.body.string))
            var headers = browser.headers
            headers.add(name: "Content-Type", value: "multipart/form-data; boundary=XyZ")
            let body =
                "--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n--XyZ--\r\n"
            #expect(try await tester.sendRequest(.POST, "/comments", headers: headers, body: ByteBuffer(string: body)).status == .ok)
            let badThenGood =
                "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nforged\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n--XyZ--\r\n"
            let repeated = try await tester.sendRequest(.POST, "/comments", headers: headers, body: ByteBuffer(string: badThenGood))
            #expect(repeated.body.string == Self.badToken)
            let broken = try await tester.sendRequest(.POST, "/comments", headers: headers, body: ByteBuffer(string: "--XyZ\r\ngarbage"))
            #expect(broken.status == .forbidden)
            // multipart-kit 4.7.1 traps on a header name byte ≥ 0x80: refused before it reads one.
            let trap = "--XyZ\r\nN\u{E9}: x\r\n\r\nv\r\n--XyZ--\r\n"
            #expect(try await tester.sendRequest(.POST, "/comments", headers: headers, body: ByteBuffer(string: trap)).status == .forbidden)
            var noBoundary = browser.headers
            noBoundary.add(name: "Content-Type", value: "multipart/form-data")
            #expect(try await tester.sendRequest(.POST, "/comments", headers: noBoundary, body: ByteBuffer(string: body)).status == .forbidden)

            let big = try await tester.sendRequest(
                .POST,
                "/comments",
                headers: browser.form,
                body: ByteBuffer(string: "body=" + String(repeating: "x", count: 5000) + "&_csrf=\(token)")
            )
            #expect(big.status == .payloadTooLarge)
            #expect(big.body.string == "413 Content Too Large: the form is over 4096 bytes (tooLarge)\n")
        }
    }

    /// Path → status for a cross-site POST.
    static let exemptCases: [(String, HTTPResponseStatus)] = [
        ("/webhooks/payment", .ok),
        ("/hooks/ping", .ok),
        ("/hooks-admin/ping", .forbidden),
        ("/comments", .forbidden),
    ]

    @Test("exempt paths skip the checks, segment by segment", arguments: exemptCases)
    func exemptions(path: String, status: HTTPResponseStatus) async throws {
        try await Self.withCSRFApp { app in
            let headers: HTTPHeaders = ["Host": "localhost", "Sec-Fetch-Site": "cross-site"]
            let response = try await app.testing().sendRequest(.POST, path, headers: headers)
            #expect(response.status == status)
        }
    }

    @Test("headers-only mode checks origins but not tokens; GET is never checked")
    func headersOnly() async throws {
        try await Self.withCSRFApp(mode: .headersOnly) { app in
            let tester = try app.testing()
            #expect(try await tester.sendRequest(.POST, "/comments", headers: ["Host": "localhost", "Sec-Fetch-Site": "same-origin"]).status == .ok)
            #expect(
                try await tester.sendRequest(.POST, "/comments", headers: ["Host": "localhost", "Sec-Fetch-Site": "cross-site"]).status == .forbidden
            )
            #expect(try await tester.sendRequest(.GET, "/form", headers: ["Host": "localhost", "Sec-Fetch-Site": "cross-site"]).status == .ok)
        }
    }
}
