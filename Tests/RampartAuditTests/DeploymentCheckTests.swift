import HTTPTypes
import Rampart
import Testing

@testable import RampartAudit

/// The header rules of the deployment check. The server, key-file and database rules are the
/// reference app's, tested in RampartAppTests.
@Suite("DeploymentCheck: header rules")
struct DeploymentCheckTests {
    static let defaultHSTS = "max-age=63072000; includeSubDomains"
    static let defaultCSP =
        "default-src 'none'; script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; style-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; upgrade-insecure-requests"

    @Test("by default: Rampart's strict headers have no findings")
    func byDefault() {
        #expect(StrictTransportSecurity.default.headerField.value == Self.defaultHSTS)
        #expect(SecurityHeaders.strictContentSecurityPolicy.headerValue(nonce: DeploymentCheck.sampleNonce, isSecure: true) == Self.defaultCSP)
        #expect(DeploymentCheck.checkHeaders(strictTransportSecurity: Self.defaultHSTS, contentSecurityPolicy: Self.defaultCSP) == [])
        #expect(DeploymentCheck.checkHeaders(.strict) == [])
        #expect(DeploymentCheck.checkHeaders(.api) == [])
    }

    @Test("a SecurityHeaders value is linted as sent; an omitted header as absent")
    func securityHeaders() throws {
        var headers = SecurityHeaders.strict
        headers.strictTransportSecurity = .disabled
        #expect(DeploymentCheck.checkHeaders(headers).map(\.id) == ["hsts.disabled"])
        headers.strictTransportSecurity = try StrictTransportSecurity(maxAge: 300)
        #expect(DeploymentCheck.checkHeaders(headers).map(\.id) == ["hsts.short-max-age"])
        headers = .strict
        headers.dangerouslyOmittedHeaders = [.contentSecurityPolicy]
        #expect(DeploymentCheck.checkHeaders(headers).map(\.id) == ["csp.empty"])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var hsts = DeploymentCheckTests.defaultHSTS
        var csp = DeploymentCheckTests.defaultCSP
        let ids: [String]
        var testDescription: String { name }
    }

