import Foundation
import HTTPTypes
import Rampart
import RampartAudit
import Testing

/// Builds responses and inputs for the audit tests.
enum AuditFixture {
    static func url(_ text: String) -> AuditURL { AuditURL(text)! }

    static func response(_ url: String = "https://example.com/", status: Int = 200, _ headers: [(String, String)] = []) -> AuditedResponse {
        AuditedResponse(
            url: AuditURL(url)!,
            status: HTTPResponse.Status(code: status),
            headerFields: HTTPFields(headers.map { HTTPField(name: HTTPField.Name($0.0)!, value: $0.1) })
        )
    }

    static func redirect(_ from: String, to location: String, status: Int = 301) -> AuditedResponse {
        response(from, status: status, [("Location", location)])
    }

    /// One HTTPS response, with nothing listening on plain HTTP.
    static func grade(_ headers: [(String, String)], url: String = "https://example.com/") -> AuditReport {
        ObservatoryAudit.grade(AuditInput(chain: [response(url, headers)], plainHTTP: .unreachable))
    }

    static func outcome(_ test: AuditTest, _ headers: [(String, String)], url: String = "https://example.com/") -> AuditResult {
        grade(headers, url: url)[test]!
    }

    static let hsts = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
}

@Suite("Observatory audit: grades")
struct AuditGradeTests {
    @Test(
        "the grading chart, at every boundary",
        arguments: [
            (200, AuditGrade.aPlus), (135, .aPlus), (100, .aPlus), (99, .a), (90, .a), (89, .aMinus), (85, .aMinus),
            (84, .bPlus), (80, .bPlus), (79, .b), (70, .b), (69, .bMinus), (65, .bMinus), (64, .cPlus), (60, .cPlus),
            (59, .c), (50, .c), (49, .cMinus), (45, .cMinus), (44, .dPlus), (40, .dPlus), (39, .d), (30, .d),
            (29, .dMinus), (25, .dMinus), (24, .f), (0, .f), (-5, .f),
        ]
    )
    func chart(_ score: Int, _ grade: AuditGrade) {
        #expect(AuditGrade(score: score) == grade)
        #expect(grade.minimumScore <= max(score, 0))
    }

    @Test(
        "grades parse from the Observatory's letters, case and spaces aside",
        arguments: [
            ("A+", AuditGrade?.some(.aPlus)), ("a-", .aMinus), (" B ", .b), ("c+", .cPlus), ("D-", .dMinus), ("F", .f),
            ("E", nil), ("A++", nil), ("", nil), ("+A", nil), ("A +", nil),
        ]
    )
    func parse(_ text: String, _ grade: AuditGrade?) {
        #expect(AuditGrade(text) == grade)
    }

    @Test("grades compare by strength")
    func ordering() {
        #expect(AuditGrade.aPlus > .a)
        #expect(AuditGrade.aMinus > .bPlus)
        #expect(AuditGrade.f < .dMinus)
        #expect(AuditGrade.allCases.sorted() == AuditGrade.allCases)
        #expect(AuditGrade.allCases.map(\.description) == ["F", "D-", "D", "D+", "C-", "C", "C+", "B-", "B", "B+", "A-", "A", "A+"])
    }

    @Test("every outcome round-trips through its identifier, and belongs to a known test")
    func outcomes() {
        for outcome in AuditOutcome.all {
            #expect(AuditOutcome(rawValue: outcome.rawValue) == outcome)
            #expect(AuditTest.all.contains(outcome.test))
            #expect(outcome.isScored || outcome.modifier == 0)
        }
        #expect(Set(AuditOutcome.all.map(\.rawValue)).count == AuditOutcome.all.count)
        #expect(AuditOutcome(rawValue: "sri-implemented-and-all-scripts-loaded-securely") == nil)
    }
}

