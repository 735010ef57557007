import AsyncHTTPClient
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix
import Rampart
import RampartVapor
import Testing
import Vapor
import VaporTesting

struct Boom: Error {}

@Suite("RampartSecurityMiddleware (Vapor)")
struct RampartSecurityMiddlewareTests {
    static let loopbackHTTP = TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)

    static func configure(_ app: Application, transport: TransportSecurity = loopbackHTTP) throws {
        app.middleware.use(try RampartSecurityMiddleware(transport: transport))
        app.get("nonce") { request in request.cspNonce?.value ?? "none" }
        app.get("secure") { request in request.rampartIsSecure ? "https" : "http" }
        app.get("abort") { _ -> String in throw Abort(.badRequest, reason: "nope") }
        app.get("not-allowed") { _ -> String in throw Abort(.methodNotAllowed, headers: ["Allow": "POST"]) }
        app.get("boom") { _ -> String in throw Boom() }
        app.get("refusal") { _ -> String in throw RequestRefusal.unavailable(retryAfter: 7) }
        app.get("csrf") { _ -> String in throw CSRFError.crossSite }
        app.get("not-modified") { _ in Response(status: .notModified) }
        app.get("fingerprint") { _ in Response(status: .ok, headers: ["Server": "Vapor", "X-Powered-By": "Swift"]) }
        app.get("cookie") { _ -> Response in
            let response = Response(status: .ok)
            response.cookies["theme"] = HTTPCookies.Value(string: "dark")
            return response
        }
        let embed = app.grouped("embed").grouped(
            try RampartHeadersOverride(headers: SecurityHeaders.strict.allowingFraming(by: [.self, .host("https://partner.example")]))
        )
        embed.get("page") { request in request.cspNonce?.value ?? "none" }
        embed.get("fail") { _ -> String in throw Abort(.notFound) }
        let vaporErrors = app.grouped("vapor-errors").grouped(ErrorMiddleware.default(environment: .production))
        vaporErrors.get("abort") { _ -> String in throw Abort(.forbidden, reason: "members only") }
    }

    /// Runs `body` on an app configured by ``configure(_:transport:)``, shut down afterwards.
    static func withTestApp(transport: TransportSecurity = loopbackHTTP, _ body: (Application) async throws -> Void) async throws {
        try await withApp { app in
            try configure(app, transport: transport)
            try await body(app)
        }
    }

    static let localhost: HTTPHeaders = ["Host": "localhost"]

    static func expectStrictHeaders(_ headers: HTTPHeaders, nonceUsed: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(headers.first(name: "X-Content-Type-Options") == "nosniff", sourceLocation: sourceLocation)
        #expect(headers.first(name: "X-Frame-Options") == "DENY", sourceLocation: sourceLocation)
        #expect(headers.first(name: "Referrer-Policy") == "no-referrer", sourceLocation: sourceLocation)
        #expect(headers.first(name: "Cross-Origin-Opener-Policy") == "same-origin", sourceLocation: sourceLocation)
        #expect(headers.first(name: "Cross-Origin-Resource-Policy") == "same-origin", sourceLocation: sourceLocation)
        #expect(headers.first(name: "Permissions-Policy")?.hasPrefix("accelerometer=(), ") == true, sourceLocation: sourceLocation)
        // A response that rendered a page used the nonce (and is no-store); one whose body Rampart
        // did not write, such as Vapor's ErrorMiddleware's JSON, did not.
        #expect(
            headers.first(name: "Content-Security-Policy")?.hasPrefix(
                nonceUsed ? "default-src 'none'; script-src 'self' 'nonce-" : "default-src 'none'; script-src 'self'; style-src 'self';"
            ) == true,
            sourceLocation: sourceLocation
        )
        if nonceUsed {
            #expect(headers.first(name: "Cache-Control") == "no-store", sourceLocation: sourceLocation)
        }
        #expect(headers.first(name: "Strict-Transport-Security") == nil, sourceLocation: sourceLocation)
        #expect(headers[canonicalForm: "Content-Security-Policy"].count == 1, sourceLocation: sourceLocation)
    }

    static func nonce(in csp: String?) -> String? {
        guard let csp, let start = csp.firstRange(of: "'nonce-")?.upperBound else { return nil }
        return String(csp[start...].prefix { $0 != "'" })
    }

    @Test("the nonce in the CSP is the request's, twice (script-src and style-src), and new on every request")
    func nonceMatchesRequest() async throws {
        try await Self.withTestApp { app in
            let tester = try app.testing()
            let first = try await tester.sendRequest(.GET, "/nonce", headers: Self.localhost)
            let second = try await tester.sendRequest(.GET, "/nonce", headers: Self.localhost)
            let firstNonce = first.body.string
            #expect(first.status == .ok)
            Self.expectStrictHeaders(first.headers)
            #expect(Self.nonce(in: first.headers.first(name: "Content-Security-Policy")) == firstNonce)
            #expect(first.headers.first(name: "Content-Security-Policy").map { $0.ranges(of: firstNonce).count } == 2)
            #expect(CSPNonce(firstNonce) != nil)
            #expect(second.body.string != firstNonce)
            #expect(Self.nonce(in: second.headers.first(name: "Content-Security-Policy")) == second.body.string)
        }
    }

    /// Path, `Accept` → status, content type, exact body.
    static let errorCases: [(String, String?, HTTPResponseStatus, String, String)] = [
        ("/no-such-page", nil, .notFound, "text/plain; charset=utf-8", "404 Not Found: There is nothing here. (notFound)\n"),
        (
            "/no-such-page", "application/json", .notFound, "application/json; charset=utf-8",
            #"{"error":"notFound","reason":"notFound","message":"There is nothing here."}"#
        ),
        ("/abort", nil, .badRequest, "text/plain; charset=utf-8", "400 Bad Request: nope (badRequest)\n"),
        (
            "/abort", "application/json", .badRequest, "application/json; charset=utf-8",
            #"{"error":"badRequest","reason":"badRequest","message":"nope"}"#
        ),
        (
            "/boom", nil, .internalServerError, "text/plain; charset=utf-8",
            "500 Internal Server Error: Something went wrong on our side. (internalError)\n"
        ),
        ("/csrf", nil, .forbidden, "text/plain; charset=utf-8", "403 Forbidden: the request came from another site (crossSite)\n"),
        ("/embed/fail", nil, .notFound, "text/plain; charset=utf-8", "404 Not Found: There is nothing here. (notFound)\n"),
    ]

    @Test("errors thrown inside it and the router's 404 get the refusal pages and every header", arguments: errorCases)
    func errorPages(path: String, accept: String?, status: HTTPResponseStatus, contentType: String, body: String) async throws {
        try await Self.withTestApp { app in
            var headers = Self.localhost
            if let accept { headers.add(name: "Accept", value: accept) }
            let response = try await app.testing().sendRequest(.GET, path, headers: headers)
            #expect(response.status == status)
            #expect(response.headers.first(name: "Content-Type") == contentType)
            #expect(response.headers.first(name: "Cache-Control") == "no-store")
            #expect(response.body.string == body)
            if path.hasPrefix("/embed") {
                #expect(response.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'self' https://partner.example") == true)
            } else {
                Self.expectStrictHeaders(response.headers)
            }
        }
    }

    @Test("a refusal keeps its own fields: Retry-After on a 503, Allow on a 405")
    func refusalFields() async throws {
        try await Self.withTestApp { app in
            let tester = try app.testing()
            let unavailable = try await tester.sendRequest(.GET, "/refusal", headers: Self.localhost)
            #expect(unavailable.status == .serviceUnavailable)
            #expect(unavailable.headers.first(name: "Retry-After") == "7")
            Self.expectStrictHeaders(unavailable.headers)
            let notAllowed = try await tester.sendRequest(.GET, "/not-allowed", headers: Self.localhost)
            #expect(notAllowed.status == .methodNotAllowed)
            #expect(notAllowed.headers.first(name: "Allow") == "POST")
            Self.expectStrictHeaders(notAllowed.headers)
        }
    }

    @Test("an ErrorMiddleware inside it keeps its own body, and the response still gets every header")
    func vaporErrorMiddlewareInside() async throws {
        try await Self.withTestApp { app in
            let response = try await app.testing().sendRequest(.GET, "/vapor-errors/abort", headers: Self.localhost)
            #expect(response.status == .forbidden)
            // Vapor's own shape (its JSONEncoder does not keep key order).
            let body = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
            #expect(body?["error"] as? Bool == true)
            #expect(body?["reason"] as? String == "members only")
            #expect(body?.count == 2)
            Self.expectStrictHeaders(response.headers, nonceUsed: false)
        }
    }

    /// `Host` values → status and reason.
    static let hostCases: [(String?, HTTPResponseStatus, String?)] = [
        ("localhost", .ok, nil),
        ("127.0.0.1:8080", .ok, nil),
        (nil, .badRequest, "missingHost"),
        ("evil.example", .badRequest, "hostNotAllowed"),
        ("local host", .badRequest, "malformedHost"),
    ]

    @Test("the Host allow-list: unlisted, missing and malformed hosts are refused with 400 and every header", arguments: hostCases)
    func hostAllowList(host: String?, status: HTTPResponseStatus, reason: String?) async throws {
        try await Self.withTestApp { app in
            var headers: HTTPHeaders = ["Accept": "application/json"]
            if let host { headers.add(name: "Host", value: host) }
            let response = try await app.testing().sendRequest(.GET, "/nonce", headers: headers)
            #expect(response.status == status)
            Self.expectStrictHeaders(response.headers)
            if let reason {
                #expect(response.body.string.contains("\"reason\":\"\(reason)\""))
            }
        }
    }

    static let limitCases: [(String, Int, Int, HTTPResponseStatus, String)] = [
        // (what, target bytes, header fields of 100 bytes each, status, reason)
        ("a normal request", 10, 10, .ok, ""),
        ("300 header fields", 10, 300, .requestHeaderFieldsTooLarge, "tooManyHeaders"),
        ("a 20 KiB header section in 90 fields", 10, 90, .requestHeaderFieldsTooLarge, "headerTooLarge"),
        ("a 10 KiB target", 10 * 1024, 10, .uriTooLong, "uriTooLong"),
    ]

    @Test("header-section and target limits: 431 and 414 with every header, the connection closed", arguments: limitCases)
    func limits(what: String, targetBytes: Int, fields: Int, status: HTTPResponseStatus, reason: String) async throws {
        try await Self.withTestApp { app in
            var headers: HTTPHeaders = ["Host": "localhost", "Accept": "application/json"]
            // 90 fields of about 230 bytes are 20 KiB, over the 16 KiB default; 10 or 300 fields of 100 bytes are not.
            let valueLength = what.contains("20 KiB") ? 220 : 90
            for index in 0..<fields { headers.add(name: "X-Filler-\(index)", value: String(repeating: "v", count: valueLength)) }
            let path = "/nonce" + (targetBytes > 10 ? "?q=" + String(repeating: "a", count: targetBytes) : "")
            let response = try await app.testing().sendRequest(.GET, path, headers: headers)
            #expect(response.status == status, "\(what)")
            Self.expectStrictHeaders(response.headers)
            if !reason.isEmpty {
                #expect(response.body.string.contains("\"reason\":\"\(reason)\""), "\(what): \(response.body.string)")
                #expect(response.headers.first(name: "Connection") == "close")
            }
        }
    }

    @Test("two different Host fields are refused")
    func conflictingHosts() async throws {
        try await Self.withTestApp { app in
            let headers = HTTPHeaders([("Host", "localhost"), ("Host", "evil.example"), ("Accept", "application/json")])
            let response = try await app.testing().sendRequest(.GET, "/nonce", headers: headers)
            #expect(response.status == .badRequest)
            #expect(response.body.string.contains("\"reason\":\"conflictingHost\""))
        }
    }

    @Test("a route group's override replaces the whole policy; the nonce is still the request's")
    func override() async throws {
        try await Self.withTestApp { app in
            let response = try await app.testing().sendRequest(.GET, "/embed/page", headers: Self.localhost)
            let csp = try #require(response.headers.first(name: "Content-Security-Policy"))
            #expect(csp.contains("frame-ancestors 'self' https://partner.example"))
            #expect(Self.nonce(in: csp) == response.body.string)
            #expect(response.headers.first(name: "X-Frame-Options") == nil)
            #expect(response.headers[canonicalForm: "Content-Security-Policy"].count == 1)
        }
    }

    @Test("no CSP on a 304; Server and X-Powered-By removed; Set-Cookie hardened")
    func responseShapes() async throws {
        try await Self.withTestApp { app in
            let tester = try app.testing()
            let notModified = try await tester.sendRequest(.GET, "/not-modified", headers: Self.localhost)
            #expect(notModified.status == .notModified)
            #expect(notModified.headers.first(name: "Content-Security-Policy") == nil)
            #expect(notModified.headers.first(name: "X-Content-Type-Options") == "nosniff")
            let fingerprint = try await tester.sendRequest(.GET, "/fingerprint", headers: Self.localhost)
            #expect(fingerprint.headers.first(name: "Server") == nil)
            #expect(fingerprint.headers.first(name: "X-Powered-By") == nil)
            let cookie = try await tester.sendRequest(.GET, "/cookie", headers: Self.localhost)
            // Vapor writes `Path=/; SameSite=Lax` itself; Rampart adds what it left out.
            #expect(cookie.headers.first(name: "Set-Cookie") == "theme=dark; Path=/; SameSite=Lax; Secure; HttpOnly")
        }
    }
}

