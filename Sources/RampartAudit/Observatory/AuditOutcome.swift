/// One result of the audit: what the Observatory calls a test's *result*, with its modifier.
///
/// Each outcome belongs to one ``AuditTest`` and has a fixed score modifier, taken from the
/// Observatory's score table. Two differ from the MDN page and follow the Observatory's
/// current grader instead: `x-frame-options-sameorigin-or-deny` is worth +5 since the
/// Observatory's scoring algorithm 5 (October 2025), and a CSP sent only as
/// `Content-Security-Policy-Report-Only` is `csp-not-implemented-but-reporting-enabled` (−25).
///
/// The outcomes of ``AuditTest/crossOriginOpenerPolicy`` and
/// ``AuditTest/crossOriginEmbedderPolicy`` are **informational**: the Observatory's published
/// score table does not score COOP or COEP, so they carry modifier 0 and ``isScored`` is
/// false. They are reported because `same-origin` COOP is a cheap, real defence.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public struct AuditOutcome: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The Observatory's result identifier (`csp-implemented-with-no-unsafe`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let rawValue: String
    /// The test this outcome belongs to.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let test: AuditTest
    /// The score modifier: negative values are penalties, positive ones bonuses.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let modifier: Int
    /// Whether the Observatory counts this outcome as a pass.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let isPassing: Bool
    /// Whether the outcome counts towards the score (false only for COOP and COEP).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let isScored: Bool
    /// What the outcome means, in one line.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let summary: String

    private init(_ rawValue: String, _ test: AuditTest, _ modifier: Int, passing: Bool, scored: Bool = true, _ summary: String) {
        self.rawValue = rawValue
        self.test = test
        self.modifier = modifier
        self.isPassing = passing
        self.isScored = scored
        self.summary = summary
    }

    /// Looks an outcome up by its Observatory identifier; `nil` for an unknown one.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init?(rawValue: String) {
        guard let known = Self.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = known
    }

    /// The Observatory identifier.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var description: String { rawValue }

    /// Decodes the value from its string form, as written in the JSON report.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let outcome = AuditOutcome(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown audit outcome \(text)"))
        }
        self = outcome
    }

    /// Encodes the value in its string form, for the JSON report.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    // MARK: Content Security Policy

    /// `default-src 'none'` and nothing unsafe: +10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspImplementedWithNoUnsafeDefaultSrcNone = AuditOutcome(
        "csp-implemented-with-no-unsafe-default-src-none",
        .contentSecurityPolicy,
        10,
        passing: true,
        "CSP with default-src 'none' and neither 'unsafe-inline' nor 'unsafe-eval'"
    )
    /// A CSP without `'unsafe-inline'` or `'unsafe-eval'`: +5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspImplementedWithNoUnsafe = AuditOutcome(
        "csp-implemented-with-no-unsafe",
        .contentSecurityPolicy,
        5,
        passing: true,
        "CSP without 'unsafe-inline' or 'unsafe-eval'"
    )
    /// Unsafe sources (`'unsafe-inline'`, `data:`, broad schemes) in `style-src` only: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspImplementedWithUnsafeInlineInStyleSrcOnly = AuditOutcome(
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        .contentSecurityPolicy,
        0,
        passing: true,
        "CSP allows unsafe sources ('unsafe-inline', data: or a broad scheme) in style-src only"
    )
    /// An HTTPS page that lets images or media load over HTTP: −10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspImplementedWithInsecureSchemeInPassiveContentOnly = AuditOutcome(
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
        .contentSecurityPolicy,
        -10,
        passing: true,
        "CSP lets an HTTPS page load images or media over HTTP"
    )
    /// `'unsafe-eval'` in `script-src` or `style-src`: −10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspImplementedWithUnsafeEval = AuditOutcome(
        "csp-implemented-with-unsafe-eval",
        .contentSecurityPolicy,
        -10,
        passing: false,
        "CSP allows 'unsafe-eval'"
    )
    /// `'unsafe-inline'` or `data:` in `script-src`, or broad or missing `script-src`/`object-src`: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspImplementedWithUnsafeInline = AuditOutcome(
        "csp-implemented-with-unsafe-inline",
        .contentSecurityPolicy,
        -20,
        passing: false,
        "CSP allows 'unsafe-inline' or data: scripts, or leaves script-src or object-src unrestricted or overly broad"
    )
    /// An HTTPS page that lets scripts, styles, frames or other active content load over HTTP: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspImplementedWithInsecureScheme = AuditOutcome(
        "csp-implemented-with-insecure-scheme",
        .contentSecurityPolicy,
        -20,
        passing: false,
        "CSP lets an HTTPS page load resources over HTTP"
    )
    /// The CSP cannot be parsed: −25.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspHeaderInvalid = AuditOutcome(
        "csp-header-invalid",
        .contentSecurityPolicy,
        -25,
        passing: false,
        "CSP header cannot be parsed"
    )
    /// No CSP: −25.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspNotImplemented = AuditOutcome(
        "csp-not-implemented",
        .contentSecurityPolicy,
        -25,
        passing: false,
        "CSP header not implemented"
    )
    /// Only `Content-Security-Policy-Report-Only`, nothing enforced: −25.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cspNotImplementedButReportingEnabled = AuditOutcome(
        "csp-not-implemented-but-reporting-enabled",
        .contentSecurityPolicy,
        -25,
        passing: false,
        "CSP only sent as Content-Security-Policy-Report-Only; nothing is enforced"
    )

    // MARK: Cookies

    /// Every cookie `Secure`, session cookies `HttpOnly`, every cookie with `SameSite`: +5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesSecureWithHttponlySessionsAndSamesite = AuditOutcome(
        "cookies-secure-with-httponly-sessions-and-samesite",
        .cookies,
        5,
        passing: true,
        "All cookies are Secure, session cookies are HttpOnly, and all cookies set SameSite"
    )
    /// Every cookie `Secure`, session cookies `HttpOnly`, some cookie without `SameSite`: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesSecureWithHttponlySessions = AuditOutcome(
        "cookies-secure-with-httponly-sessions",
        .cookies,
        0,
        passing: true,
        "All cookies are Secure and session cookies are HttpOnly, but some cookie lacks SameSite"
    )
    /// No cookies: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesNotFound = AuditOutcome("cookies-not-found", .cookies, 0, passing: true, "No cookies set")
    /// A non-session cookie without `Secure`, but HSTS keeps it off plain HTTP: −5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesWithoutSecureFlagButProtectedByHSTS = AuditOutcome(
        "cookies-without-secure-flag-but-protected-by-hsts",
        .cookies,
        -5,
        passing: false,
        "A cookie lacks Secure, but HSTS keeps it off plain HTTP"
    )
    /// A session cookie without `Secure`, but HSTS keeps it off plain HTTP: −10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesSessionWithoutSecureFlagButProtectedByHSTS = AuditOutcome(
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        .cookies,
        -10,
        passing: false,
        "A session cookie lacks Secure, but HSTS keeps it off plain HTTP"
    )
    /// A cookie without `Secure`, or set over HTTP: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesWithoutSecureFlag = AuditOutcome(
        "cookies-without-secure-flag",
        .cookies,
        -20,
        passing: false,
        "A cookie lacks Secure or was set over plain HTTP"
    )
    /// `SameSite` with a value other than `Strict`, `Lax` or `None`, or `None` without `Secure`: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesSameSiteFlagInvalid = AuditOutcome(
        "cookies-samesite-flag-invalid",
        .cookies,
        -20,
        passing: false,
        "A cookie's SameSite is invalid, or None without Secure"
    )
    /// An anti-CSRF cookie without `SameSite`: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesAntiCSRFWithoutSameSiteFlag = AuditOutcome(
        "cookies-anticsrf-without-samesite-flag",
        .cookies,
        -20,
        passing: false,
        "An anti-CSRF cookie lacks SameSite"
    )
    /// A session cookie without `HttpOnly`: −30.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesSessionWithoutHttponlyFlag = AuditOutcome(
        "cookies-session-without-httponly-flag",
        .cookies,
        -30,
        passing: false,
        "A session cookie lacks HttpOnly"
    )
    /// A session cookie without `Secure`, or set over HTTP: −40.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let cookiesSessionWithoutSecureFlag = AuditOutcome(
        "cookies-session-without-secure-flag",
        .cookies,
        -40,
        passing: false,
        "A session cookie lacks Secure or was set over plain HTTP"
    )

    // MARK: CORS

    /// No `Access-Control-Allow-Origin`: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corsNotImplemented = AuditOutcome(
        "cross-origin-resource-sharing-not-implemented",
        .crossOriginResourceSharing,
        0,
        passing: true,
        "Content is not readable cross-origin through CORS"
    )
    /// `Access-Control-Allow-Origin: *` (browsers send no credentials then): 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corsImplementedWithPublicAccess = AuditOutcome(
        "cross-origin-resource-sharing-implemented-with-public-access",
        .crossOriginResourceSharing,
        0,
        passing: true,
        "Public content is readable cross-origin (Access-Control-Allow-Origin: *)"
    )
    /// CORS limited to specific origins: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corsImplementedWithRestrictedAccess = AuditOutcome(
        "cross-origin-resource-sharing-implemented-with-restricted-access",
        .crossOriginResourceSharing,
        0,
        passing: true,
        "Content is readable cross-origin only by specific origins"
    )
    /// The request's `Origin` reflected, with `Access-Control-Allow-Credentials: true`: −50.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corsImplementedWithUniversalAccess = AuditOutcome(
        "cross-origin-resource-sharing-implemented-with-universal-access",
        .crossOriginResourceSharing,
        -50,
        passing: false,
        "Any origin can read content with the user's credentials (Origin reflected with Access-Control-Allow-Credentials: true)"
    )

    // MARK: Redirection

    /// Every host of the redirect chain is HSTS-preloaded: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionAllRedirectsPreloaded = AuditOutcome(
        "redirection-all-redirects-preloaded",
        .redirection,
        0,
        passing: true,
        "Every host redirected through is on the HSTS preload list"
    )
    /// HTTP redirects to HTTPS on the same host first and ends on HTTPS: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionToHTTPS = AuditOutcome(
        "redirection-to-https",
        .redirection,
        0,
        passing: true,
        "HTTP redirects to HTTPS on the same host first and ends on HTTPS"
    )
    /// Nothing answers plain HTTP: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionNotNeededNoHTTP = AuditOutcome(
        "redirection-not-needed-no-http",
        .redirection,
        0,
        passing: true,
        "Not reachable over plain HTTP, so no redirection is needed"
    )
    /// The first redirect goes to HTTPS on another host, so HSTS is never set for this one: −5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionOffHostFromHTTP = AuditOutcome(
        "redirection-off-host-from-http",
        .redirection,
        -5,
        passing: false,
        "HTTP redirects to HTTPS on a different host first, so this host never gets HSTS"
    )
    /// The first redirect goes to another HTTP URL: −10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionNotToHTTPSOnInitialRedirection = AuditOutcome(
        "redirection-not-to-https-on-initial-redirection",
        .redirection,
        -10,
        passing: false,
        "HTTP ends on HTTPS, but the first redirect is to another HTTP URL"
    )
    /// Redirects, but ends on HTTP: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionNotToHTTPS = AuditOutcome(
        "redirection-not-to-https",
        .redirection,
        -20,
        passing: false,
        "HTTP redirects, but the final URL is not HTTPS"
    )
    /// Plain HTTP does not redirect: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionMissing = AuditOutcome(
        "redirection-missing",
        .redirection,
        -20,
        passing: false,
        "Plain HTTP does not redirect to HTTPS"
    )
    /// An invalid certificate chain during redirection: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let redirectionInvalidCert = AuditOutcome(
        "redirection-invalid-cert",
        .redirection,
        -20,
        passing: false,
        "Invalid certificate chain met during redirection"
    )

    // MARK: Referrer-Policy

    /// `no-referrer`, `same-origin`, `strict-origin` or `strict-origin-when-cross-origin`: +5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let referrerPolicyPrivate = AuditOutcome(
        "referrer-policy-private",
        .referrerPolicy,
        5,
        passing: true,
        "Referrer-Policy is no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin"
    )
    /// No `Referrer-Policy` (browsers default to `strict-origin-when-cross-origin`): 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let referrerPolicyNotImplemented = AuditOutcome(
        "referrer-policy-not-implemented",
        .referrerPolicy,
        0,
        passing: true,
        "Referrer-Policy header not implemented"
    )
    /// `origin`, `origin-when-cross-origin`, `unsafe-url` or `no-referrer-when-downgrade`: −5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let referrerPolicyUnsafe = AuditOutcome(
        "referrer-policy-unsafe",
        .referrerPolicy,
        -5,
        passing: false,
        "Referrer-Policy is origin, origin-when-cross-origin, unsafe-url or no-referrer-when-downgrade"
    )
    /// No recognisable policy: −5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let referrerPolicyHeaderInvalid = AuditOutcome(
        "referrer-policy-header-invalid",
        .referrerPolicy,
        -5,
        passing: false,
        "Referrer-Policy header cannot be recognised"
    )

    // MARK: Strict-Transport-Security

    /// The host is on the HSTS preload list: +5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let hstsPreloaded = AuditOutcome("hsts-preloaded", .strictTransportSecurity, 5, passing: true, "Host is on the HSTS preload list")
    /// `max-age` of at least six months: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let hstsImplementedMaxAgeAtLeastSixMonths = AuditOutcome(
        "hsts-implemented-max-age-at-least-six-months",
        .strictTransportSecurity,
        0,
        passing: true,
        "Strict-Transport-Security max-age is at least six months"
    )
    /// `max-age` under six months: −10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let hstsImplementedMaxAgeLessThanSixMonths = AuditOutcome(
        "hsts-implemented-max-age-less-than-six-months",
        .strictTransportSecurity,
        -10,
        passing: false,
        "Strict-Transport-Security max-age is under six months"
    )
    /// No HSTS header: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let hstsNotImplemented = AuditOutcome(
        "hsts-not-implemented",
        .strictTransportSecurity,
        -20,
        passing: false,
        "Strict-Transport-Security header not implemented"
    )
    /// An HSTS header that cannot be parsed: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let hstsHeaderInvalid = AuditOutcome(
        "hsts-header-invalid",
        .strictTransportSecurity,
        -20,
        passing: false,
        "Strict-Transport-Security header cannot be recognised"
    )
    /// The site is not served over HTTPS, so it cannot set HSTS: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let hstsNotImplementedNoHTTPS = AuditOutcome(
        "hsts-not-implemented-no-https",
        .strictTransportSecurity,
        -20,
        passing: false,
        "Not served over HTTPS, so Strict-Transport-Security cannot be set"
    )
    /// The certificate chain is invalid, so HSTS cannot take effect: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let hstsInvalidCert = AuditOutcome(
        "hsts-invalid-cert",
        .strictTransportSecurity,
        -20,
        passing: false,
        "Invalid certificate chain, so Strict-Transport-Security cannot take effect"
    )

    // MARK: X-Content-Type-Options

    /// `nosniff`: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xContentTypeOptionsNosniff = AuditOutcome(
        "x-content-type-options-nosniff",
        .xContentTypeOptions,
        0,
        passing: true,
        "X-Content-Type-Options is nosniff"
    )
    /// No header: −5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xContentTypeOptionsNotImplemented = AuditOutcome(
        "x-content-type-options-not-implemented",
        .xContentTypeOptions,
        -5,
        passing: false,
        "X-Content-Type-Options header not implemented"
    )
    /// Any other value: −5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xContentTypeOptionsHeaderInvalid = AuditOutcome(
        "x-content-type-options-header-invalid",
        .xContentTypeOptions,
        -5,
        passing: false,
        "X-Content-Type-Options header cannot be recognised"
    )

    // MARK: X-Frame-Options

    /// The CSP sets `frame-ancestors`: +5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xFrameOptionsImplementedViaCSP = AuditOutcome(
        "x-frame-options-implemented-via-csp",
        .xFrameOptions,
        5,
        passing: true,
        "Framing controlled by the CSP frame-ancestors directive"
    )
    /// `DENY` or `SAMEORIGIN`: +5 (Observatory scoring algorithm 5; the MDN table still says 0).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xFrameOptionsSameoriginOrDeny = AuditOutcome(
        "x-frame-options-sameorigin-or-deny",
        .xFrameOptions,
        5,
        passing: true,
        "X-Frame-Options is SAMEORIGIN or DENY"
    )
    /// `ALLOW-FROM`, which browsers ignore: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xFrameOptionsAllowFromOrigin = AuditOutcome(
        "x-frame-options-allow-from-origin",
        .xFrameOptions,
        0,
        passing: true,
        "X-Frame-Options uses ALLOW-FROM, which current browsers ignore"
    )
    /// No header and no `frame-ancestors`: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xFrameOptionsNotImplemented = AuditOutcome(
        "x-frame-options-not-implemented",
        .xFrameOptions,
        -20,
        passing: false,
        "Neither X-Frame-Options nor CSP frame-ancestors is set"
    )
    /// An unrecognised value: −20.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let xFrameOptionsHeaderInvalid = AuditOutcome(
        "x-frame-options-header-invalid",
        .xFrameOptions,
        -20,
        passing: false,
        "X-Frame-Options header cannot be recognised"
    )

    // MARK: Cross-Origin-Resource-Policy

    /// No header (resources default to `cross-origin`): 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corpNotImplemented = AuditOutcome(
        "corp-not-implemented",
        .crossOriginResourcePolicy,
        0,
        passing: true,
        "Cross-Origin-Resource-Policy not implemented (defaults to cross-origin)"
    )
    /// `same-origin`: +10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corpImplementedWithSameOrigin = AuditOutcome(
        "corp-implemented-with-same-origin",
        .crossOriginResourcePolicy,
        10,
        passing: true,
        "Cross-Origin-Resource-Policy same-origin keeps responses out of cross-origin contexts"
    )
    /// `same-site`: +10.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corpImplementedWithSameSite = AuditOutcome(
        "corp-implemented-with-same-site",
        .crossOriginResourcePolicy,
        10,
        passing: true,
        "Cross-Origin-Resource-Policy same-site keeps responses out of cross-site contexts"
    )
    /// `cross-origin`: 0.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corpImplementedWithCrossOrigin = AuditOutcome(
        "corp-implemented-with-cross-origin",
        .crossOriginResourcePolicy,
        0,
        passing: true,
        "Cross-Origin-Resource-Policy cross-origin lets any site embed responses"
    )
    /// An unrecognised value: −5.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let corpHeaderInvalid = AuditOutcome(
        "corp-header-invalid",
        .crossOriginResourcePolicy,
        -5,
        passing: false,
        "Cross-Origin-Resource-Policy header cannot be recognised"
    )

    // MARK: Cross-Origin-Opener-Policy (informational)

    /// No COOP header. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coopNotImplemented = AuditOutcome(
        "coop-not-implemented",
        .crossOriginOpenerPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Opener-Policy not implemented (informational, not scored)"
    )
    /// `same-origin`. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coopImplementedWithSameOrigin = AuditOutcome(
        "coop-implemented-with-same-origin",
        .crossOriginOpenerPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Opener-Policy same-origin isolates the browsing context (informational, not scored)"
    )
    /// `same-origin-allow-popups`. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coopImplementedWithSameOriginAllowPopups = AuditOutcome(
        "coop-implemented-with-same-origin-allow-popups",
        .crossOriginOpenerPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Opener-Policy same-origin-allow-popups (informational, not scored)"
    )
    /// `noopener-allow-popups`. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coopImplementedWithNoopenerAllowPopups = AuditOutcome(
        "coop-implemented-with-noopener-allow-popups",
        .crossOriginOpenerPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Opener-Policy noopener-allow-popups (informational, not scored)"
    )
    /// `unsafe-none`, the browsers' default. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coopImplementedWithUnsafeNone = AuditOutcome(
        "coop-implemented-with-unsafe-none",
        .crossOriginOpenerPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Opener-Policy unsafe-none, the browser default (informational, not scored)"
    )
    /// An unrecognised value, or the header sent twice. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coopHeaderInvalid = AuditOutcome(
        "coop-header-invalid",
        .crossOriginOpenerPolicy,
        0,
        passing: false,
        scored: false,
        "Cross-Origin-Opener-Policy header cannot be recognised (informational, not scored)"
    )

    // MARK: Cross-Origin-Embedder-Policy (informational)

    /// No COEP header. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coepNotImplemented = AuditOutcome(
        "coep-not-implemented",
        .crossOriginEmbedderPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Embedder-Policy not implemented (informational, not scored)"
    )
    /// `require-corp`. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coepImplementedWithRequireCorp = AuditOutcome(
        "coep-implemented-with-require-corp",
        .crossOriginEmbedderPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Embedder-Policy require-corp (informational, not scored)"
    )
    /// `credentialless`. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coepImplementedWithCredentialless = AuditOutcome(
        "coep-implemented-with-credentialless",
        .crossOriginEmbedderPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Embedder-Policy credentialless (informational, not scored)"
    )
    /// `unsafe-none`, the browsers' default. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coepImplementedWithUnsafeNone = AuditOutcome(
        "coep-implemented-with-unsafe-none",
        .crossOriginEmbedderPolicy,
        0,
        passing: true,
        scored: false,
        "Cross-Origin-Embedder-Policy unsafe-none, the browser default (informational, not scored)"
    )
    /// An unrecognised value, or the header sent twice. Informational, not scored.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let coepHeaderInvalid = AuditOutcome(
        "coep-header-invalid",
        .crossOriginEmbedderPolicy,
        0,
        passing: false,
        scored: false,
        "Cross-Origin-Embedder-Policy header cannot be recognised (informational, not scored)"
    )

    /// Every outcome the audit can report.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let all: [AuditOutcome] = [
        .cspImplementedWithNoUnsafeDefaultSrcNone, .cspImplementedWithNoUnsafe, .cspImplementedWithUnsafeInlineInStyleSrcOnly,
        .cspImplementedWithInsecureSchemeInPassiveContentOnly, .cspImplementedWithUnsafeEval, .cspImplementedWithUnsafeInline,
        .cspImplementedWithInsecureScheme, .cspHeaderInvalid, .cspNotImplemented, .cspNotImplementedButReportingEnabled,
        .cookiesSecureWithHttponlySessionsAndSamesite, .cookiesSecureWithHttponlySessions, .cookiesNotFound,
        .cookiesWithoutSecureFlagButProtectedByHSTS, .cookiesSessionWithoutSecureFlagButProtectedByHSTS, .cookiesWithoutSecureFlag,
        .cookiesSameSiteFlagInvalid, .cookiesAntiCSRFWithoutSameSiteFlag, .cookiesSessionWithoutHttponlyFlag, .cookiesSessionWithoutSecureFlag,
        .corsNotImplemented, .corsImplementedWithPublicAccess, .corsImplementedWithRestrictedAccess, .corsImplementedWithUniversalAccess,
        .redirectionAllRedirectsPreloaded, .redirectionToHTTPS, .redirectionNotNeededNoHTTP, .redirectionOffHostFromHTTP,
        .redirectionNotToHTTPSOnInitialRedirection, .redirectionNotToHTTPS, .redirectionMissing, .redirectionInvalidCert,
        .referrerPolicyPrivate, .referrerPolicyNotImplemented, .referrerPolicyUnsafe, .referrerPolicyHeaderInvalid,
        .hstsPreloaded, .hstsImplementedMaxAgeAtLeastSixMonths, .hstsImplementedMaxAgeLessThanSixMonths, .hstsNotImplemented,
        .hstsHeaderInvalid, .hstsNotImplementedNoHTTPS, .hstsInvalidCert,
        .xContentTypeOptionsNosniff, .xContentTypeOptionsNotImplemented, .xContentTypeOptionsHeaderInvalid,
        .xFrameOptionsImplementedViaCSP, .xFrameOptionsSameoriginOrDeny, .xFrameOptionsAllowFromOrigin,
        .xFrameOptionsNotImplemented, .xFrameOptionsHeaderInvalid,
        .corpNotImplemented, .corpImplementedWithSameOrigin, .corpImplementedWithSameSite, .corpImplementedWithCrossOrigin, .corpHeaderInvalid,
        .coopNotImplemented, .coopImplementedWithSameOrigin, .coopImplementedWithSameOriginAllowPopups,
        .coopImplementedWithNoopenerAllowPopups, .coopImplementedWithUnsafeNone, .coopHeaderInvalid,
        .coepNotImplemented, .coepImplementedWithRequireCorp, .coepImplementedWithCredentialless, .coepImplementedWithUnsafeNone, .coepHeaderInvalid,
    ]
}