@Suite("Observatory audit: Content-Security-Policy")
struct AuditCSPTests {
    @Test(
        "each CSP rule gives its result and modifier",
        arguments: [
            ("default-src 'none'", "csp-implemented-with-no-unsafe-default-src-none", 10),
            ("default-src 'none'; form-action 'self'; frame-ancestors 'none'", "csp-implemented-with-no-unsafe-default-src-none", 10),
            ("DEFAULT-SRC 'NONE'", "csp-implemented-with-no-unsafe-default-src-none", 10),
            ("default-src 'self'", "csp-implemented-with-no-unsafe", 5),
            ("default-src 'none' 'self'", "csp-implemented-with-no-unsafe", 5),
            ("default-src https://cdn.example; object-src 'none'", "csp-implemented-with-no-unsafe", 5),
            ("script-src 'self'", "csp-implemented-with-unsafe-inline", -20),
            ("default-src 'self'; script-src 'self' 'unsafe-inline'", "csp-implemented-with-unsafe-inline", -20),
            ("default-src 'self'; script-src 'self' data:", "csp-implemented-with-unsafe-inline", -20),
            ("default-src 'self'; script-src https:", "csp-implemented-with-unsafe-inline", -20),
            ("default-src 'self'; object-src *", "csp-implemented-with-unsafe-inline", -20),
            ("default-src 'none'; script-src 'nonce-abc123' 'unsafe-inline'", "csp-implemented-with-no-unsafe-default-src-none", 10),
            ("default-src 'none'; script-src 'sha256-abc=' 'unsafe-inline'", "csp-implemented-with-no-unsafe-default-src-none", 10),
            (
                "default-src 'none'; script-src 'nonce-abc123' 'strict-dynamic' https: 'self' 'unsafe-inline'",
                "csp-implemented-with-no-unsafe-default-src-none", 10
            ),
            ("default-src 'none'; script-src 'strict-dynamic' 'self'", "csp-header-invalid", -25),
            ("default-src 'self'; script-src 'self' http://cdn.example", "csp-implemented-with-insecure-scheme", -20),
            ("default-src 'self'; frame-src http:", "csp-implemented-with-insecure-scheme", -20),
            ("default-src 'self'; script-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval", -10),
            ("default-src 'self'; img-src 'self' http://images.example", "csp-implemented-with-insecure-scheme-in-passive-content-only", -10),
            ("default-src 'self'; media-src ftp://media.example", "csp-implemented-with-insecure-scheme-in-passive-content-only", -10),
            ("default-src 'self'; style-src 'self' 'unsafe-inline'", "csp-implemented-with-unsafe-inline-in-style-src-only", 0),
            ("default-src 'self'; style-src https:", "csp-implemented-with-unsafe-inline-in-style-src-only", 0),
            ("default-src 'none'; style-src 'nonce-abc123' 'unsafe-inline'", "csp-implemented-with-no-unsafe-default-src-none", 10),
            ("default-src 'self'; default-src 'none'", "csp-header-invalid", -25),
            ("abc", "csp-header-invalid", -25),
            ("default-src 'self'; report-uri /a; report-uri /b", "csp-implemented-with-no-unsafe", 5),
            ("default-src 'self' 'unsafe-inline', default-src 'self'", "csp-implemented-with-no-unsafe", 5),
            ("default-src 'self', script-src 'unsafe-inline'", "csp-implemented-with-no-unsafe", 5),
            ("default-src 'self' http://cdn.example, img-src 'self' http://cdn.example", "csp-implemented-with-insecure-scheme", -20),
        ]
    )
    func rule(_ policy: String, _ identifier: String, _ modifier: Int) throws {
        let result = AuditFixture.outcome(.contentSecurityPolicy, [("Content-Security-Policy", policy)])
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == modifier)
        #expect(result.test == .contentSecurityPolicy)
    }

    @Test("an HTTP page may name http: sources without the insecure-scheme penalty")
    func plainHTTPPage() {
        let result = AuditFixture.outcome(
            .contentSecurityPolicy,
            [("Content-Security-Policy", "default-src 'self' http://cdn.example; object-src 'none'")],
            url: "http://example.com/"
        )
        #expect(result.outcome == .cspImplementedWithNoUnsafe)
    }

    @Test("two CSP fields are both enforced: a source counts only when each allows it")
    func repeatedFields() {
        let report = ObservatoryAudit.grade(
            AuditInput(
                chain: [
                    AuditFixture.response(
                        "https://example.com/",
                        [
                            ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'"),
                            ("Content-Security-Policy", "script-src 'self'"),
                        ]
                    )
                ],
                plainHTTP: .unreachable
            )
        )
        #expect(report[.contentSecurityPolicy]?.outcome == .cspImplementedWithNoUnsafe)
    }

    @Test(
        "no CSP, or only a report-only one, is -25",
        arguments: [
            ([(String, String)](), "csp-not-implemented"),
            ([("Content-Security-Policy-Report-Only", "default-src 'none'")], "csp-not-implemented-but-reporting-enabled"),
        ]
    )
    func missing(_ headers: [(String, String)], _ identifier: String) {
        let result = AuditFixture.outcome(.contentSecurityPolicy, headers)
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == -25)
        #expect(!result.passed)
    }

    @Test("the explanation quotes the source that decided the result")
    func explanation() {
        let result = AuditFixture.outcome(
            .contentSecurityPolicy,
            [("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' data:")]
        )
        #expect(
            result.explanation
                == "CSP allows 'unsafe-inline' or data: scripts, or leaves script-src or object-src unrestricted or overly broad (script-src allows 'unsafe-inline')"
        )
    }
}