    @Test(
        "findings by id",
        arguments: [
            // HSTS.
            Case(name: "preload without includeSubDomains", hsts: "max-age=63072000; preload", ids: ["hsts.preload-without-subdomains"]),
            Case(
                name: "preload with a short max-age",
                hsts: "max-age=86400; includeSubDomains; preload",
                ids: ["hsts.preload-max-age", "hsts.short-max-age"]
            ),
            Case(name: "preload, case-insensitive, quoted max-age", hsts: "Max-Age=\"63072000\"; PRELOAD", ids: ["hsts.preload-without-subdomains"]),
            Case(name: "full preload value", hsts: "max-age=63072000; includeSubDomains; preload", ids: []),
            Case(name: "max-age=0", hsts: "max-age=0", ids: ["hsts.disabled"]),
            Case(name: "short max-age", hsts: "max-age=300", ids: ["hsts.short-max-age"]),
            Case(name: "180 days is not short", hsts: "max-age=15552000", ids: []),
            Case(name: "one second under 180 days is", hsts: "max-age=15551999", ids: ["hsts.short-max-age"]),
            Case(name: "no max-age", hsts: "includeSubDomains", ids: ["hsts.invalid"]),
            Case(name: "max-age twice", hsts: "max-age=1; max-age=63072000", ids: ["hsts.invalid"]),
            Case(name: "max-age without a value", hsts: "max-age; includeSubDomains", ids: ["hsts.invalid"]),
            Case(name: "negative max-age", hsts: "max-age=-1", ids: ["hsts.invalid"]),
            Case(name: "max-age over 12 digits", hsts: "max-age=1234567890123", ids: ["hsts.invalid"]),
            Case(name: "CRLF in HSTS", hsts: "max-age=63072000\r\nX: y", ids: ["hsts.invalid"]),
            Case(name: "unknown directives are ignored", hsts: "max-age=63072000; includeSubDomains; foo=\"bar\"", ids: []),
            // Bytes, not Characters: a combining mark after a quote or "=" spoils the value.
            Case(name: "a mark inside the quotes", hsts: "max-age=\"\u{301}63072000\"", ids: ["hsts.invalid"]),
            Case(name: "a mark after =", hsts: "max-age=\u{301}63072000", ids: ["hsts.invalid"]),
            // Directive names compare by code point: GREEK VARIA is canonically equivalent to "`".
            Case(name: "two unknown directives equal only under canonical equivalence", hsts: "max-age=63072000; `; \u{1FEF}", ids: []),
            Case(name: "an unknown directive twice", hsts: "max-age=63072000; `; `", ids: ["hsts.invalid"]),
            // CSP.
            Case(name: "unsafe-inline scripts", csp: "default-src 'self'; script-src 'self' 'unsafe-inline'", ids: ["csp.unsafe-inline-script"]),
            Case(
                name: "unsafe-inline through default-src",
                csp: "default-src 'self' 'UNSAFE-INLINE'",
                ids: ["csp.unsafe-inline-script", "csp.unsafe-inline-style"]
            ),
            Case(
                name: "unsafe-inline with a nonce is the CSP1 fallback",
                csp: "script-src 'nonce-abc' 'unsafe-inline'; style-src 'sha256-abc' 'unsafe-inline'",
                ids: []
            ),
            Case(name: "unsafe-inline with strict-dynamic", csp: "script-src 'strict-dynamic' 'unsafe-inline' https:", ids: []),
            Case(name: "unsafe-inline styles", csp: "default-src 'none'; style-src 'self' 'unsafe-inline'", ids: ["csp.unsafe-inline-style"]),
            Case(
                name: "unsafe-inline event handlers",
                csp: "default-src 'none'; script-src 'self'; script-src-attr 'unsafe-inline'",
                ids: ["csp.unsafe-inline-script"]
            ),
            Case(name: "script-src overrides default-src", csp: "default-src 'unsafe-inline'; script-src 'self'; style-src 'self'", ids: []),
            Case(name: "only the first of a repeated directive counts", csp: "script-src 'self'; script-src 'unsafe-inline'", ids: []),
            Case(name: "unsafe-eval", csp: "script-src 'self' 'unsafe-eval'", ids: ["csp.unsafe-eval"]),
            Case(name: "empty CSP", csp: " ; ", ids: ["csp.empty"]),
            Case(name: "CSP with a newline", csp: "default-src 'self'\nscript-src *", ids: ["csp.invalid"]),
            // Bytes, not Characters: a space then a combining mark is still a space, so Firefox
            // reads 'unsafe-inline'; Chromium skips the non-ASCII directive, leaving no policy.
            Case(
                name: "a mark after a space does not hide 'unsafe-inline'",
                csp: "script-src 'unsafe-inline' \u{301}",
                ids: ["csp.non-ascii", "csp.unsafe-inline-script", "csp.empty"]
            ),
            // Chromium skips a directive with a non-ASCII character (CSP3 §2.2.1), so default-src
            // governs scripts there: both readings are linted.
            Case(
                name: "a non-ASCII script-src falls back to default-src in Chromium",
                csp: "script-src 'none' \u{E9}; default-src 'unsafe-inline'",
                ids: ["csp.non-ascii", "csp.unsafe-inline-style", "csp.unsafe-inline-script"]
            ),
            Case(
                name: "Chromium reads the second script-src when it skips the first",
                csp: "default-src 'none'; script-src 'self' https://\u{E9}.example; script-src 'unsafe-inline'",
                ids: ["csp.non-ascii", "csp.unsafe-inline-script"]
            ),
            // Both at once, HSTS first.
            Case(
                name: "both wrong",
                hsts: "max-age=63072000; preload",
                csp: "default-src * 'unsafe-inline' 'unsafe-eval'",
                ids: ["hsts.preload-without-subdomains", "csp.unsafe-inline-script", "csp.unsafe-inline-style", "csp.unsafe-eval"]
            ),
        ]
    )
    func findings(_ c: Case) {
        #expect(DeploymentCheck.checkHeaders(strictTransportSecurity: c.hsts, contentSecurityPolicy: c.csp).map(\.id) == c.ids)
    }

    @Test("severities")
    func severities() {
        let findings = DeploymentCheck.checkHeaders(
            strictTransportSecurity: "max-age=86400; includeSubDomains; preload",
            contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'"
        )
        #expect(findings.map(\.severity) == [.error, .warning, .warning])
        #expect(DeploymentCheck.hasErrors(findings))
        #expect(!DeploymentCheck.hasErrors(Array(findings.dropFirst())))
    }

