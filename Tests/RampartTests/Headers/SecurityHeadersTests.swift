import HTTPTypes
import Rampart
import Testing

@Suite("SecurityHeaders")
struct SecurityHeadersTests {
    static let nonce = CSPNonce("AAAAAAAAAAAAAAAAAAAAAA==")!

    static func render(
        _ headers: SecurityHeaders = .strict,
        isSecure: Bool = true,
        status: HTTPResponse.Status = .ok,
        into start: HTTPFields = [:]
    ) throws -> HTTPFields {
        var fields = start
        try headers.rendered().apply(to: &fields, nonce: nonce, isSecure: isSecure, status: status)
        return fields
    }

    static let expectedStrict: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        (
            "Permissions-Policy",
            "accelerometer=(), ambient-light-sensor=(), autoplay=(), bluetooth=(), browsing-topics=(), camera=(), display-capture=(), encrypted-media=(), gamepad=(), geolocation=(), gyroscope=(), hid=(), identity-credentials-get=(), idle-detection=(), local-fonts=(), magnetometer=(), microphone=(), midi=(), otp-credentials=(), payment=(), publickey-credentials-create=(), publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), web-share=(), window-management=(), xr-spatial-tracking=()"
        ),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Origin-Agent-Cluster", "?1"),
        ("X-DNS-Prefetch-Control", "off"),
        ("X-Permitted-Cross-Domain-Policies", "none"),
        ("X-Download-Options", "noopen"),
        ("X-XSS-Protection", "0"),
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; style-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; upgrade-insecure-requests"
        ),
        // The response used its nonce: no cache may store it.
        ("Cache-Control", "no-store"),
    ]

    @Test("a response whose nonce nothing used: the CSP without 'nonce-…', and no Cache-Control added")
    func unusedNonce() throws {
        var fields = HTTPFields()
        try SecurityHeaders.strict.rendered().apply(to: &fields, nonce: nil, isSecure: true, status: .ok)
        #expect(
            fields[.contentSecurityPolicy]
                == "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; upgrade-insecure-requests"
        )
        #expect(fields[.cacheControl] == nil)
        var api = HTTPFields()
        try SecurityHeaders.api.rendered().apply(to: &api, nonce: Self.nonce, isSecure: true, status: .ok)
        #expect(api[.cacheControl] == nil, "a policy without nonce sources never needs no-store")
    }

    /// The app's Cache-Control → what a response that used its nonce sends.
    static let noStoreCases: [(String?, String)] = [
        (nil, "no-store"),
        ("no-store", "no-store"),
        ("public, max-age=3600", "private, no-store, max-age=3600"),
        ("max-age=0, must-revalidate", "private, no-store, max-age=0, must-revalidate"),
        ("private", "private, no-store"),
        ("no-store, max-age=0", "private, no-store, max-age=0"),
        ("PUBLIC, s-maxage=60", "private, no-store, s-maxage=60"),
    ]

    @Test("markNoStore keeps the app's own directives, drops public", arguments: noStoreCases)
    func noStore(existing: String?, expected: String) {
        var fields = HTTPFields()
        if let existing { fields[.cacheControl] = existing }
        RenderedSecurityHeaders.markNoStore(&fields)
        #expect(fields[values: .cacheControl] == [expected])
    }

    @Test("by default (strict, over HTTPS): every header, exact strings, in order")
    func strictOverHTTPS() throws {
        let fields = try Self.render()
        let actual = fields.map { ($0.name.canonicalName, $0.value) }
        #expect(actual.map(\.0) == Self.expectedStrict.map { HTTPField.Name($0.0)!.canonicalName })
        for (name, value) in Self.expectedStrict {
            #expect(fields[HTTPField.Name(name)!] == value, "\(name)")
        }
    }

    @Test("over plain HTTP: no HSTS and no upgrade-insecure-requests")
    func strictOverHTTP() throws {
        let fields = try Self.render(isSecure: false)
        #expect(fields[.strictTransportSecurity] == nil)
        #expect(
            fields[.contentSecurityPolicy]
                == "default-src 'none'; script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; style-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        )
        #expect(fields.count == Self.expectedStrict.count - 1)
    }

    @Test("the api preset: no nonce, nothing may load, no framing")
    func apiPreset() throws {
        let fields = try Self.render(.api)
        #expect(fields[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
        #expect(fields[HTTPField.Name("X-Frame-Options")!] == "DENY")
        #expect(fields[.xContentTypeOptions] == "nosniff")
    }

    @Test("a 304 gets no CSP, but keeps the other headers")
    func notModified() throws {
        let fields = try Self.render(status: .notModified)
        #expect(fields[.contentSecurityPolicy] == nil)
        #expect(fields[.xContentTypeOptions] == "nosniff")
        #expect(fields[.strictTransportSecurity] == "max-age=63072000; includeSubDomains")
    }

    @Test("fingerprinting headers are removed")
    func fingerprinting() throws {
        let fields = try Self.render(into: [.server: "nginx/1.2", HTTPField.Name("X-Powered-By")!: "Express"])
        #expect(fields[.server] == nil)
        #expect(fields[HTTPField.Name("X-Powered-By")!] == nil)
    }

    @Test("a header the handler set is kept, not duplicated")
    func handlerWins() throws {
        let fields = try Self.render(into: [.contentSecurityPolicy: "sandbox; default-src 'none'", .crossOriginResourcePolicy: "cross-origin"])
        #expect(fields[values: .contentSecurityPolicy] == ["sandbox; default-src 'none'"])
        #expect(fields[values: .crossOriginResourcePolicy] == ["cross-origin"])
        #expect(fields[.xContentTypeOptions] == "nosniff")
    }

    @Test(
        "X-Frame-Options follows frame-ancestors",
        arguments: [
            ([CSPSource.none], "DENY"),
            ([CSPSource.`self`], "SAMEORIGIN"),
            ([CSPSource.`self`, .host("https://partner.example")], nil),
        ] as [([CSPSource], String?)]
    )
    func frameOptionsDerived(_ ancestors: [CSPSource], _ expected: String?) throws {
        let headers = try SecurityHeaders.strict.allowingFraming(by: ancestors)
        let fields = try Self.render(headers)
        #expect(fields[HTTPField.Name("X-Frame-Options")!] == expected)
        #expect(fields[.contentSecurityPolicy]?.contains("frame-ancestors \(ancestors.map(\.description).joined(separator: " "));") == true)
    }

    @Test("an explicit X-Frame-Options that contradicts frame-ancestors is refused")
    func frameOptionsConflict() throws {
        var headers = SecurityHeaders.strict
        headers.frameOptions = .sameOrigin
        let error = #expect(throws: SecurityConfigurationError.self) { try headers.rendered() }
        #expect(error?.reason == .conflict)
        #expect(
            error?.description
                == "X-Frame-Options: contradicts frame-ancestors 'none'; leave frameOptions nil to derive it (value: \"SAMEORIGIN\", reason: conflict)"
        )
    }

    @Test("without frame-ancestors, X-Frame-Options is DENY")
    func frameOptionsWithoutAncestors() throws {
        let headers = SecurityHeaders(contentSecurityPolicy: try ContentSecurityPolicy([.defaultSrc(.self)], nonceDirectives: []))
        let fields = try Self.render(headers)
        #expect(fields[HTTPField.Name("X-Frame-Options")!] == "DENY")
    }

    @Test("enforced and report-only policies are sent together, with Reporting-Endpoints in order")
    func reportOnlyWithEndpoints() throws {
        var headers = SecurityHeaders.strict
        headers.reportingEndpoints = try ReportingEndpoints(["csp-endpoint": "/csp-reports", "default": "https://reports.example/r"])
        headers.contentSecurityPolicyReportOnly = try ContentSecurityPolicy(
            [.defaultSrc(.none), .scriptSrc(.strictDynamic), .requireTrustedTypesForScript, .reportTo("csp-endpoint")],
            nonceDirectives: [.scriptSrc]
        )
        let fields = try Self.render(headers)
        #expect(fields[HTTPField.Name("Reporting-Endpoints")!] == "csp-endpoint=\"/csp-reports\", default=\"https://reports.example/r\"")
        #expect(
            fields[.contentSecurityPolicyReportOnly]
                == "default-src 'none'; script-src 'strict-dynamic' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; require-trusted-types-for 'script'; report-to csp-endpoint"
        )
        #expect(fields[.contentSecurityPolicy]?.hasPrefix("default-src 'none'; script-src 'self' 'nonce-") == true)
    }

    @Test("over plain HTTP, report-to is left out when report-uri is there (Chromium reports only to HTTPS endpoints)")
    func reportToOnlyOverHTTPS() throws {
        let both = try ContentSecurityPolicy([.defaultSrc(.none), .reportURI("/csp-reports"), .reportTo("csp")], nonceDirectives: [])
        let nonce = try #require(CSPNonce("AAAAAAAAAAAAAAAAAAAAAA=="))
        #expect(both.headerValue(nonce: nonce, isSecure: true) == "default-src 'none'; report-uri /csp-reports; report-to csp")
        #expect(both.headerValue(nonce: nonce, isSecure: false) == "default-src 'none'; report-uri /csp-reports")
        let only = try ContentSecurityPolicy([.defaultSrc(.none), .reportTo("csp")], nonceDirectives: [])
        #expect(only.headerValue(nonce: nonce, isSecure: false) == "default-src 'none'; report-to csp")
    }

    @Test("reportingOnly() moves the policy to the report-only header")
    func reportingOnly() throws {
        let fields = try Self.render(SecurityHeaders.strict.reportingOnly())
        #expect(fields[.contentSecurityPolicy] == nil)
        #expect(fields[.contentSecurityPolicyReportOnly]?.hasPrefix("default-src 'none'; script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='") == true)
    }

    @Test("report-to must name a declared endpoint")
    func reportToUndeclared() throws {
        let headers = SecurityHeaders(contentSecurityPolicy: try ContentSecurityPolicy([.defaultSrc(.none), .reportTo("csp")], nonceDirectives: []))
        let error = #expect(throws: SecurityConfigurationError.self) { try headers.rendered() }
        #expect(error?.reason == .missingDirective)
        #expect(error?.message == "report-to names endpoint 'csp', which reportingEndpoints does not declare")
    }

    @Test(
        "COEP is off by default and can be turned on",
        arguments: [
            (CrossOriginEmbedderPolicy.requireCorp, "require-corp"),
            (CrossOriginEmbedderPolicy.credentialless, "credentialless"),
        ]
    )
    func coep(_ policy: CrossOriginEmbedderPolicy, _ value: String) throws {
        #expect(try Self.render()[HTTPField.Name("Cross-Origin-Embedder-Policy")!] == nil)
        var headers = SecurityHeaders.strict
        headers.crossOriginEmbedderPolicy = policy
        #expect(try Self.render(headers)[HTTPField.Name("Cross-Origin-Embedder-Policy")!] == value)
    }

    @Test("dangerouslyOmittedHeaders drops exactly the named headers")
    func omitted() throws {
        var headers = SecurityHeaders.strict
        headers.dangerouslyOmittedHeaders = [.strictTransportSecurity, HTTPField.Name("Permissions-Policy")!]
        let fields = try Self.render(headers)
        #expect(fields[.strictTransportSecurity] == nil)
        #expect(fields[HTTPField.Name("Permissions-Policy")!] == nil)
        #expect(fields.count == Self.expectedStrict.count - 2)
    }
}