/// Chromium skips a CSP directive holding a non-ASCII character whole (CSP Level 3 §2.2.1 step
/// 3.2); Firefox keeps it and ignores the bad source; the Observatory keeps it. The audit grades
/// the weaker reading and names the directive Chromium ignores.
@Suite("Observatory audit: non-ASCII CSP directives")
struct AuditNonASCIITests {
    @Test(
        "a directive with a non-ASCII character is graded as the weaker browser reads it",
        arguments: [
            // Chromium: default-src governs scripts, and an inline script runs (checked in Chromium 156).
            (
                "script-src 'none' \u{E9}; default-src 'unsafe-inline'", "csp-implemented-with-unsafe-inline",
                "script-src allows 'unsafe-inline'; Chromium ignores script-src, which holds a non-ASCII character"
            ),
            // Firefox keeps https: and is the weaker; Chromium falls back to default-src 'none'.
            (
                "default-src 'none'; script-src https: \u{E9}", "csp-implemented-with-unsafe-inline",
                "script-src allows https:; Chromium ignores script-src, which holds a non-ASCII character"
            ),
            // Every directive skipped: Chromium enforces no policy at all.
            ("default-src 'none' \u{E9}", "csp-not-implemented", "Chromium ignores default-src, which holds a non-ASCII character"),
            // Both readings agree; the note still names the directive.
            (
                "default-src 'none'; img-src https://\u{E9}.example", "csp-implemented-with-no-unsafe-default-src-none",
                "Chromium ignores img-src, which holds a non-ASCII character"
            ),
            // A name is quoted with each non-ASCII scalar escaped: no bidi override reaches a terminal.
            (
                "default-src 'self'; a\u{202E}b 'self'", "csp-implemented-with-no-unsafe",
                "Chromium ignores a\\u{202E}b, which holds a non-ASCII character"
            ),
            // All ASCII: no note.
            ("default-src 'none'; script-src https:", "csp-implemented-with-unsafe-inline", "script-src allows https:"),
        ]
    )
    func weakerReading(_ policy: String, _ identifier: String, _ detail: String) {
        let result = AuditFixture.outcome(.contentSecurityPolicy, [("Content-Security-Policy", policy)])
        #expect(result.outcome.rawValue == identifier)
        #expect(result.explanation == "\(result.outcome.summary) (\(detail))")
    }

    @Test(
        "frame-ancestors counts for X-Frame-Options only where Chromium keeps it",
        arguments: [
            ([("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none' \u{E9}")], "x-frame-options-not-implemented"),
            (
                [("Content-Security-Policy", "default-src 'self'; frame-ancestors 'n\u{F6}ne'"), ("X-Frame-Options", "ALLOWALL")],
                "x-frame-options-header-invalid"
            ),
            ([("Content-Security-Policy", "default-src 'self' \u{E9}; frame-ancestors 'none'")], "x-frame-options-implemented-via-csp"),
        ]
    )
    func frameAncestors(_ headers: [(String, String)], _ identifier: String) {
        #expect(AuditFixture.outcome(.xFrameOptions, headers).outcome.rawValue == identifier)
    }
}

