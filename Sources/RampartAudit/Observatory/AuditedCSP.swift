import HTTPTypes
import Rampart

/// A Content-Security-Policy as the audit reads it: for each policy, directive names to
/// lowercased source lists.
///
/// Several policies (repeated header fields, or one field with commas) are all enforced, so a
/// resource loads only when every policy allows it. The audit approximates that by
/// intersecting, per directive, the source lists of the policies that restrict it (after each
/// policy's own `default-src` fallback), by exact source text.
struct AuditedCSP {
    /// One dictionary per policy: directive name → sources, lowercased. An empty `*-src` list is `'none'`.
    private(set) var policies: [[CSPToken: Set<CSPToken>]] = []

    enum ParseError: Error {
        case tooShort
        case duplicateDirective(String)
    }

    // The shortest policy the Observatory accepts is one character shorter than "img-src".
    static let minimumLength = 6

    /// How a directive holding a non-ASCII character is read. Browsers disagree: Chromium skips
    /// the whole directive, as CSP Level 3 §2.2.1 says, and Firefox keeps it and ignores the bad
    /// source. The audit grades both readings and reports the weaker.
    enum Reading {
        /// Every directive counts, as the Observatory and Firefox read it.
        case asWritten
        /// A directive with a non-ASCII character is skipped, as CSP3 and Chromium read it.
        case skippingNonASCII
    }

    /// The names of the directives that hold a non-ASCII character, in order.
    private(set) var nonASCIINames: [String] = []

    /// No policy.
    init() {}

    /// Parses every policy of the header fields; throws when one cannot be parsed.
    init(fields: [String], reading: Reading = .asWritten) throws(ParseError) {
        for policy in ContentSecurityPolicyReader.policies(fields) {
            guard policy.utf8.count >= Self.minimumLength else { throw .tooShort }
            var directives: [CSPToken: Set<CSPToken>] = [:]
            for directive in ContentSecurityPolicyReader.directives(policy) {
                if !directive.isASCII {
                    nonASCIINames.append(directive.name)
                    if reading == .skippingNonASCII { continue }
                }
                let name = CSPToken(directive.name)
                // Browsers ignore a repeated directive; the Observatory calls the policy invalid,
                // except for the reporting directives.
                guard directives[name] == nil else {
                    if name == "report-uri" || name == "report-to" { continue }
                    throw .duplicateDirective(directive.name)
                }
                var sources = Set(directive.sources.map { CSPToken($0) })
                if sources.isEmpty && directive.name.utf8.suffix(4).elementsEqual("-src".utf8) { sources = ["'none'"] }
                directives[name] = sources
            }
            if !directives.isEmpty { policies.append(directives) }
        }
    }

    var isEmpty: Bool { policies.isEmpty }

    /// Every directive named by some policy, sorted.
    var directiveNames: [CSPToken] { Set(policies.flatMap(\.keys)).sorted() }

    static func intersect(_ lists: [Set<CSPToken>]) -> Set<CSPToken>? {
        guard var common = lists.first else { return nil }
        for list in lists.dropFirst() { common.formIntersection(list) }
        return common.isEmpty && lists.contains(where: { !$0.isEmpty }) ? ["'none'"] : common
    }

    /// A directive's sources as written (no fallback); `nil` when no policy names it.
    subscript(_ name: CSPToken) -> Set<CSPToken>? {
        Self.intersect(policies.compactMap { $0[name] })
    }

    /// The sources that govern a fetch directive, each policy falling back to its `default-src`;
    /// `nil` when no policy restricts it.
    func restricted(_ name: CSPToken) -> Set<CSPToken>? {
        Self.intersect(policies.compactMap { $0[name] ?? $0["default-src"] })
    }

    /// ``restricted(_:)``, or `*` when nothing restricts the directive.
    func effective(_ name: CSPToken) -> Set<CSPToken> {
        restricted(name) ?? ["*"]
    }
}

extension ObservatoryAudit {
    /// Schemes and wildcards that allow almost anything.
    static let dangerouslyBroad: Set<CSPToken> = ["ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"]
    static let unsafeInline: Set<CSPToken> = ["'unsafe-inline'", "data:"]
    static let passiveDirectives: Set<CSPToken> = ["img-src", "media-src"]

    static func hasNonceOrHash(_ sources: Set<CSPToken>) -> Bool {
        sources.contains { ContentSecurityPolicyReader.isNonceOrHash($0.text) }
    }

    static func isInsecureScheme(_ source: CSPToken) -> Bool {
        startsWith(source, "http:") || startsWith(source, "ftp:")
    }

    /// A byte-wise prefix test: `hasPrefix` compares grapheme clusters.
    static func startsWith(_ token: CSPToken, _ prefix: CSPToken) -> Bool {
        token.text.utf8.starts(with: prefix.text.utf8)
    }

