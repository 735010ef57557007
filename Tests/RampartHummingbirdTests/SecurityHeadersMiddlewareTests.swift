import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Rampart
import RampartHummingbird
import Testing

struct Boom: Error {}

@Suite("SecurityHeadersMiddleware (router)")
struct SecurityHeadersMiddlewareTests {
    static let loopbackHTTP = TransportSecurity(allowedHosts: .loopback, httpsPolicy: .allowInsecureHTTP)

    static func makeApp(headers: SecurityHeaders = .strict, transport: TransportSecurity = loopbackHTTP) throws -> some ApplicationProtocol {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(middleware: try SecurityHeadersMiddleware(headers: headers, transport: transport))
        router.get("/nonce") { _, context in context.security.cspNonce?.value ?? "none" }
        router.get("/throw-http") { _, _ -> String in throw HTTPError(.badRequest, message: "nope") }
        router.get("/throw-other") { _, _ -> String in throw Boom() }
        router.get("/not-modified") { _, _ in Response(status: .notModified) }
        router.get("/fingerprint") { _, _ in
            Response(status: .ok, headers: [.server: "Hummingbird", HTTPField.Name("X-Powered-By")!: "Swift"])
        }
        let embed = router.group("embed")
        embed.add(
            middleware: try SecurityHeadersOverrideMiddleware(
                headers: SecurityHeaders.strict.allowingFraming(by: [.self, .host("https://partner.example")])
            )
        )
        embed.get("page") { _, context in context.security.cspNonce?.value ?? "none" }
        embed.get("fail") { _, _ -> String in throw HTTPError(.notFound) }
        let rollout = router.group("rollout")
        rollout.add(middleware: try SecurityHeadersOverrideMiddleware(headers: SecurityHeaders.strict.reportingOnly()))
        rollout.get("page") { _, _ in "ok" }
        rollout.get("script") { _, context in "<script nonce=\"\(context.security.cspNonce?.value ?? "")\">x()</script>" }
        let api = router.group("api")
        api.add(middleware: try SecurityHeadersOverrideMiddleware(headers: .api))
        api.get("items") { _, _ in "[]" }
        return Application(router: router)
    }

    static func expectStrictHeaders(_ headers: HTTPFields, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(headers[.xContentTypeOptions] == "nosniff", sourceLocation: sourceLocation)
        #expect(headers[HTTPField.Name("X-Frame-Options")!] == "DENY", sourceLocation: sourceLocation)
        #expect(headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", sourceLocation: sourceLocation)
        #expect(headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] == "same-origin", sourceLocation: sourceLocation)
        #expect(headers[.crossOriginResourcePolicy] == "same-origin", sourceLocation: sourceLocation)
        #expect(headers[HTTPField.Name("Permissions-Policy")!]?.hasPrefix("accelerometer=(), ") == true, sourceLocation: sourceLocation)
        #expect(headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'; script-src 'self' 'nonce-") == true, sourceLocation: sourceLocation)
        #expect(headers[.strictTransportSecurity] == nil, sourceLocation: sourceLocation)
    }

    static func nonce(in csp: String?) -> String? {
        guard let csp, let start = csp.firstRange(of: "'nonce-")?.upperBound else { return nil }
        return String(csp[start...].prefix { $0 != "'" })
    }

    @Test("the nonce in the CSP equals the one in the context, and changes per request")
    func nonceMatchesContext() async throws {
        try await Self.makeApp().test(.router) { client in
            let first = try await client.execute(uri: "/nonce", method: .get)
            let second = try await client.execute(uri: "/nonce", method: .get)
            let firstNonce = String(buffer: first.body)
            let secondNonce = String(buffer: second.body)
            #expect(Self.nonce(in: first.headers[.contentSecurityPolicy]) == firstNonce)
            #expect(Self.nonce(in: second.headers[.contentSecurityPolicy]) == secondNonce)
            #expect(firstNonce != secondNonce)
            #expect(CSPNonce(firstNonce) != nil)
            #expect(first.headers[.contentSecurityPolicy].map { $0.ranges(of: firstNonce).count } == 2)
        }
    }