@Suite("RampartSecurityMiddleware over a socket (Vapor)", .serialized)
struct RampartSecurityMiddlewareLiveTests {
    /// Serves the test app on a free loopback port (so the peer is 127.0.0.1) and hands `body` a
    /// client that does not follow redirects.
    static func live(
        _ transport: TransportSecurity,
        _ body: (Int, HTTPClient) async throws -> Void
    ) async throws {
        try await RampartSecurityMiddlewareTests.withTestApp(transport: transport) { app in
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: .init(redirectConfiguration: .disallow))
            do {
                let port = try #require(app.http.server.shared.localAddress?.port)
                try await body(port, client)
            } catch {
                try await client.shutdown()
                await app.server.shutdown()
                throw error
            }
            try await client.shutdown()
            await app.server.shutdown()
        }
    }

    /// Proxies trusted, `X-Forwarded-Proto` → status, `Location`, HSTS present.
    static let proxyCases: [([String], String?, HTTPResponseStatus, String?, Bool)] = [
        ([], nil, .movedPermanently, "https://localhost/secure", false),
        ([], "https", .movedPermanently, "https://localhost/secure", false),
        (["127.0.0.1"], "https", .ok, nil, true),
        (["127.0.0.1"], "http", .movedPermanently, "https://localhost/secure", false),
        (["10.0.0.0/8"], "https", .movedPermanently, "https://localhost/secure", false),
    ]

    @Test("HTTPS: plain HTTP is redirected; X-Forwarded-Proto is believed only from a trusted proxy", arguments: proxyCases)
    func trustedProxies(proxies: [String], proto: String?, status: HTTPResponseStatus, location: String?, hsts: Bool) async throws {
        let transport = TransportSecurity(
            allowedHosts: try HostAllowList(["localhost"]),
            trustedProxies: try TrustedProxies(proxies),
            httpsPolicy: .redirectToHTTPS
        )
        try await Self.live(transport) { port, client in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/secure")
            request.headers.add(name: "Host", value: "localhost")
            if let proto { request.headers.add(name: "X-Forwarded-Proto", value: proto) }
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == status)
            #expect(response.headers.first(name: "Location") == location)
            #expect(
                response.headers.first(name: "Strict-Transport-Security") == (hsts ? "max-age=63072000; includeSubDomains" : nil)
            )
            if status == .ok { #expect(String(buffer: body) == "https") }
            RampartSecurityMiddlewareTests.expectStrictHeadersExceptHSTS(response.headers)
        }
    }
}

