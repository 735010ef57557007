import HTTPTypes
import Rampart

/// A deployment linter, in the style of Django's `check --deploy`: pure functions from the
/// header values a deployment sends to findings, each with a severity, a stable id and a
/// message.
///
/// This module holds the header rules. The rules for a server's own settings (listening
/// address, TLS files, trusted proxies, key file, database) belong to whoever owns those
/// settings: the reference app adds them next to its configuration (`RampartApp`), and
/// `rampart check` runs both.
///
/// The header rules, by id:
/// - `hsts.invalid` (error): the HSTS value has no valid `max-age`, a directive twice, or a
///   control character, so browsers ignore it (RFC 6797 §6.1).
/// - `hsts.preload-without-subdomains` (error): `preload` without `includeSubDomains`, which
///   the preload list refuses. The typed ``StrictTransportSecurity`` cannot even be built this
///   way, so the raw header text is linted.
/// - `hsts.preload-max-age` (error): `preload` with `max-age` under one year.
/// - `hsts.disabled` (warning): `max-age=0`, which tells browsers to forget HSTS.
/// - `hsts.short-max-age` (warning): `max-age` under 180 days (``ObservatoryAudit/sixMonths``).
/// - `csp.empty` (error): no CSP at all.
/// - `csp.invalid` (error): control characters in the CSP.
/// - `csp.unsafe-inline-script` (error): a directive that governs scripts allows
///   `'unsafe-inline'` with no nonce or hash, so any injected `<script>` or `onclick` runs. With
///   a nonce or hash present, CSP Level 2 browsers ignore `'unsafe-inline'`; that is the usual
///   fallback for old browsers and is not reported.
/// - `csp.unsafe-inline-style` (warning): the same for styles; injected CSS can still leak data
///   through selectors and URLs, but cannot run script.
/// - `csp.unsafe-eval` (warning): `'unsafe-eval'` in a directive that governs scripts.
///
/// Findings come in rule order, which is stable. The values are read by the same byte-level
/// readers as ``ObservatoryAudit``'s.
///
/// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy),
/// [RFC 6797](https://www.rfc-editor.org/rfc/rfc6797) and
/// [CSP Level 3 §6.7.3](https://www.w3.org/TR/CSP3/#allow-all-inline).
public enum DeploymentCheck {
    /// Whether any finding is an error.
    public static func hasErrors(_ findings: [DeploymentFinding]) -> Bool {
        findings.contains { $0.severity == .error }
    }

    /// The header rules over the values a deployment sends: HSTS first, then CSP.
    public static func checkHeaders(strictTransportSecurity: String, contentSecurityPolicy: String) -> [DeploymentFinding] {
        checkStrictTransportSecurity(strictTransportSecurity) + checkContentSecurityPolicy(contentSecurityPolicy)
    }

    /// The header rules over a ``SecurityHeaders`` value, as it is sent over HTTPS (with a sample
    /// nonce in the CSP's nonce slot). A header listed in
    /// ``SecurityHeaders/dangerouslyOmittedHeaders`` is linted as absent.
    public static func checkHeaders(_ headers: SecurityHeaders) -> [DeploymentFinding] {
        let omitted = headers.dangerouslyOmittedHeaders
        return checkHeaders(
            strictTransportSecurity: omitted.contains(.strictTransportSecurity) ? "" : headers.strictTransportSecurity.headerField.value,
            contentSecurityPolicy: omitted.contains(.contentSecurityPolicy)
                ? "" : headers.contentSecurityPolicy.headerValue(nonce: sampleNonce, isSecure: true)
        )
    }

    /// The nonce rendered into a CSP that is linted: any valid one does.
    static let sampleNonce = CSPNonce("AAAAAAAAAAAAAAAAAAAAAA==")!

    // MARK: HSTS

    /// The preload list's minimum `max-age`: one year.
    static let preloadMaxAge = StrictTransportSecurity.minimumPreloadMaxAge
    /// The longest `max-age` read, in digits (about 31,700 years).
    static let maximumMaxAgeDigits = 12

    /// Lints a raw `Strict-Transport-Security` value.
    ///
    /// ```
    /// Strict-Transport-Security = [ directive ] *( ";" [ directive ] )
    /// directive                 = directive-name [ "=" directive-value ]
    /// directive-value           = token / quoted-string
    /// ```
    /// (RFC 6797 §6.1; names are case-insensitive, and a repeated directive voids the header.)
    ///
    /// See [RFC 6797 §6.1](https://www.rfc-editor.org/rfc/rfc6797#section-6.1).
    public static func checkStrictTransportSecurity(_ value: String) -> [DeploymentFinding] {
        func invalid(_ why: String) -> [DeploymentFinding] {
            [.init(severity: .error, id: "hsts.invalid", message: "Strict-Transport-Security \"\(value)\": \(why); browsers ignore the header")]
        }
        if let control = HeaderGrammar.firstControlCharacter(in: value) {
            return invalid("it holds \(control)")
        }
        // Names by their bytes: as `String`s, `"\u{1FEF}"` and `` "`" `` are one (canonical equivalence).
        var seen: Set<[UInt8]> = []
        var maxAge: Int?
        var includeSubDomains = false
        var preload = false
        for directive in StrictTransportSecurityReader.directives(Substring(value)) {
            guard seen.insert(Array(directive.name.utf8)).inserted else { return invalid("\(directive.name) appears twice") }
            switch directive.name {
            case "max-age":
                guard let text = directive.value,
                    let seconds = StrictTransportSecurityReader.seconds(text, maximumDigits: maximumMaxAgeDigits)
                else {
                    return invalid("max-age must be a number of seconds")
                }
                maxAge = seconds
            case "includesubdomains":
                includeSubDomains = true
            case "preload":
                preload = true
            default:
                continue  // Unknown directives are ignored by browsers (RFC 6797 §6.1).
            }
        }
        guard let maxAge else { return invalid("max-age is missing") }

        var findings: [DeploymentFinding] = []
        if preload && !includeSubDomains {
            findings.append(
                .init(
                    severity: .error,
                    id: "hsts.preload-without-subdomains",
                    message: "Strict-Transport-Security \"\(value)\": preload needs includeSubDomains, or the preload list refuses the domain"
                )
            )
        }
        if preload && maxAge < preloadMaxAge {
            findings.append(
                .init(
                    severity: .error,
                    id: "hsts.preload-max-age",
                    message: "Strict-Transport-Security \"\(value)\": preload needs max-age of at least \(preloadMaxAge) seconds (one year)"
                )
            )
        }
        if maxAge == 0 {
            findings.append(
                .init(
                    severity: .warning,
                    id: "hsts.disabled",
                    message: "Strict-Transport-Security \"\(value)\": max-age=0 tells browsers to forget HSTS"
                )
            )
        } else if maxAge < ObservatoryAudit.sixMonths {
            findings.append(
                .init(
                    severity: .warning,
                    id: "hsts.short-max-age",
                    message:
                        "Strict-Transport-Security \"\(value)\": max-age under \(ObservatoryAudit.sixMonths) seconds (180 days) leaves visitors unprotected between visits"
                )
            )
        }
        return findings
    }

