import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import RampartSQLite
import Testing

/// One refusal type, one place to restyle it: every refusal Rampart makes goes through the
/// app's `RefusalPages`, with the status, its own fields and the security headers.
@Suite("Refusal pages: every refusal through one hook")
struct RefusalPagesTests {
    struct Boom: Error {}

    /// HTML refusals get the app's page; JSON and text ones fall back to the standard page.
    static let pages = RefusalPages { refusal, request in
        guard request.format == .html else { return nil }
        return .html(
            "<p id=\"custom\">\(refusal.status.code) \(refusal.reason): \(refusal.message) \(request.method?.rawValue ?? "-") \(request.path)</p>\n"
        )
    }

    static func makeApp() throws -> some ApplicationProtocol {
        let ring = try KeyRing(current: .generate())
        let database = try RampartDatabase(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("rampart-refusals-\(UUID().uuidString)/db.sqlite").path
        )
        let sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(SQLiteSessionStore(database: database))), keyRing: ring)
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(
            middleware: try SecurityHeadersMiddleware(
                transport: TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP),
                refusalPages: pages
            )
        )
        router.add(middleware: SessionMiddleware(manager: sessions))
        router.add(
            middleware: CSRFMiddleware(
                configuration: try CSRFConfiguration(exemptions: [
                    .prefix("/api/", reason: "this test looks at RequireJSONMiddleware's 415 alone"),
                    .path("/json", reason: "this test looks at decodeJSON's 413 alone"),
                ])
            )
        )
        router.post("/comments") { _, _ in "posted" }
        router.put("/json") { request, _ -> String in
            let value = try await request.decodeJSON(as: [String: Int].self, limits: try JSONLimits(maximumBytes: 16, maximumDepth: 4))
            return "\(value.count)"
        }
        router.get("/boom") { _, _ -> String in throw Boom() }
        router.get("/busy") { _, _ -> String in throw HTTPError(.tooManyRequests, headers: [.retryAfter: "7"], message: "Slow down.") }
        router.get("/store") { _, _ -> String in throw StoreUnavailable(store: "PostgreSQL", cause: "connection refused", retryAfter: 9) }
        let api = router.group("api")
        api.add(middleware: RequireJSONMiddleware())
        api.post("items") { _, _ in "created" }
        return Application(
            router: router,
            server: try .rampartHTTP1(limits: ConnectionLimitsTests.fast, refusalPages: pages),
            configuration: .init(address: .hostname("127.0.0.1", port: 0))
        )
    }

    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let method: HTTPRequest.Method
        let path: String
        var headers: HTTPFields = [:]
        var body = ""
        let status: HTTPResponse.Status
        let contentType: String
        let body_: String
        var field: (HTTPField.Name, String)? = nil
    }

    static let html: HTTPFields = [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"]
    static let cases: [Case] = [
        Case(
            description: "CSRF 403, a browser",
            method: .post,
            path: "/comments",
            headers: [.accept: "text/html", HTTPField.Name("Sec-Fetch-Site")!: "cross-site"],
            status: .forbidden,
            contentType: "text/html; charset=utf-8",
            body_: "<p id=\"custom\">403 crossSite: the request came from another site POST /comments</p>\n"
        ),
        Case(
            description: "CSRF 403, a script asking for JSON",
            method: .post,
            path: "/comments",
            headers: [.accept: "application/json", .origin: "https://evil.example"],
            status: .forbidden,
            contentType: "application/json; charset=utf-8",
            body_: #"{"error":"forbidden","reason":"originMismatch","message":"the request's Origin is not this site or a trusted origin"}"#
        ),
        Case(
            description: "CSRF 403, curl",
            method: .post,
            path: "/comments",
            headers: [.origin: "null"],
            status: .forbidden,
            contentType: "text/plain; charset=utf-8",
            body_: "403 Forbidden: the request came from an opaque origin (nullOrigin)\n"
        ),
        Case(
            description: "415 from RequireJSONMiddleware, a browser form",
            method: .post,
            path: "/api/items",
            headers: [.accept: "text/html", .contentType: "application/x-www-form-urlencoded", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"],
            body: "a=1",
            status: .unsupportedMediaType,
            contentType: "text/html; charset=utf-8",
            body_: "<p id=\"custom\">415 unsupportedMediaType: send Content-Type: application/json POST /api/items</p>\n",
            field: (.accept, "application/json")
        ),
        Case(
            description: "413 from decodeJSON, JSON by the body's type",
            method: .put,
            path: "/json",
            headers: [.contentType: "application/json", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"],
            body: #"{"a":1,"b":2,"c":3,"d":4}"#,
            status: .contentTooLarge,
            contentType: "application/json; charset=utf-8",
            body_: #"{"error":"tooLarge","reason":"tooLarge","message":"the JSON body is over 16 bytes"}"#
        ),
        Case(
            description: "the router's 404",
            method: .get,
            path: "/nowhere?x=<script>",
            headers: html,
            status: .notFound,
            contentType: "text/html; charset=utf-8",
            body_: "<p id=\"custom\">404 notFound: There is nothing here. GET /nowhere</p>\n"
        ),
        Case(
            description: "a thrown error that is not an HTTP error: 500 saying nothing",
            method: .get,
            path: "/boom",
            headers: html,
            status: .internalServerError,
            contentType: "text/html; charset=utf-8",
            body_: "<p id=\"custom\">500 internalError: Something went wrong on our side. GET /boom</p>\n"
        ),
        Case(
            description: "Hummingbird's HTTPError keeps its Retry-After",
            method: .get,
            path: "/busy",
            status: .tooManyRequests,
            contentType: "text/plain; charset=utf-8",
            body_: "429 Too Many Requests: Slow down. (tooManyRequests)\n",
            field: (.retryAfter, "7")
        ),
        Case(
            description: "an unreachable store: 503, Retry-After, no cause shown",
            method: .get,
            path: "/store",
            headers: [.accept: "application/json"],
            status: .serviceUnavailable,
            contentType: "application/json; charset=utf-8",
            body_: #"{"error":"unavailable","reason":"storeUnavailable","message":"The service is briefly unavailable; try again shortly."}"#,
            field: (.retryAfter, "9")
        ),
    ]

    @Test("each refusal: the app's page or the standard one by format, exact body, its own field, the security headers", arguments: cases)
    func refusals(_ testCase: Case) async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(
                uri: testCase.path,
                method: testCase.method,
                headers: testCase.headers,
                body: testCase.body.isEmpty ? nil : ByteBuffer(string: testCase.body)
            )
            #expect(response.status == testCase.status)
            #expect(response.headers[.contentType] == testCase.contentType)
            #expect(String(buffer: response.body) == testCase.body_)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.xFrameOptions] == "DENY")
            #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
            if let (name, value) = testCase.field { #expect(response.headers[name] == value) }
        }
    }

    @Test("the host check and the connection limits use the same pages, over a real socket")
    func hostAndConnectionLimits() async throws {
        try await Self.makeApp().test(.live) { client in
            let port = try #require(client.port)
            let host = try await RawHTTP.run(
                port: port,
                bytes: Array("GET /x HTTP/1.1\r\nHost: evil.example\r\nAccept: text/html\r\nConnection: close\r\n\r\n".utf8),
                timeout: 10
            )
            #expect(host.status == 400)
            #expect(
                host.text.hasSuffix("\r\n\r\n<p id=\"custom\">400 hostNotAllowed: this server does not answer for that host GET /x</p>\n"),
                "\(host.text)"
            )
            #expect(host.header("x-content-type-options") == "nosniff")

            // Over the size limit, under the parser's backstop: the head was read, so the page
            // knows the request.
            let big = (0..<20).map { "X-F\($0): \(String(repeating: "v", count: 880))\r\n" }.joined()
            let tooLarge = try await RawHTTP.run(
                port: port,
                bytes: Array("GET /y HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\(big)\r\n".utf8),
                timeout: 10
            )
            #expect(tooLarge.status == 431)
            #expect(
                tooLarge.text.hasSuffix("\r\n\r\n<p id=\"custom\">431 headerTooLarge: the header section is over 16384 bytes GET /y</p>\n"),
                "\(tooLarge.text)"
            )
            #expect(tooLarge.header("content-type") == "text/html; charset=utf-8")
            #expect(tooLarge.header("content-security-policy")?.hasPrefix("default-src 'none'") == true)

            // Over the parser's backstop (150 fields): no head, so the page is for an unknown
            // request, in plain text.
            let fields = (0..<150).map { "X-F\($0): 1\r\n" }.joined()
            let tooMany = try await RawHTTP.run(
                port: port,
                bytes: Array("GET /y HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\(fields)\r\n".utf8),
                timeout: 10
            )
            #expect(tooMany.status == 431)
            #expect(
                tooMany.text.hasSuffix(
                    "\r\n\r\n431 Request Header Fields Too Large: the header section is over 16384 bytes or 100 fields (headerTooLarge)\n"
                ),
                "\(tooMany.text)"
            )
            #expect(tooMany.header("content-security-policy")?.hasPrefix("default-src 'none'") == true)

            let long = try await RawHTTP.run(
                port: port,
                bytes: Array("GET /?q=\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n".utf8),
                timeout: 10
            )
            #expect(long.status == 414)
            #expect(long.text.hasSuffix("\r\n\r\n<p id=\"custom\">414 uriTooLong: the request target is over 8192 bytes GET /</p>\n"), "\(long.text)")
        }
    }
}