@Suite("Observatory audit: cookies")
struct AuditCookieTests {
    @Test(
        "each cookie rule gives its result and modifier",
        arguments: [
            ([String](), true, "cookies-not-found", 0),
            (["__Host-session=abc; Secure; HttpOnly; SameSite=Lax; Path=/"], true, "cookies-secure-with-httponly-sessions-and-samesite", 5),
            (["__Secure-id=1; Secure; SameSite=Strict"], false, "cookies-secure-with-httponly-sessions-and-samesite", 5),
            (["id=1; Secure"], true, "cookies-secure-with-httponly-sessions", 0),
            (["id=1; SameSite=Lax"], true, "cookies-without-secure-flag-but-protected-by-hsts", -5),
            (["id=1; SameSite=Lax"], false, "cookies-without-secure-flag", -20),
            (["sessionid=1; HttpOnly; SameSite=Lax"], true, "cookies-session-without-secure-flag-but-protected-by-hsts", -10),
            (["sessionid=1; HttpOnly; SameSite=Lax"], false, "cookies-session-without-secure-flag", -40),
            (["user_login=1; Secure; SameSite=Lax"], true, "cookies-session-without-httponly-flag", -30),
            (["csrftoken=1; Secure"], true, "cookies-anticsrf-without-samesite-flag", -20),
            (["id=1; Secure; SameSite=Bogus"], true, "cookies-samesite-flag-invalid", -20),
            (["id=1; Secure; SameSite"], true, "cookies-samesite-flag-invalid", -20),
            (["id=1; SameSite=None"], true, "cookies-samesite-flag-invalid", -20),
            (["id=1; Secure; SameSite=None"], true, "cookies-secure-with-httponly-sessions-and-samesite", 5),
            // The worst finding wins, whatever the order of the cookies.
            (["sessionid=1; Secure; SameSite=Lax", "id=1; SameSite=Lax"], true, "cookies-session-without-httponly-flag", -30),
            (["id=1; SameSite=Lax", "SESSION=1; SameSite=Lax; HttpOnly"], false, "cookies-session-without-secure-flag", -40),
            // A prefixed cookie that breaks its prefix's rules is ignored, as browsers ignore it.
            (["__Host-session=abc; Secure; HttpOnly; SameSite=Lax; Path=/app"], true, "cookies-not-found", 0),
            (["__Host-session=abc; Secure; HttpOnly; SameSite=Lax; Path=/; Domain=example.com"], true, "cookies-not-found", 0),
            (["__secure-session=abc; HttpOnly; SameSite=Lax"], true, "cookies-not-found", 0),
        ]
    )
    func rule(_ cookies: [String], _ withHSTS: Bool, _ identifier: String, _ modifier: Int) {
        var headers = cookies.map { ("Set-Cookie", $0) }
        if withHSTS { headers.append(AuditFixture.hsts) }
        let result = AuditFixture.outcome(.cookies, headers)
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == modifier)
    }

    @Test("cookies set anywhere in the redirect chain count; set over HTTP counts as not Secure")
    func chainCookies() {
        let input = AuditInput(chain: [
            AuditFixture.response(
                "http://example.com/",
                status: 302,
                [("Location", "https://example.com/"), ("Set-Cookie", "sessionid=1; Secure; HttpOnly; SameSite=Lax")]
            ),
            AuditFixture.response("https://example.com/", []),
        ])
        #expect(ObservatoryAudit.grade(input)[.cookies]?.outcome == .cookiesSessionWithoutSecureFlag)
    }

    @Test(
        "loopback over HTTP is a trustworthy origin; other hosts over HTTP are not",
        arguments: [
            ("http://localhost:5000/", "cookies-secure-with-httponly-sessions-and-samesite"),
            ("http://app.localhost/", "cookies-secure-with-httponly-sessions-and-samesite"),
            ("http://127.0.0.1:8080/", "cookies-secure-with-httponly-sessions-and-samesite"),
            ("http://[::1]:8080/", "cookies-secure-with-httponly-sessions-and-samesite"),
            ("http://127.0.0.256/", "cookies-not-found"),
            ("http://localhost.example/", "cookies-not-found"),
            ("http://example.com/", "cookies-not-found"),
        ]
    )
    func loopback(_ url: String, _ identifier: String) {
        let result = AuditFixture.outcome(.cookies, [("Set-Cookie", "__Host-session=1; Secure; HttpOnly; SameSite=Lax; Path=/")], url: url)
        #expect(result.outcome.rawValue == identifier)
    }

    @Test("the explanation names the cookie at fault and any ignored prefixed cookie")
    func explanation() {
        let result = AuditFixture.outcome(.cookies, [("Set-Cookie", "theme=dark"), ("Set-Cookie", "__Host-x=1; Secure"), AuditFixture.hsts])
        #expect(
            result.explanation
                == "A cookie lacks Secure, but HSTS keeps it off plain HTTP (theme; __Host-x ignored: breaks the __Host- prefix rules, which browsers enforce)"
        )
    }
}

@Suite("Observatory audit: redirection")
struct AuditRedirectionTests {
    static let final = AuditFixture.response("https://example.com/", [])

    @Test(
        "each redirection rule gives its result and modifier",
        arguments: [
            (PlainHTTPFetch.unreachable, "redirection-not-needed-no-http", 0),
            (.invalidCertificate, "redirection-invalid-cert", -20),
            (.chain([AuditFixture.redirect("http://example.com/", to: "https://example.com/"), final]), "redirection-to-https", 0),
            (
                .chain([
                    AuditFixture.redirect("http://example.com/", to: "https://example.com/"),
                    AuditFixture.redirect("https://example.com/", to: "https://www.example.com/"), AuditFixture.response("https://www.example.com/"),
                ]), "redirection-to-https", 0
            ),
            (.chain([AuditFixture.response("http://example.com/")]), "redirection-missing", -20),
            (
                .chain([
                    AuditFixture.redirect("http://example.com/", to: "http://www.example.com/"), AuditFixture.response("http://www.example.com/"),
                ]), "redirection-not-to-https", -20
            ),
            (
                .chain([
                    AuditFixture.redirect("http://example.com/", to: "http://www.example.com/"),
                    AuditFixture.redirect("http://www.example.com/", to: "https://www.example.com/"),
                    AuditFixture.response("https://www.example.com/"),
                ]), "redirection-not-to-https-on-initial-redirection", -10
            ),
            (
                .chain([
                    AuditFixture.redirect("http://example.com/", to: "https://www.example.com/"), AuditFixture.response("https://www.example.com/"),
                ]), "redirection-off-host-from-http", -5
            ),
        ]
    )
    func rule(_ plainHTTP: PlainHTTPFetch, _ identifier: String, _ modifier: Int) {
        let report = ObservatoryAudit.grade(AuditInput(chain: [Self.final], plainHTTP: plainHTTP))
        #expect(report[.redirection]?.outcome.rawValue == identifier)
        #expect(report[.redirection]?.modifier == modifier)
    }