    @Test("exact messages")
    func messages() {
        let findings = DeploymentCheck.checkHeaders(
            strictTransportSecurity: "max-age=300; preload",
            contentSecurityPolicy: "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'"
        )
        #expect(
            findings.map(\.description) == [
                "error hsts.preload-without-subdomains: Strict-Transport-Security \"max-age=300; preload\": preload needs includeSubDomains, or the preload list refuses the domain",
                "error hsts.preload-max-age: Strict-Transport-Security \"max-age=300; preload\": preload needs max-age of at least 31536000 seconds (one year)",
                "warning hsts.short-max-age: Strict-Transport-Security \"max-age=300; preload\": max-age under 15552000 seconds (180 days) leaves visitors unprotected between visits",
                "error csp.unsafe-inline-script: Content-Security-Policy script-src allows 'unsafe-inline' without a nonce or hash: any injected script runs; use nonces (Rampart's default)",
                "warning csp.unsafe-inline-style: Content-Security-Policy style-src allows 'unsafe-inline' without a nonce or hash: injected CSS can restyle the page and leak data; use nonces",
                "warning csp.unsafe-eval: Content-Security-Policy script-src allows 'unsafe-eval': strings reaching eval() or new Function() run as code",
            ]
        )
        #expect(
            DeploymentCheck.checkStrictTransportSecurity("max-age=1; Max-Age=2").map(\.description) == [
                "error hsts.invalid: Strict-Transport-Security \"max-age=1; Max-Age=2\": max-age appears twice; browsers ignore the header"
            ]
        )
        #expect(
            DeploymentCheck.checkContentSecurityPolicy("default-src 'self'\r\n").map(\.description) == [
                "error csp.invalid: Content-Security-Policy holds CR"
            ]
        )
    }

    @Test("the check warns below the audit's six months, and only there", arguments: [15_551_999, 15_552_000, 63_072_000])
    func sameThresholdAsTheAudit(_ maxAge: Int) throws {
        let value = "max-age=\(maxAge)"
        let warned = DeploymentCheck.checkStrictTransportSecurity(value).map(\.id) == ["hsts.short-max-age"]
        let response = AuditedResponse(
            url: try #require(AuditURL("https://example.com/")),
            status: .ok,
            headerFields: [.strictTransportSecurity: value]
        )
        let graded = ObservatoryAudit.grade(AuditInput(chain: [response]))[.strictTransportSecurity]?.outcome
        #expect(warned == (graded == .hstsImplementedMaxAgeLessThanSixMonths))
        #expect(warned == (maxAge < ObservatoryAudit.sixMonths))
    }

    @Test("a non-ASCII directive's message quotes its name with the non-ASCII escaped")
    func nonASCIIMessage() {
        #expect(
            DeploymentCheck.checkContentSecurityPolicy("default-src 'none'; script-src\u{202E} 'self'").map(\.description) == [
                "error csp.non-ascii: Content-Security-Policy script-src\\u{202E} holds a non-ASCII character, so Chromium ignores the whole directive; write hosts in punycode and percent-encode paths"
            ]
        )
    }

    @Test("a finding's description escapes control characters")
    func escapedDescription() {
        let finding = DeploymentFinding(severity: .error, id: "hsts.invalid", message: "a\r\nb")
        #expect(finding.description == "error hsts.invalid: a\\r\\nb")
    }
}

/// The one HSTS reader and the one CSP reader, shared by the audit and the check.
@Suite("Header readers")
struct HeaderReaderTests {
    @Test(
        "HSTS directives: names lowercased, values trimmed and unquoted byte by byte",
        arguments: [
            ("max-age=5; includeSubDomains", [("max-age", "5"), ("includesubdomains", nil)]),
            (" Max-Age = \"5\" ;; preload ", [("max-age", "5"), ("preload", nil)]),
            ("max-age=\"5", [("max-age", "\"5")]),
            ("max-age=\"\u{301}5\"", [("max-age", "\u{301}5")]),
            ("max-age\u{301}=5", [("max-age\u{301}", "5")]),
            ("a=b=c", [("a", "b=c")]),
        ] as [(String, [(String, String?)])]
    )
    func hsts(_ value: String, _ expected: [(String, String?)]) {
        let directives = StrictTransportSecurityReader.directives(Substring(value))
        #expect(directives.map(\.name) == expected.map(\.0))
        #expect(directives.map { $0.value.map(String.init) } == expected.map(\.1))
    }

    @Test("max-age seconds: ASCII digits only, up to a length")
    func seconds() {
        #expect(StrictTransportSecurityReader.seconds("31536000", maximumDigits: 12) == 31_536_000)
        #expect(StrictTransportSecurityReader.seconds("", maximumDigits: 12) == nil)
        #expect(StrictTransportSecurityReader.seconds("-1", maximumDigits: 12) == nil)
        #expect(StrictTransportSecurityReader.seconds("1234567890123", maximumDigits: 12) == nil)
        #expect(StrictTransportSecurityReader.seconds("1234567890123", maximumDigits: 18) == 1_234_567_890_123)
        #expect(StrictTransportSecurityReader.seconds("\u{661}", maximumDigits: 12) == nil)  // ARABIC-INDIC DIGIT ONE
    }

    @Test("CSP directives: split on ';', then on ASCII whitespace bytes; repeats kept")
    func csp() {
        let directives = ContentSecurityPolicyReader.directives("Script-Src 'SELF'\t'nonce-A' ; ; script-src *; img-src")
        #expect(
            directives == [
                .init(name: "script-src", sources: ["'self'", "'nonce-a'"]),
                .init(name: "script-src", sources: ["*"]),
                .init(name: "img-src", sources: []),
            ]
        )
        let marked = ContentSecurityPolicyReader.directives("script-src 'unsafe-inline' \u{301}")
        #expect(marked == [.init(name: "script-src", sources: ["'unsafe-inline'", "\u{301}"])])
        #expect(directives.allSatisfy(\.isASCII) && !marked[0].isASCII)
        #expect(ContentSecurityPolicyReader.printable("a\u{E9}\u{1F600}b\u{7F}") == "a\\u{E9}\\u{1F600}b\\u{7F}")
        #expect(ContentSecurityPolicyReader.printable(String(repeating: "x", count: 45)) == String(repeating: "x", count: 40) + "...")
        #expect(ContentSecurityPolicyReader.policies(["a 'self', b", "c"]) == ["a 'self'", "b", "c"])
        #expect(ContentSecurityPolicyReader.isNonceOrHash("'sha384-abc'"))
        #expect(!ContentSecurityPolicyReader.isNonceOrHash("'unsafe-inline'"))
    }
}
