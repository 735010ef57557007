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
            #expect(response.headers[.contentSecurityPolicyReportOnly]?.hasPrefix("default-src 'none'; script-src 'self' 'nonce-") == true)
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