extension RampartSecurityMiddlewareTests {
    static func expectStrictHeadersExceptHSTS(_ headers: HTTPHeaders, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(headers.first(name: "X-Content-Type-Options") == "nosniff", sourceLocation: sourceLocation)
        #expect(headers.first(name: "X-Frame-Options") == "DENY", sourceLocation: sourceLocation)
        #expect(headers.first(name: "Content-Security-Policy")?.hasPrefix("default-src 'none'; ") == true, sourceLocation: sourceLocation)
    }
}

@Suite("A body cut short on Vapor")
struct IncompleteBodyTests {
    static let errors: [any Error & Sendable] = [
        HTTPParserError.invalidEOFState,
        HTTPParserError.invalidChunkSize,
        IOError(errnoCode: ECONNRESET, reason: "read"),
        ChannelError.eof,
    ]

    @Test("a parser error, a reset or an early EOF inside a handler is a 400 incompleteBody with every header, not a 500", arguments: 0..<4)
    func incompleteBody(index: Int) async throws {
        try await withApp { app in
            app.middleware.use(try RampartSecurityMiddleware(transport: RampartSecurityMiddlewareTests.loopbackHTTP))
            let error = Self.errors[index]
            app.post("upload") { _ -> String in throw error }
            let response = try await app.testing().sendRequest(.POST, "/upload", headers: ["Host": "localhost", "Accept": "application/json"])
            #expect(response.status == .badRequest)
            #expect(response.body.string.contains("\"reason\":\"incompleteBody\""), "\(response.body.string)")
            RampartSecurityMiddlewareTests.expectStrictHeaders(response.headers)
        }
    }
}
