import HTTPTypes
import Rampart
import Testing

@Suite("Referrer-Policy, Permissions-Policy, Reporting-Endpoints and the fixed headers")
struct HeaderPolicyTests {
    @Test(
        "by default: the fixed headers' exact values",
        arguments: [
            (XContentTypeOptions.nosniff.headerField, "X-Content-Type-Options", "nosniff"),
            (XFrameOptions.deny.headerField, "X-Frame-Options", "DENY"),
            (XFrameOptions.sameOrigin.headerField, "X-Frame-Options", "SAMEORIGIN"),
            (CrossOriginOpenerPolicy.sameOrigin.headerField, "Cross-Origin-Opener-Policy", "same-origin"),
            (CrossOriginOpenerPolicy.sameOriginAllowPopups.headerField, "Cross-Origin-Opener-Policy", "same-origin-allow-popups"),
            (CrossOriginResourcePolicy.sameOrigin.headerField, "Cross-Origin-Resource-Policy", "same-origin"),
            (CrossOriginResourcePolicy.crossOrigin.headerField, "Cross-Origin-Resource-Policy", "cross-origin"),
            (CrossOriginEmbedderPolicy.requireCorp.headerField, "Cross-Origin-Embedder-Policy", "require-corp"),
            (OriginAgentCluster.enabled.headerField, "Origin-Agent-Cluster", "?1"),
            (XDNSPrefetchControl.off.headerField, "X-DNS-Prefetch-Control", "off"),
            (XPermittedCrossDomainPolicies.none.headerField, "X-Permitted-Cross-Domain-Policies", "none"),
            (XDownloadOptions.noopen.headerField, "X-Download-Options", "noopen"),
            (XXSSProtection.disabled.headerField, "X-XSS-Protection", "0"),
            (ReferrerPolicy.noReferrer.headerField, "Referrer-Policy", "no-referrer"),
        ]
    )
    func fixed(_ field: HTTPField, _ name: String, _ value: String) {
        #expect(field.name.canonicalName == name.lowercased())
        #expect(field.value == value)
    }

    @Test("Referrer-Policy accepts a fallback list, in order")
    func referrerList() throws {
        #expect(try ReferrerPolicy(.noReferrer, .strictOriginWhenCrossOrigin).headerField.value == "no-referrer, strict-origin-when-cross-origin")
        #expect(try ReferrerPolicy(parsing: " Same-Origin ,strict-origin").headerField.value == "same-origin, strict-origin")
    }