    @Test("every host preloaded: redirection-all-redirects-preloaded")
    func preloaded() {
        let input = AuditInput(
            chain: [Self.final],
            plainHTTP: .chain([
                AuditFixture.redirect("http://example.com/", to: "https://www.example.com/"), AuditFixture.response("https://www.example.com/"),
            ]),
            preloadedHosts: ["Example.com"]
        )
        let report = ObservatoryAudit.grade(input)
        #expect(report[.redirection]?.outcome == .redirectionAllRedirectsPreloaded)
        #expect(report[.strictTransportSecurity]?.outcome == .hstsPreloaded)
        #expect(report[.strictTransportSecurity]?.modifier == 5)
    }

    @Test("an http:// URL's own chain is graded when plainHTTP is not given")
    func requestedOverHTTP() {
        let input = AuditInput(chain: [AuditFixture.redirect("http://example.com/", to: "https://example.com/"), Self.final])
        let report = ObservatoryAudit.grade(input)
        #expect(report[.redirection]?.outcome == .redirectionToHTTPS)
        #expect(
            report[.redirection]?.explanation
                == "HTTP redirects to HTTPS on the same host first and ends on HTTPS (http://example.com/ -> https://example.com/)"
        )
        #expect(report.url.description == "http://example.com/")
        #expect(report.finalURL.description == "https://example.com/")
    }
}