    // MARK: CSP

    /// Lints a raw `Content-Security-Policy` value for inline script and style, and `eval`.
    ///
    /// The value is read as one policy (Rampart renders one): directives are split on `;`,
    /// names compared case-insensitively, and only the first of a repeated directive counts, as
    /// browsers do (CSP Level 3 §2.2.1). A directive holding a non-ASCII character is an error:
    /// Chromium skips it whole (§2.2.1 step 3.2) while Firefox keeps it, so the rest is linted
    /// both ways and every finding of either reading is reported.
    ///
    /// See [CSP Level 3 §6.7.3](https://www.w3.org/TR/CSP3/#allow-all-inline).
    public static func checkContentSecurityPolicy(_ value: String) -> [DeploymentFinding] {
        if let control = HeaderGrammar.firstControlCharacter(in: value) {
            return [.init(severity: .error, id: "csp.invalid", message: "Content-Security-Policy holds \(control)")]
        }
        let directives = ContentSecurityPolicyReader.directives(Substring(value))
        var findings = directives.filter { !$0.isASCII }.map { directive in
            DeploymentFinding(
                severity: .error,
                id: "csp.non-ascii",
                message:
                    "Content-Security-Policy \(ContentSecurityPolicyReader.printable(directive.name)) holds a non-ASCII character, so Chromium ignores the whole directive; write hosts in punycode and percent-encode paths"
            )
        }
        for finding in lintInline(directives) + lintInline(directives.filter(\.isASCII)) where !findings.contains(finding) {
            findings.append(finding)
        }
        return findings
    }

    /// The inline-script, inline-style and `eval` findings of one reading of a policy.
    static func lintInline(_ directives: [ContentSecurityPolicyReader.Directive]) -> [DeploymentFinding] {
        guard !directives.isEmpty else {
            return [.init(severity: .error, id: "csp.empty", message: "no Content-Security-Policy: any injected script runs")]
        }
        func sources(_ name: String) -> [String]? { directives.first { $0.name.utf8.elementsEqual(name.utf8) }?.sources }

        // The directives that govern each kind, with default-src as the fallback of the main one.
        func governing(_ main: String) -> [String] {
            var names = [main, main + "-elem", main + "-attr"].filter { sources($0) != nil }
            if sources(main) == nil, sources("default-src") != nil { names.insert("default-src", at: 0) }
            return names
        }

        var findings: [DeploymentFinding] = []
        for name in governing("script-src") {
            let list = sources(name)!
            if allowsAllInline(list) {
                findings.append(
                    .init(
                        severity: .error,
                        id: "csp.unsafe-inline-script",
                        message:
                            "Content-Security-Policy \(name) allows 'unsafe-inline' without a nonce or hash: any injected script runs; use nonces (Rampart's default)"
                    )
                )
            }
        }
        for name in governing("style-src") {
            let list = sources(name)!
            if allowsAllInline(list) {
                findings.append(
                    .init(
                        severity: .warning,
                        id: "csp.unsafe-inline-style",
                        message:
                            "Content-Security-Policy \(name) allows 'unsafe-inline' without a nonce or hash: injected CSS can restyle the page and leak data; use nonces"
                    )
                )
            }
        }
        for name in governing("script-src") where sources(name)!.contains(where: { $0.utf8.elementsEqual("'unsafe-eval'".utf8) }) {
            findings.append(
                .init(
                    severity: .warning,
                    id: "csp.unsafe-eval",
                    message: "Content-Security-Policy \(name) allows 'unsafe-eval': strings reaching eval() or new Function() run as code"
                )
            )
        }
        return findings
    }

    /// CSP Level 3 §6.7.3 "Does a source list allow all inline behavior?": `'unsafe-inline'`
    /// and no nonce or hash source (and, for scripts, no `'strict-dynamic'`).
    static func allowsAllInline(_ sources: [String]) -> Bool {
        // Byte comparisons: a combining mark must not make a keyword look different.
        guard sources.contains(where: { $0.utf8.elementsEqual("'unsafe-inline'".utf8) }) else { return false }
        return !sources.contains { source in
            ContentSecurityPolicyReader.isNonceOrHash(source) || source.utf8.elementsEqual("'strict-dynamic'".utf8)
        }
    }
}