@Suite("Refusal formats and the standard pages")
struct RefusalFormatTests {
    @Test(
        "one negotiation rule",
        arguments: [
            (nil, nil, RefusalFormat.plainText),
            ("*/*", nil, .plainText),
            ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", nil, .html),
            ("application/json", nil, .json),
            ("application/problem+json", nil, .json),
            ("text/html, application/json", nil, .html),
            ("*/*", "application/json; charset=utf-8", .json),
            (nil, "application/merge-patch+json", .json),
            ("text/plain", "application/x-www-form-urlencoded", .plainText),
            ("TEXT/HTML", nil, .html),
        ] as [(String?, String?, RefusalFormat)]
    )
    func negotiation(_ accept: String?, _ contentType: String?, _ format: RefusalFormat) {
        #expect(RefusalFormat(accept: accept, contentType: contentType) == format)
    }

    @Test("the standard page in each format, escaped")
    func standardPages() {
        let refusal = RequestRefusal(status: .badRequest, reason: "odd", message: "a <b> \"quoted\" \\ line\nbreak & more")
        #expect(
            RefusalPages.standardPage(for: refusal, format: .plainText)
                == RefusalPage(contentType: "text/plain; charset=utf-8", body: "400 Bad Request: a <b> \"quoted\" \\ line\nbreak & more (odd)\n")
        )
        #expect(
            RefusalPages.standardPage(for: refusal, format: .json)
                == RefusalPage(
                    contentType: "application/json; charset=utf-8",
                    body: #"{"error":"badRequest","reason":"odd","message":"a \u003cb\u003e \"quoted\" \\ line\nbreak \u0026 more"}"#
                )
        )
        #expect(
            RefusalPages.standardPage(for: refusal, format: .html)
                == RefusalPage(
                    contentType: "text/html; charset=utf-8",
                    body: """
                        <!doctype html>
                        <html lang="en"><head><meta charset="utf-8"><title>400 Bad Request</title></head>
                        <body><h1>400 Bad Request</h1><p>a &lt;b&gt; &quot;quoted&quot; \\ line
                        break &amp; more</p><p><code>odd</code></p></body></html>

                        """
                )
        )
    }

    @Test("a renderer returning nil gets the standard page")
    func fallback() {
        let pages = RefusalPages { _, _ in nil }
        let request = RefusalRequest(method: .get, path: "/", format: .plainText, cspNonce: nil)
        #expect(pages.page(for: .notFound, request: request) == RefusalPages.standardPage(for: .notFound, format: .plainText))
    }
}