@Suite("Observatory audit: the single-header tests")
struct AuditHeaderTests {
    @Test(
        "Strict-Transport-Security",
        arguments: [
            ("max-age=63072000; includeSubDomains; preload", "hsts-implemented-max-age-at-least-six-months", 0),
            ("max-age=15552000", "hsts-implemented-max-age-at-least-six-months", 0),
            ("MAX-AGE=\"31536000\"", "hsts-implemented-max-age-at-least-six-months", 0),
            ("max-age=15551999", "hsts-implemented-max-age-less-than-six-months", -10),
            ("max-age=0", "hsts-implemented-max-age-less-than-six-months", -10),
            ("includeSubDomains", "hsts-header-invalid", -20),
            ("max-age=abc", "hsts-header-invalid", -20),
            ("max-age=-1", "hsts-header-invalid", -20),
            ("max-age=300, max-age=31536000", "hsts-header-invalid", -20),
        ]
    )
    func hsts(_ value: String, _ identifier: String, _ modifier: Int) {
        let result = AuditFixture.outcome(.strictTransportSecurity, [("Strict-Transport-Security", value)])
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == modifier)
    }

    @Test("no HSTS, or no HTTPS at all, is -20")
    func hstsMissing() {
        #expect(AuditFixture.outcome(.strictTransportSecurity, []).outcome == .hstsNotImplemented)
        let overHTTP = AuditFixture.outcome(.strictTransportSecurity, [AuditFixture.hsts], url: "http://example.com/")
        #expect(overHTTP.outcome == .hstsNotImplementedNoHTTPS)
        #expect(overHTTP.modifier == -20)
    }

    @Test(
        "Referrer-Policy: the last recognised token wins",
        arguments: [
            ("no-referrer", "referrer-policy-private", 5),
            ("same-origin", "referrer-policy-private", 5),
            ("Strict-Origin", "referrer-policy-private", 5),
            ("strict-origin-when-cross-origin", "referrer-policy-private", 5),
            ("unsafe-url", "referrer-policy-unsafe", -5),
            ("no-referrer-when-downgrade", "referrer-policy-unsafe", -5),
            ("origin-when-cross-origin", "referrer-policy-unsafe", -5),
            ("no-referrer, unsafe-url", "referrer-policy-unsafe", -5),
            ("unsafe-url, strict-origin-when-cross-origin", "referrer-policy-private", 5),
            ("unsafe-url, something-new", "referrer-policy-unsafe", -5),
            ("no-referer", "referrer-policy-header-invalid", -5),
        ]
    )
    func referrer(_ value: String, _ identifier: String, _ modifier: Int) {
        let result = AuditFixture.outcome(.referrerPolicy, [("Referrer-Policy", value)])
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == modifier)
    }

    @Test("no Referrer-Policy is 0 and passes")
    func referrerMissing() {
        let result = AuditFixture.outcome(.referrerPolicy, [])
        #expect(result.outcome == .referrerPolicyNotImplemented)
        #expect(result.modifier == 0)
        #expect(result.passed)
    }

    @Test(
        "X-Content-Type-Options",
        arguments: [
            ([("X-Content-Type-Options", "nosniff")], "x-content-type-options-nosniff", 0),
            ([("X-Content-Type-Options", " NoSniff ")], "x-content-type-options-nosniff", 0),
            ([("X-Content-Type-Options", "sniff")], "x-content-type-options-header-invalid", -5),
            ([], "x-content-type-options-not-implemented", -5),
        ]
    )
    func contentTypeOptions(_ headers: [(String, String)], _ identifier: String, _ modifier: Int) {
        let result = AuditFixture.outcome(.xContentTypeOptions, headers)
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == modifier)
    }

    @Test(
        "X-Frame-Options, and frame-ancestors in the CSP",
        arguments: [
            ([("X-Frame-Options", "DENY")], "x-frame-options-sameorigin-or-deny", 5),
            ([("X-Frame-Options", "sameorigin")], "x-frame-options-sameorigin-or-deny", 5),
            ([("X-Frame-Options", "ALLOW-FROM https://example.org/")], "x-frame-options-allow-from-origin", 0),
            ([("X-Frame-Options", "ALLOWALL")], "x-frame-options-header-invalid", -20),
            ([], "x-frame-options-not-implemented", -20),
            ([("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")], "x-frame-options-implemented-via-csp", 5),
            (
                [("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"), ("X-Frame-Options", "ALLOWALL")],
                "x-frame-options-implemented-via-csp", 5
            ),
            ([("Content-Security-Policy", "default-src 'self'"), ("X-Frame-Options", "DENY")], "x-frame-options-sameorigin-or-deny", 5),
            ([("Content-Security-Policy-Report-Only", "frame-ancestors 'none'")], "x-frame-options-not-implemented", -20),
        ]
    )
    func frameOptions(_ headers: [(String, String)], _ identifier: String, _ modifier: Int) {
        let result = AuditFixture.outcome(.xFrameOptions, headers)
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == modifier)
    }

    @Test(
        "Cross-Origin-Resource-Policy",
        arguments: [
            ([("Cross-Origin-Resource-Policy", "same-origin")], "corp-implemented-with-same-origin", 10),
            ([("Cross-Origin-Resource-Policy", "Same-Site")], "corp-implemented-with-same-site", 10),
            ([("Cross-Origin-Resource-Policy", "cross-origin")], "corp-implemented-with-cross-origin", 0),
            ([("Cross-Origin-Resource-Policy", "same")], "corp-header-invalid", -5),
            ([], "corp-not-implemented", 0),
        ]
    )
    func resourcePolicy(_ headers: [(String, String)], _ identifier: String, _ modifier: Int) {
        let result = AuditFixture.outcome(.crossOriginResourcePolicy, headers)
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == modifier)
    }

    @Test(
        "CORS, with and without a probe that sent an Origin",
        arguments: [
            ([(String, String)](), Bool?.none, "cross-origin-resource-sharing-not-implemented", 0),
            ([("Access-Control-Allow-Origin", "*")], true, "cross-origin-resource-sharing-implemented-with-public-access", 0),
            (
                [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")], true,
                "cross-origin-resource-sharing-implemented-with-public-access", 0
            ),
            (
                [("Access-Control-Allow-Origin", "https://probe.example"), ("Access-Control-Allow-Credentials", "true")], true,
                "cross-origin-resource-sharing-implemented-with-universal-access", -50
            ),
            (
                [("Access-Control-Allow-Origin", "https://probe.example"), ("Access-Control-Allow-Credentials", " TRUE ")], true,
                "cross-origin-resource-sharing-implemented-with-universal-access", -50
            ),
            ([("Access-Control-Allow-Origin", "https://probe.example")], true, "cross-origin-resource-sharing-implemented-with-restricted-access", 0),
            (
                [("Access-Control-Allow-Origin", "https://partner.example"), ("Access-Control-Allow-Credentials", "true")], true,
                "cross-origin-resource-sharing-implemented-with-restricted-access", 0
            ),
            (
                [("Access-Control-Allow-Origin", "https://probe.example"), ("Access-Control-Allow-Credentials", "true")], nil,
                "cross-origin-resource-sharing-implemented-with-restricted-access", 0
            ),
        ]
    )
    func cors(_ headers: [(String, String)], _ probed: Bool?, _ identifier: String, _ modifier: Int) {
        let response = AuditFixture.response("https://example.com/", headers)
        let probe = probed == true ? CORSProbe(origin: "https://probe.example", response: response) : nil
        let report = ObservatoryAudit.grade(
            AuditInput(chain: [probed == nil ? response : AuditFixture.response()], plainHTTP: .unreachable, corsProbe: probe)
        )
        #expect(report[.crossOriginResourceSharing]?.outcome.rawValue == identifier)
        #expect(report[.crossOriginResourceSharing]?.modifier == modifier)
    }

    @Test(
        "COOP and COEP are reported but never scored",
        arguments: [
            ("Cross-Origin-Opener-Policy", "same-origin", AuditTest.crossOriginOpenerPolicy, "coop-implemented-with-same-origin", true),
            ("Cross-Origin-Opener-Policy", "same-origin; report-to=\"coop\"", .crossOriginOpenerPolicy, "coop-implemented-with-same-origin", true),
            (
                "Cross-Origin-Opener-Policy", "same-origin-allow-popups", .crossOriginOpenerPolicy, "coop-implemented-with-same-origin-allow-popups",
                true
            ),
            ("Cross-Origin-Opener-Policy", "noopener-allow-popups", .crossOriginOpenerPolicy, "coop-implemented-with-noopener-allow-popups", true),
            ("Cross-Origin-Opener-Policy", "unsafe-none", .crossOriginOpenerPolicy, "coop-implemented-with-unsafe-none", true),
            ("Cross-Origin-Opener-Policy", "Same-Origin", .crossOriginOpenerPolicy, "coop-header-invalid", false),
            ("Cross-Origin-Embedder-Policy", "require-corp", .crossOriginEmbedderPolicy, "coep-implemented-with-require-corp", true),
            ("Cross-Origin-Embedder-Policy", "credentialless", .crossOriginEmbedderPolicy, "coep-implemented-with-credentialless", true),
            ("Cross-Origin-Embedder-Policy", "unsafe-none", .crossOriginEmbedderPolicy, "coep-implemented-with-unsafe-none", true),
            ("Cross-Origin-Embedder-Policy", "require", .crossOriginEmbedderPolicy, "coep-header-invalid", false),
        ]
    )
    func informational(_ name: String, _ value: String, _ test: AuditTest, _ identifier: String, _ passed: Bool) {
        let result = AuditFixture.outcome(test, [(name, value)])
        #expect(result.outcome.rawValue == identifier)
        #expect(result.modifier == 0)
        #expect(!result.isScored)
        #expect(result.passed == passed)
    }

    @Test("COOP and COEP missing, or sent twice")
    func informationalMissingOrRepeated() {
        #expect(AuditFixture.outcome(.crossOriginOpenerPolicy, []).outcome == .coopNotImplemented)
        #expect(AuditFixture.outcome(.crossOriginEmbedderPolicy, []).outcome == .coepNotImplemented)
        let twice = AuditFixture.outcome(
            .crossOriginOpenerPolicy,
            [("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "unsafe-none")]
        )
        #expect(twice.outcome == .coopHeaderInvalid)
    }
}

@Suite("Observatory audit: whole responses")
struct AuditReportTests {
    static let nonce = CSPNonce("AAAAAAAAAAAAAAAAAAAAAA==")!
    static let sessionCookie = "__Host-session=v1.abc; Secure; HttpOnly; SameSite=Lax; Path=/"

    /// The `.strict` preset as the middleware applies it to an HTTPS response.
    static func strictFields(_ headers: SecurityHeaders = .strict, extra: [(String, String)] = []) throws -> HTTPFields {
        var fields = HTTPFields(extra.map { HTTPField(name: HTTPField.Name($0.0)!, value: $0.1) })
        try headers.rendered().apply(to: &fields, nonce: nonce, isSecure: true, status: .ok)
        return fields
    }

    static func strictInput(_ fields: HTTPFields) -> AuditInput {
        let final = AuditedResponse(url: AuditURL("https://example.com/")!, status: .ok, headerFields: fields)
        return AuditInput(chain: [final], plainHTTP: .chain([AuditFixture.redirect("http://example.com/", to: "https://example.com/"), final]))
    }

    @Test("Rampart's .strict preset over HTTPS, with a __Host- session cookie and an http->https redirect, is A+ 135")
    func strictPreset() throws {
        let report = ObservatoryAudit.grade(Self.strictInput(try Self.strictFields(extra: [("Set-Cookie", Self.sessionCookie)])))
        #expect(report.grade == .aPlus)
        #expect(report.score == 135)
        #expect(
            report.results.map(\.outcome) == [
                .cspImplementedWithNoUnsafeDefaultSrcNone, .cookiesSecureWithHttponlySessionsAndSamesite, .corsNotImplemented,
                .redirectionToHTTPS, .referrerPolicyPrivate, .hstsImplementedMaxAgeAtLeastSixMonths, .xContentTypeOptionsNosniff,
                .xFrameOptionsImplementedViaCSP, .corpImplementedWithSameOrigin, .coopImplementedWithSameOrigin, .coepNotImplemented,
            ]
        )
        #expect(report.results.map(\.test) == AuditTest.all)
        #expect(report.results.allSatisfy { $0.passed })
    }

    @Test("the .api preset over HTTPS is A+ too")
    func apiPreset() throws {
        let report = ObservatoryAudit.grade(Self.strictInput(try Self.strictFields(.api)))
        #expect(report.grade == .aPlus)
        #expect(report.score == 130)
    }

    @Test("bonuses count only when penalties leave 90 or more")
    func bonusesOnlyFromNinety() throws {
        // HSTS for 5 minutes: -10 leaves 90, so the +30 of bonuses are added (no cookie here).
        var short = SecurityHeaders.strict
        short.strictTransportSecurity = try StrictTransportSecurity(maxAge: 300)
        let shortReport = ObservatoryAudit.grade(Self.strictInput(try Self.strictFields(short)))
        #expect(shortReport[.strictTransportSecurity]?.outcome == .hstsImplementedMaxAgeLessThanSixMonths)
        #expect(shortReport.score == 120)
        #expect(shortReport.grade == .aPlus)

        // No HSTS: -20 leaves 80, so no bonus applies.
        var fields = try Self.strictFields()
        fields[.strictTransportSecurity] = nil
        let report = ObservatoryAudit.grade(Self.strictInput(fields))
        #expect(report[.strictTransportSecurity]?.outcome == .hstsNotImplemented)
        #expect(report.score == 80)
        #expect(report.grade == .bPlus)
    }

    @Test("a bare HTTPS response with no security headers is D 30")
    func bare() {
        let report = AuditFixture.grade([])
        #expect(report.score == 30)
        #expect(report.grade == .d)
        #expect(
            report.results.filter { !$0.passed }.map(\.outcome) == [
                .cspNotImplemented, .hstsNotImplemented, .xContentTypeOptionsNotImplemented, .xFrameOptionsNotImplemented,
            ]
        )
    }

    @Test("the score never goes below 0")
    func floor() {
        let report = AuditFixture.grade(
            [
                ("Set-Cookie", "sessionid=1"), ("Access-Control-Allow-Origin", "https://x.example"),
            ],
            url: "http://example.com/"
        )
        #expect(report.score == 0)
        #expect(report.grade == .f)
    }

    @Test("the report encodes to JSON with identifiers and modifiers, and decodes back")
    func json() throws {
        let report = ObservatoryAudit.grade(Self.strictInput(try Self.strictFields(extra: [("Set-Cookie", Self.sessionCookie)])))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(text.hasPrefix(#"{"finalURL":"https://example.com/","grade":"A+","results":[{"explanation":"#))
        #expect(
            text.contains(
                #""modifier":10,"pass":true,"result":"csp-implemented-with-no-unsafe-default-src-none","scored":true,"test":"content-security-policy"}"#
            )
        )
        #expect(
            text.contains(
                #""modifier":0,"pass":true,"result":"coop-implemented-with-same-origin","scored":false,"test":"cross-origin-opener-policy"}"#
            )
        )
        #expect(text.hasSuffix(#""score":135,"url":"https://example.com/"}"#))
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(text.utf8))
        #expect(decoded == report)
    }
}

