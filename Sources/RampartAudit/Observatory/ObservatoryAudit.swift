import HTTPTypes
import Rampart

/// Grades responses the way Mozilla's HTTP Observatory does: each test yields one result with
/// a score modifier, and the score and grade follow from them.
///
/// ```swift
/// let report = ObservatoryAudit.grade(AuditInput(chain: responses, plainHTTP: .unreachable))
/// print(report.grade, report.score)          // A+ 135
/// for result in report.results { print(result.outcome, result.modifier) }
/// ```
///
/// The tests are those of the Observatory's score table: Content Security Policy, cookies,
/// CORS, redirection, Referrer-Policy, Strict-Transport-Security, X-Content-Type-Options,
/// X-Frame-Options and Cross-Origin-Resource-Policy; COOP and COEP are reported but not scored
/// (see ``AuditOutcome``). Where the MDN page's wording and the Observatory's grader differ,
/// the grader's behaviour is followed so that grades agree:
/// - `csp-implemented-with-no-unsafe-default-src-none` needs `default-src 'none'` alone; the
///   grader does not look at `form-action` for it.
/// - HSTS counts as six months from `max-age=15552000` (180 days), not 15768000.
/// - `frame-ancestors` in the CSP earns `x-frame-options-implemented-via-csp` whatever its value.
///
/// Where browsers disagree, the weaker reading is graded. A CSP directive holding a non-ASCII
/// character is skipped whole by Chromium, as CSP Level 3 §2.2.1 says, and kept by Firefox, which
/// ignores only the bad source; the grader keeps it. The CSP test grades both readings and reports
/// the lower (`script-src 'none' é; default-src 'unsafe-inline'` runs inline scripts in
/// Chromium), and `frame-ancestors` counts for X-Frame-Options only where Chromium keeps it.
///
/// Cookies set over plain HTTP count as not `Secure`, except from loopback hosts, which
/// browsers treat as trustworthy origins (a local `rampart audit http://localhost:…`).
///
/// Not covered: Subresource Integrity (it needs the page's HTML), `<meta http-equiv>` policies,
/// and the HSTS preload list, which callers may supply as ``AuditInput/preloadedHosts``.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
public enum ObservatoryAudit {
    /// Runs every test on the input and grades the result.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static func grade(_ input: AuditInput) -> AuditReport {
        let final = input.finalResponse
        let (csp, parsedCSP) = contentSecurityPolicy(final)
        let hsts = strictTransportSecurity(input)
        let results = [
            csp,
            cookies(input, hstsPasses: hsts.passed),
            crossOriginResourceSharing(input),
            redirection(input),
            referrerPolicy(final),
            hsts,
            xContentTypeOptions(final),
            xFrameOptions(final, csp: parsedCSP),
            crossOriginResourcePolicy(final),
            crossOriginOpenerPolicy(final),
            crossOriginEmbedderPolicy(final),
        ]
        return AuditReport(url: input.chain[0].url, finalURL: final.url, results: results)
    }

    // MARK: Helpers

    static func firstValue(_ fields: HTTPFields, _ name: HTTPField.Name) -> String? {
        fields[values: name].first
    }

    static func normalised(_ value: String, limit: Int = 256) -> String {
        HeaderGrammar.asciiLowercased(HeaderGrammar.trimOWS(Substring(value).prefix(limit)))
    }

    /// A header value short enough to quote in an explanation.
    static func quoted(_ value: String) -> String {
        let trimmed = String(HeaderGrammar.trimOWS(Substring(value)))
        return trimmed.utf8.count > 80 ? String(trimmed.prefix(77)) + "..." : trimmed
    }

    // MARK: Cookies

    struct Cookie {
        var name: String
        var isSecure: Bool
        var isHTTPOnly: Bool
        /// `nil` when absent; the lowercased value (possibly empty) when present.
        var sameSite: String?
        var path: String?
        var domain: String?
        var setOverHTTP: Bool

        /// Parses a `Set-Cookie` value (RFC 6265 §5.2); `nil` for a cookie without a name.
        init?(_ value: String, setOverHTTP: Bool) {
            let parts = HeaderGrammar.split(Substring(value), on: UInt8(ascii: ";"))
            guard let pair = parts.first, let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            name = String(HeaderGrammar.trimOWS(pair[..<equals]))
            guard !name.isEmpty else { return nil }
            isSecure = false
            isHTTPOnly = false
            self.setOverHTTP = setOverHTTP
            for attribute in parts.dropFirst() {
                let equals = attribute.utf8.firstIndex(of: UInt8(ascii: "="))
                let key = HeaderGrammar.asciiLowercased(HeaderGrammar.trimOWS(equals.map { attribute[..<$0] } ?? attribute))
                let argument = equals.map { String(HeaderGrammar.trimOWS(attribute[attribute.utf8.index(after: $0)...])) }
                switch key {
                case "secure": isSecure = true
                case "httponly": isHTTPOnly = true
                case "samesite": sameSite = HeaderGrammar.asciiLowercased(argument ?? "")
                case "path": path = argument
                case "domain": domain = argument
                default: break
                }
            }
        }

        var lowercasedName: String { HeaderGrammar.asciiLowercased(name) }
        /// The Observatory's heuristic: a name containing "login" or "sess".
        var isSession: Bool { lowercasedName.contains("login") || lowercasedName.contains("sess") }
        var isAntiCSRF: Bool { lowercasedName.contains("csrf") }

        /// Browsers reject a `__Secure-` cookie without `Secure`, and a `__Host-` cookie
        /// without `Secure`, with a `Domain`, or with a path other than `/`; both only over HTTPS.
        var brokenPrefix: String? {
            let name = lowercasedName
            if name.utf8.starts(with: "__host-".utf8), !isSecure || setOverHTTP || domain != nil || path != "/" {
                return "__Host-"
            }
            if name.utf8.starts(with: "__secure-".utf8), !isSecure || setOverHTTP {
                return "__Secure-"
            }
            return nil
        }
    }

    /// From the least bad to the worst; a cookie's finding replaces the current one only when worse.
    static let cookieBadness: [AuditOutcome] = [
        .cookiesWithoutSecureFlagButProtectedByHSTS, .cookiesWithoutSecureFlag,
        .cookiesSessionWithoutSecureFlagButProtectedByHSTS, .cookiesSameSiteFlagInvalid,
        .cookiesAntiCSRFWithoutSameSiteFlag, .cookiesSessionWithoutHttponlyFlag, .cookiesSessionWithoutSecureFlag,
    ]

    /// The cookies test, over every `Set-Cookie` of the redirect chain.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, Cookies](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func cookies(_ input: AuditInput, hstsPasses: Bool) -> AuditResult {
        var cookies: [Cookie] = []
        var rejected: [String] = []
        for response in input.chain {
            for value in response.headerFields[values: .setCookie] {
                // Browsers accept Secure cookies from loopback over plain HTTP (a trustworthy origin).
                let overHTTP = !response.url.isSecure && !response.url.isLoopback
                guard let cookie = Cookie(value, setOverHTTP: overHTTP) else { continue }
                if let prefix = cookie.brokenPrefix {
                    rejected.append("\(cookie.name) ignored: breaks the \(prefix) prefix rules, which browsers enforce")
                } else {
                    cookies.append(cookie)
                }
            }
        }
        let rejectedNote = rejected.isEmpty ? nil : rejected.joined(separator: "; ")
        guard !cookies.isEmpty else { return AuditResult(.cookiesNotFound, detail: rejectedNote) }

        var worst: (outcome: AuditOutcome, cookie: String)?
        func report(_ outcome: AuditOutcome, _ cookie: Cookie) {
            let rank = cookieBadness.firstIndex(of: outcome)!
            if let current = worst, cookieBadness.firstIndex(of: current.outcome)! >= rank { return }
            worst = (outcome, cookie.name)
        }
        var missingSameSite = false
        for cookie in cookies {
            let secure = cookie.isSecure && !cookie.setOverHTTP
            if let sameSite = cookie.sameSite, !["strict", "lax", "none"].contains(sameSite) || (sameSite == "none" && !secure) {
                report(.cookiesSameSiteFlagInvalid, cookie)
            }
            if !secure {
                report(hstsPasses ? .cookiesWithoutSecureFlagButProtectedByHSTS : .cookiesWithoutSecureFlag, cookie)
            }
            if cookie.isAntiCSRF && cookie.sameSite == nil {
                report(.cookiesAntiCSRFWithoutSameSiteFlag, cookie)
            }
            if cookie.isSession && !secure {
                report(hstsPasses ? .cookiesSessionWithoutSecureFlagButProtectedByHSTS : .cookiesSessionWithoutSecureFlag, cookie)
            }
            if cookie.isSession && !cookie.isHTTPOnly {
                report(.cookiesSessionWithoutHttponlyFlag, cookie)
            }
            if cookie.sameSite == nil { missingSameSite = true }
        }
        if let worst {
            return AuditResult(worst.outcome, detail: [worst.cookie, rejectedNote].compactMap { $0 }.joined(separator: "; "))
        }
        let names = cookies.map(\.name).joined(separator: ", ")
        let detail = [names, rejectedNote].compactMap { $0 }.joined(separator: "; ")
        return AuditResult(missingSameSite ? .cookiesSecureWithHttponlySessions : .cookiesSecureWithHttponlySessionsAndSamesite, detail: detail)
    }

    // MARK: CORS

    /// The CORS test: `Access-Control-Allow-Origin` on the probe (or the final response).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, CORS](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func crossOriginResourceSharing(_ input: AuditInput) -> AuditResult {
        let response = input.corsProbe?.response ?? input.finalResponse
        guard let allowOrigin = firstValue(response.headerFields, .accessControlAllowOrigin) else {
            return AuditResult(.corsNotImplemented)
        }
        let value = String(HeaderGrammar.trimOWS(Substring(allowOrigin)))
        if value == "*" { return AuditResult(.corsImplementedWithPublicAccess) }
        let credentials = firstValue(response.headerFields, .accessControlAllowCredentials).map { normalised($0) }
        if let origin = input.corsProbe?.origin, origin == value, credentials == "true" {
            return AuditResult(.corsImplementedWithUniversalAccess, detail: "sent Origin: \(quoted(origin)), got it back with credentials")
        }
        return AuditResult(.corsImplementedWithRestrictedAccess, detail: quoted(value))
    }

    // MARK: Redirection

    /// The redirection test, on the chain that the `http://` form of the site produced.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, Redirections](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func redirection(_ input: AuditInput) -> AuditResult {
        let route: [AuditedResponse]
        switch input.plainHTTP?.kind {
        case .unreachable?:
            return AuditResult(.redirectionNotNeededNoHTTP)
        case .invalidCertificate?:
            return AuditResult(.redirectionInvalidCert)
        case .chain(let responses)?:
            route = responses
        case nil:
            guard !input.chain[0].url.isSecure else {
                return AuditResult(.redirectionNotNeededNoHTTP, detail: "the http:// form was not fetched")
            }
            route = input.chain
        }
        guard let first = route.first, let last = route.last else { return AuditResult(.redirectionNotNeededNoHTTP) }
        let path = route.map(\.url.description).joined(separator: " -> ")
        if route.allSatisfy({ input.isPreloaded($0.url.host) }) {
            return AuditResult(.redirectionAllRedirectsPreloaded, detail: path)
        }
        if route.count == 1 {
            return AuditResult(.redirectionMissing, detail: "\(first.url) answered \(first.status.code)")
        }
        if !last.url.isSecure {
            return AuditResult(.redirectionNotToHTTPS, detail: path)
        }
        let second = route[1]
        if !second.url.isSecure {
            return AuditResult(.redirectionNotToHTTPSOnInitialRedirection, detail: path)
        }
        if !first.url.isSecure && first.url.host != second.url.host {
            return AuditResult(.redirectionOffHostFromHTTP, detail: path)
        }
        return AuditResult(.redirectionToHTTPS, detail: path)
    }

    // MARK: Referrer-Policy

    static let privateReferrerPolicies = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
    static let unsafeReferrerPolicies = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"]

    /// The Referrer-Policy test: the last recognised token of the header wins, as in browsers.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, Referrer Policy](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func referrerPolicy(_ response: AuditedResponse) -> AuditResult {
        let values = response.headerFields[values: .referrerPolicy]
        guard !values.isEmpty else { return AuditResult(.referrerPolicyNotImplemented) }
        let joined = values.joined(separator: ", ")
        let tokens = HeaderGrammar.split(Substring(joined), on: UInt8(ascii: ",")).map { HeaderGrammar.asciiLowercased($0) }
        let policy = tokens.last { privateReferrerPolicies.contains($0) || unsafeReferrerPolicies.contains($0) }
        guard let policy else { return AuditResult(.referrerPolicyHeaderInvalid, detail: quoted(joined)) }
        return AuditResult(privateReferrerPolicies.contains(policy) ? .referrerPolicyPrivate : .referrerPolicyUnsafe, detail: policy)
    }

    // MARK: Strict-Transport-Security

    /// 180 days: the Observatory's six months, since many sites send 15552000 rather than 15768000.
    /// The deployment check warns below the same value (`hsts.short-max-age`), so a value that
    /// `rampart check` accepts also earns `hsts-implemented-max-age-at-least-six-months`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public static let sixMonths = 15_552_000

    /// The HSTS test, on the final response when it came over HTTPS.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, HSTS](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func strictTransportSecurity(_ input: AuditInput) -> AuditResult {
        let response = input.finalResponse
        guard response.url.isSecure else { return AuditResult(.hstsNotImplementedNoHTTPS) }
        if input.isPreloaded(response.url.host) { return AuditResult(.hstsPreloaded, detail: response.url.host) }
        let values = response.headerFields[values: .strictTransportSecurity]
        guard let value = values.first else { return AuditResult(.hstsNotImplemented) }
        // Two fields, or a comma in one, means the header was set twice.
        guard values.count == 1, !value.utf8.contains(UInt8(ascii: ",")) else {
            return AuditResult(.hstsHeaderInvalid, detail: "header set more than once")
        }
        var maxAge: Int?
        // The Observatory reads only `max-age=…`: a later one wins, and other directives (even
        // a bare `max-age`) are ignored.
        for directive in StrictTransportSecurityReader.directives(Substring(value.prefix(1024))) where directive.name == "max-age" {
            guard let argument = directive.value else { continue }
            guard let seconds = StrictTransportSecurityReader.seconds(argument, maximumDigits: 18) else {
                return AuditResult(.hstsHeaderInvalid, detail: quoted(value))
            }
            maxAge = seconds
        }
        guard let maxAge else { return AuditResult(.hstsHeaderInvalid, detail: "no max-age") }
        return AuditResult(
            maxAge >= sixMonths ? .hstsImplementedMaxAgeAtLeastSixMonths : .hstsImplementedMaxAgeLessThanSixMonths,
            detail: quoted(value)
        )
    }

    // MARK: X-Content-Type-Options

    /// The X-Content-Type-Options test.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, X-Content-Type-Options](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func xContentTypeOptions(_ response: AuditedResponse) -> AuditResult {
        guard let value = firstValue(response.headerFields, .xContentTypeOptions) else {
            return AuditResult(.xContentTypeOptionsNotImplemented)
        }
        return normalised(value) == "nosniff"
            ? AuditResult(.xContentTypeOptionsNosniff) : AuditResult(.xContentTypeOptionsHeaderInvalid, detail: quoted(value))
    }

    // MARK: X-Frame-Options

    /// The X-Frame-Options test; a CSP `frame-ancestors` directive takes precedence.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, X-Frame-Options](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func xFrameOptions(_ response: AuditedResponse, csp: AuditedCSP?) -> AuditResult {
        if let ancestors = csp?["frame-ancestors"] {
            return AuditResult(.xFrameOptionsImplementedViaCSP, detail: "frame-ancestors \(ancestors.sorted().map(\.text).joined(separator: " "))")
        }
        guard let value = firstValue(response.headerFields, .xFrameOptions) else { return AuditResult(.xFrameOptionsNotImplemented) }
        let lowered = normalised(value, limit: 1024)
        if lowered == "deny" || lowered == "sameorigin" { return AuditResult(.xFrameOptionsSameoriginOrDeny, detail: quoted(value)) }
        if lowered.utf8.starts(with: "allow-from".utf8) { return AuditResult(.xFrameOptionsAllowFromOrigin, detail: quoted(value)) }
        return AuditResult(.xFrameOptionsHeaderInvalid, detail: quoted(value))
    }

    // MARK: Cross-Origin-Resource-Policy

    /// The Cross-Origin-Resource-Policy test.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring, CORP](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    static func crossOriginResourcePolicy(_ response: AuditedResponse) -> AuditResult {
        guard let value = firstValue(response.headerFields, .crossOriginResourcePolicy) else { return AuditResult(.corpNotImplemented) }
        switch normalised(value) {
        case "same-origin": return AuditResult(.corpImplementedWithSameOrigin)
        case "same-site": return AuditResult(.corpImplementedWithSameSite)
        case "cross-origin": return AuditResult(.corpImplementedWithCrossOrigin)
        default: return AuditResult(.corpHeaderInvalid, detail: quoted(value))
        }
    }

    // MARK: COOP and COEP (informational)

    /// The structured-field token of a one-field policy header, parameters dropped;
    /// `.failure` when the header is repeated.
    static func policyToken(_ response: AuditedResponse, _ name: HTTPField.Name) -> (token: String, raw: String)?? {
        let values = response.headerFields[values: name]
        guard let value = values.first else { return .some(nil) }
        guard values.count == 1 else { return nil }
        let token = HeaderGrammar.split(Substring(value.prefix(1024)), on: UInt8(ascii: ";")).first.map(String.init) ?? ""
        return .some((token, value))
    }

    /// Cross-Origin-Opener-Policy: informational, modifier 0, not part of the score.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring)
    /// and [MDN: Cross-Origin-Opener-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Opener-Policy).
    static func crossOriginOpenerPolicy(_ response: AuditedResponse) -> AuditResult {
        guard let parsed = policyToken(response, .crossOriginOpenerPolicy) else {
            return AuditResult(.coopHeaderInvalid, detail: "header set more than once")
        }
        guard let (token, raw) = parsed else { return AuditResult(.coopNotImplemented) }
        switch token {
        case "same-origin": return AuditResult(.coopImplementedWithSameOrigin)
        case "same-origin-allow-popups": return AuditResult(.coopImplementedWithSameOriginAllowPopups)
        case "noopener-allow-popups": return AuditResult(.coopImplementedWithNoopenerAllowPopups)
        case "unsafe-none": return AuditResult(.coopImplementedWithUnsafeNone)
        default: return AuditResult(.coopHeaderInvalid, detail: quoted(raw))
        }
    }

    /// Cross-Origin-Embedder-Policy: informational, modifier 0, not part of the score.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring)
    /// and [MDN: Cross-Origin-Embedder-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Embedder-Policy).
    static func crossOriginEmbedderPolicy(_ response: AuditedResponse) -> AuditResult {
        guard let parsed = policyToken(response, .crossOriginEmbedderPolicy) else {
            return AuditResult(.coepHeaderInvalid, detail: "header set more than once")
        }
        guard let (token, raw) = parsed else { return AuditResult(.coepNotImplemented) }
        switch token {
        case "require-corp": return AuditResult(.coepImplementedWithRequireCorp)
        case "credentialless": return AuditResult(.coepImplementedWithCredentialless)
        case "unsafe-none": return AuditResult(.coepImplementedWithUnsafeNone)
        default: return AuditResult(.coepHeaderInvalid, detail: quoted(raw))
        }
    }
}