    /// The CSP test, and the parsed policy for the X-Frame-Options test.
    static func contentSecurityPolicy(_ response: AuditedResponse) -> (AuditResult, AuditedCSP?) {
        let fields = response.headerFields[values: .contentSecurityPolicy]
        guard !fields.isEmpty else {
            if !response.headerFields[values: .contentSecurityPolicyReportOnly].isEmpty {
                return (AuditResult(.cspNotImplementedButReportingEnabled), nil)
            }
            return (AuditResult(.cspNotImplemented), nil)
        }
        let csp: AuditedCSP
        do throws(AuditedCSP.ParseError) {
            csp = try AuditedCSP(fields: fields)
        } catch {
            switch error {
            case .tooShort:
                return (AuditResult(.cspHeaderInvalid, detail: "a policy is empty or too short"), nil)
            case .duplicateDirective(let name):
                return (AuditResult(.cspHeaderInvalid, detail: "\(name) appears twice in one policy"), nil)
            }
        }
        guard let first = csp.nonASCIINames.first else {
            let (outcome, detail) = grade(csp, isHTTPS: response.url.isSecure)
            return (AuditResult(outcome, detail: detail), csp)
        }
        // Chromium's reading only drops directives, so it finds no duplicate or short policy that
        // the full reading did not; were it to, no policy at all is the reading that fails closed.
        let chromium = (try? AuditedCSP(fields: fields, reading: .skippingNonASCII)) ?? AuditedCSP()
        let written = grade(csp, isHTTPS: response.url.isSecure)
        let skipped = grade(chromium, isHTTPS: response.url.isSecure)
        let (outcome, detail) = skipped.outcome.modifier < written.outcome.modifier ? skipped : written
        let note = "Chromium ignores \(ContentSecurityPolicyReader.printable(first)), which holds a non-ASCII character"
        // X-Frame-Options credits frame-ancestors only where Chromium keeps it.
        return (AuditResult(outcome, detail: detail.map { "\($0); \(note)" } ?? note), chromium)
    }

    /// One reading of the policy graded: the first failing check, in the Observatory's order.
    static func grade(_ csp: AuditedCSP, isHTTPS: Bool) -> (outcome: AuditOutcome, detail: String?) {
        guard !csp.isEmpty else { return (.cspNotImplemented, nil) }

        var scriptSrc = csp.effective("script-src")
        var styleSrc = csp.effective("style-src")
        let objectSrc = csp.effective("object-src")

        // A nonce or hash makes browsers ignore 'unsafe-inline' (it is only a CSP1 fallback).
        if hasNonceOrHash(scriptSrc) { scriptSrc.remove("'unsafe-inline'") }
        if hasNonceOrHash(styleSrc) { styleSrc.remove("'unsafe-inline'") }

        // With 'strict-dynamic' and a nonce or hash, browsers ignore host and scheme sources,
        // 'self' and 'unsafe-inline' in script-src. Without a nonce or hash it blocks every
        // script, which the Observatory reports as an invalid policy.
        if scriptSrc.contains("'strict-dynamic'") {
            guard hasNonceOrHash(scriptSrc) else {
                return (.cspHeaderInvalid, "'strict-dynamic' without a nonce or hash")
            }
            scriptSrc = scriptSrc.filter { source in
                !(dangerouslyBroad.contains { startsWith(source, $0) } || source == "'self'" || source == "'unsafe-inline'")
            }
        }

        // Sorted, so that the value quoted in an explanation is always the same one.
        var active: [CSPToken] = scriptSrc.sorted()
        for name in csp.directiveNames where name != "script-src" && !passiveDirectives.contains(name) {
            active.append(contentsOf: (csp[name] ?? []).sorted())
        }
        let passive = passiveDirectives.sorted().flatMap { (csp.restricted($0) ?? []).sorted() }

        // The first failing check, in the Observatory's order, decides the result.
        let outcome: AuditOutcome
        let detail: String?
        if let bad = scriptSrc.sorted().first(where: { dangerouslyBroad.contains($0) || unsafeInline.contains($0) }) {
            (outcome, detail) = (.cspImplementedWithUnsafeInline, "script-src allows \(bad)")
        } else if let bad = objectSrc.sorted().first(where: { dangerouslyBroad.contains($0) }) {
            (outcome, detail) = (.cspImplementedWithUnsafeInline, "object-src allows \(bad)")
        } else if isHTTPS, let bad = active.first(where: isInsecureScheme) {
            (outcome, detail) = (.cspImplementedWithInsecureScheme, bad.text)
        } else if scriptSrc.contains("'unsafe-eval'") || styleSrc.contains("'unsafe-eval'") {
            (outcome, detail) = (.cspImplementedWithUnsafeEval, nil)
        } else if isHTTPS, let bad = passive.first(where: isInsecureScheme) {
            (outcome, detail) = (.cspImplementedWithInsecureSchemeInPassiveContentOnly, bad.text)
        } else if let bad = styleSrc.sorted().first(where: { dangerouslyBroad.contains($0) || unsafeInline.contains($0) }) {
            (outcome, detail) = (.cspImplementedWithUnsafeInlineInStyleSrcOnly, "style-src allows \(bad)")
        } else if csp["default-src"] == ["'none'"] {
            (outcome, detail) = (.cspImplementedWithNoUnsafeDefaultSrcNone, nil)
        } else {
            (outcome, detail) = (.cspImplementedWithNoUnsafe, nil)
        }
        return (outcome, detail)
    }
}

/// A directive name or source as the audit compares them: by UTF-8 bytes. `String`'s `==`,
/// hashing and ordering follow canonical equivalence, so as `String`s `"\u{1FEF}"` (GREEK VARIA)
/// and `` "`" `` would be one directive, and `x\u{1FEF}` and `` x` `` one source. Browsers and
/// the Observatory compare code points.
///
/// See [CSP Level 3 §2.2.1](https://www.w3.org/TR/CSP3/#parse-serialized-policy).
struct CSPToken: Hashable, Comparable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The token as read (ASCII-lowercased by the reader).
    let text: String

    init(_ text: String) { self.text = text }
    init(stringLiteral value: String) { text = value }

    var description: String { text }

    static func == (lhs: CSPToken, rhs: CSPToken) -> Bool { lhs.text.utf8.elementsEqual(rhs.text.utf8) }

    static func < (lhs: CSPToken, rhs: CSPToken) -> Bool { lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8) }

    func hash(into hasher: inout Hasher) {
        hasher.combine(text.utf8.count)
        for byte in text.utf8 { hasher.combine(byte) }
    }
}