    @Test(
        "Referrer-Policy refuses unknown, duplicate and empty lists",
        arguments: [
            (
                "no-referer", SecurityConfigurationError.Reason.invalidValue,
                "Referrer-Policy: unknown referrer policy token (value: \"no-referer\", reason: invalidValue)"
            ),
            ("origin, origin", .duplicate, "Referrer-Policy: a token is listed twice (value: \"origin, origin\", reason: duplicate)"),
            (
                "no-referrer\r\nSet-Cookie: a=b", .invalidValue,
                "Referrer-Policy: unknown referrer policy token (value: \"no-referrer\\r\\nSet-Cookie: a=b\", reason: invalidValue)"
            ),
        ]
    )
    func referrerRefused(_ text: String, _ reason: SecurityConfigurationError.Reason, _ description: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try ReferrerPolicy(parsing: text) }
        #expect(error?.reason == reason)
        #expect(error?.description == description)
    }

    @Test("Permissions-Policy allowlists serialise as structured fields")
    func permissionsAllowlists() throws {
        let policy = try PermissionsPolicy([
            (.camera, .none),
            (.fullscreen, .self),
            (.geolocation, .origins("https://maps.example")),
            (.payment, .origins("https://pay.example:8443", includingSelf: false)),
            (.autoplay, .all),
        ])
        #expect(
            policy.headerField.value
                == "camera=(), fullscreen=(self), geolocation=(self \"https://maps.example\"), payment=(\"https://pay.example:8443\"), autoplay=*"
        )
    }

    @Test("Permissions-Policy allowing() replaces one entry in place")
    func permissionsAllowing() throws {
        let policy = try PermissionsPolicy.default.allowing(.camera, .self)
        #expect(policy.headerField.value.contains("browsing-topics=(), camera=(self), display-capture=()"))
        #expect(policy.entries.count == PermissionsPolicy.deniedByDefault.count)
    }

    @Test(
        "Permissions-Policy refuses bad features and origins",
        arguments: [
            (
                [(PermissionsPolicy.Feature("Camera"), PermissionsPolicy.Allowlist.none)],
                "Permissions-Policy: feature names are lowercase letters, digits, '-', '_', '.' and '*', starting with a letter (value: \"Camera\", reason: invalidValue)"
            ),
            ([(.camera, .none), (.camera, .self)], "Permissions-Policy: feature listed twice (value: \"camera\", reason: duplicate)"),
            (
                [(.camera, .origins("https://a.example/path"))],
                "Permissions-Policy: camera: an origin is scheme://host[:port] with no path, query or fragment (not even a trailing '/') (value: \"https://a.example/path\", reason: invalidValue)"
            ),
            (
                [(.camera, .origins("https://a.example\"), evil=(*"))],
                "Permissions-Policy: camera: not an origin of the form scheme://host[:port] (value: \"https://a.example\\\"), evil=(*\", reason: invalidValue)"
            ),
            (
                [(.camera, .origins("javascript://x"))],
                "Permissions-Policy: camera: the scheme must be http or https (value: \"javascript://x\", reason: invalidValue)"
            ),
        ] as [([(PermissionsPolicy.Feature, PermissionsPolicy.Allowlist)], String)]
    )
    func permissionsRefused(_ entries: [(PermissionsPolicy.Feature, PermissionsPolicy.Allowlist)], _ description: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try PermissionsPolicy(entries.map { (feature: $0.0, allowlist: $0.1) }) }
        #expect(error?.description == description)
    }

    @Test(
        "Reporting-Endpoints refuses bad names and URLs",
        arguments: [
            (
                "CSP", "/r",
                "Reporting-Endpoints: endpoint names are lowercase letters, digits, '_', '-', '.' and '*', starting with a letter (value: \"CSP\", reason: invalidValue)"
            ),
            (
                "csp", "/r\"; x=\"y",
                "Reporting-Endpoints: endpoint csp: not an absolute http(s) URL or a path starting with '/' (value: \"/r\\\"; x=\\\"y\", reason: invalidValue)"
            ),
            (
                "csp", "javascript:alert(1)",
                "Reporting-Endpoints: endpoint csp: not an absolute http(s) URL or a path starting with '/' (value: \"javascript:alert(1)\", reason: invalidValue)"
            ),
            (
                "csp", "//evil.example/r",
                "Reporting-Endpoints: endpoint csp: not an absolute http(s) URL or a path starting with '/' (value: \"//evil.example/r\", reason: invalidValue)"
            ),
            (
                "csp", "/r\n",
                "Reporting-Endpoints: endpoint csp: not an absolute http(s) URL or a path starting with '/' (value: \"/r\\n\", reason: invalidValue)"
            ),
        ]
    )
    func endpointsRefused(_ name: String, _ url: String, _ description: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try ReportingEndpoints([.init(name: name, url: url)]) }
        #expect(error?.description == description)
    }

    @Test("Reporting-Endpoints refuses duplicates and an empty list")
    func endpointsDuplicates() {
        let duplicate = #expect(throws: SecurityConfigurationError.self) { try ReportingEndpoints(["a": "/1", "a": "/2"]) }
        #expect(duplicate?.reason == .duplicate)
        let empty = #expect(throws: SecurityConfigurationError.self) { try ReportingEndpoints([Rampart.ReportingEndpoints.Endpoint]()) }
        #expect(empty?.reason == .empty)
    }
}