    @Test("headers are on a 404 for an unknown path")
    func notFound() async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/no-such-page", method: .get)
            #expect(response.status == .notFound)
            Self.expectStrictHeaders(response.headers)
        }
    }

    @Test(
        "headers are on errors a handler throws",
        arguments: [
            ("/throw-http", HTTPResponse.Status.badRequest),
            ("/throw-other", .internalServerError),
        ]
    )
    func thrownErrors(_ path: String, _ status: HTTPResponse.Status) async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == status)
            Self.expectStrictHeaders(response.headers)
            #expect(!String(buffer: response.body).contains("Boom"))
        }
    }

    @Test("a 304 gets no CSP")
    func notModified() async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/not-modified", method: .get)
            #expect(response.status == .notModified)
            #expect(response.headers[.contentSecurityPolicy] == nil)
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
        }
    }

    @Test("Server and X-Powered-By are removed")
    func fingerprinting() async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/fingerprint", method: .get)
            #expect(response.headers[.server] == nil)
            #expect(response.headers[HTTPField.Name("X-Powered-By")!] == nil)
        }
    }

    @Test("a route group can allow framing: frame-ancestors changes and X-Frame-Options goes, once")
    func embedOverride() async throws {
        try await Self.makeApp().test(.router) { client in
            for path in ["/embed/page", "/embed/fail"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.headers[values: .contentSecurityPolicy].count == 1)
                #expect(
                    response.headers[.contentSecurityPolicy]?.contains("; frame-ancestors 'self' https://partner.example; base-uri 'none';") == true
                )
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == nil)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
            let page = try await client.execute(uri: "/embed/page", method: .get)
            #expect(Self.nonce(in: page.headers[.contentSecurityPolicy]) == String(buffer: page.body))
            // Routes outside the group keep the default.
            let other = try await client.execute(uri: "/nonce", method: .get)
            #expect(other.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(other.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
        }
    }

    @Test("a route group can roll a policy out as report-only")
    func reportOnlyOverride() async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/rollout/page", method: .get)
            #expect(response.headers[.contentSecurityPolicy] == nil)
            #expect(response.headers[values: .contentSecurityPolicyReportOnly].count == 1)
            // Nothing on this response read the nonce: the policy is sent without it.
            #expect(response.headers[.contentSecurityPolicyReportOnly]?.hasPrefix("default-src 'none'; script-src 'self'; style-src 'self';") == true)
            #expect(response.headers[.cacheControl] == nil)
            let script = try await client.execute(uri: "/rollout/script", method: .get)
            let nonce = try #require(Self.nonce(in: script.headers[.contentSecurityPolicyReportOnly]))
            #expect(String(buffer: script.body) == "<script nonce=\"\(nonce)\">x()</script>")
            #expect(script.headers[.cacheControl] == "no-store")
        }
    }

    /// Path, whether the handler reads the nonce, the status it answers, the Cache-Control it
    /// sets → CSP carries a nonce, the Cache-Control sent.
    static let lazyNonceCases: [(String, Bool, Int, String?, Bool, String?)] = [
        ("JSON, nonce unread", false, 200, nil, false, nil),
        ("JSON with its own caching, nonce unread", false, 200, "public, max-age=60", false, "public, max-age=60"),
        ("a page that stamps the nonce", true, 200, nil, true, "no-store"),
        ("a page that stamps it and asks to be cached", true, 200, "public, max-age=60", true, "private, no-store, max-age=60"),
        ("a page already private", true, 200, "private, max-age=0", true, "private, no-store, max-age=0"),
        ("a 304 of a page that stamped the nonce", true, 304, "max-age=60", false, "private, no-store, max-age=60"),
        ("a 304 that read nothing", false, 304, "max-age=60", false, "max-age=60"),
    ]

    @Test("lazy nonces: drawn only when read; a response that read one is never stored by a cache", arguments: lazyNonceCases)
    func lazyNonce(label: String, reads: Bool, status: Int, cacheControl: String?, nonceInCSP: Bool, sent: String?) async throws {
        let router = Router(context: BasicRampartRequestContext.self)
        router.add(
            middleware: try SecurityHeadersMiddleware(transport: Self.loopbackHTTP)
        )
        router.get("/r") { _, context -> Response in
            var headers: HTTPFields = [:]
            if let cacheControl { headers[.cacheControl] = cacheControl }
            let body = reads ? "<script nonce=\"\(context.security.cspNonce?.value ?? "")\"></script>" : "{}"
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/r", method: .get)
            #expect(response.status.code == status, "\(label)")
            #expect(response.headers[.cacheControl] == sent, "\(label)")
            let csp = response.headers[.contentSecurityPolicy]
            if status == 304 {
                #expect(csp == nil, "\(label): no CSP on a 304")
            } else {
                #expect((csp?.contains("'nonce-") == true) == nonceInCSP, "\(label): \(csp ?? "nil")")
                #expect(csp?.hasPrefix("default-src 'none'; script-src 'self'") == true, "\(label)")
            }
        }
    }

    @Test("a route group can use the api preset")
    func apiOverride() async throws {
        try await Self.makeApp().test(.router) { client in
            let response = try await client.execute(uri: "/api/items", method: .get)
            #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
        }
    }

    @Test("contradicting policies are refused when the middleware is created")
    func startupError() {
        var headers = SecurityHeaders.strict
        headers.frameOptions = .sameOrigin
        let error = #expect(throws: SecurityConfigurationError.self) {
            try SecurityHeadersMiddleware<BasicRampartRequestContext>(headers: headers, transport: Self.loopbackHTTP)
        }
        #expect(error?.setting == "X-Frame-Options")
    }
}