@Suite("Observatory audit: URLs")
struct AuditURLTests {
    @Test(
        "absolute http(s) URLs parse",
        arguments: [
            ("https://Example.COM", "https", "example.com", Int?.none, "/", "https://example.com/"),
            ("http://127.0.0.1:8080/a/b?c=d#frag", "http", "127.0.0.1", 8080, "/a/b?c=d", "http://127.0.0.1:8080/a/b?c=d"),
            ("HTTPS://[::1]:8443/", "https", "[::1]", 8443, "/", "https://[::1]:8443/"),
            ("https://example.com?q", "https", "example.com", nil, "/?q", "https://example.com/?q"),
        ]
    )
    func parses(_ text: String, _ scheme: String, _ host: String, _ port: Int?, _ path: String, _ written: String) throws {
        let url = try #require(AuditURL(text))
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.path == path)
        #expect(url.description == written)
    }

    @Test(
        "anything else is refused",
        arguments: [
            "ftp://example.com/", "javascript:alert(1)", "example.com", "https://", "https://user@example.com/",
            "https://example.com:0/", "https://example.com:99999/", "https://example.com:8x/", "//example.com/", "https://exa mple.com/",
        ]
    )
    func refused(_ text: String) {
        #expect(AuditURL(text) == nil)
    }
}
