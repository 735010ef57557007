/// A validated Content-Security-Policy, rendered once with slots for the per-request nonce.
///
/// ```swift
/// let csp = try ContentSecurityPolicy([
///     .defaultSrc(.none),
///     .scriptSrc(.self),
///     .styleSrc(.self),
///     .imgSrc(.self),
/// ])
/// csp.headerValue(nonce: CSPNonce(), isSecure: true)
/// // default-src 'none'; script-src 'self' 'nonce-…'; style-src 'self' 'nonce-…'; img-src 'self'
/// ```
///
/// Creating a policy checks every directive against the CSP Level 3 grammar and throws a
/// ``SecurityConfigurationError`` that names the directive and the bad value. Rendering then
/// only splices the nonce into strings prepared in advance: nothing is validated per request.
///
/// See [CSP Level 3](https://www.w3.org/TR/CSP3/) and
/// [MDN: Content-Security-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy).
public struct ContentSecurityPolicy: Sendable, CustomStringConvertible {
    /// The directives, in the order they are sent.
    public let directives: [CSPDirective]
    /// The directives that receive the per-request nonce, `script-src` and `style-src` by default.
    public let nonceDirectives: [CSPDirective.Name]
    /// The header this policy is sent in (enforced or report-only); used in error messages.
    let headerName: String

    private let secureTemplate: Template
    private let plainTemplate: Template
    private let secureWithoutNonce: String
    private let plainWithoutNonce: String

    /// Creates and validates a policy.
    ///
    /// - Parameters:
    ///   - directives: The directives, in the order they are to be sent.
    ///   - nonceDirectives: The directives that get `'nonce-…'` on every response. Each must be a
    ///     script or style directive present in `directives`, and not `'none'`.
    ///   - dangerouslyOmitDefaultSrc: Accept a policy without `default-src`, which leaves every
    ///     resource type you did not list unrestricted.
    /// - Throws: ``SecurityConfigurationError`` naming the directive and the refused value.
    public init(
        _ directives: [CSPDirective],
        nonceDirectives: [CSPDirective.Name] = [.scriptSrc, .styleSrc],
        dangerouslyOmitDefaultSrc: Bool = false
    ) throws {
        try self.init(
            directives,
            nonceDirectives: nonceDirectives,
            dangerouslyOmitDefaultSrc: dangerouslyOmitDefaultSrc,
            headerName: "Content-Security-Policy"
        )
    }

    init(
        _ directives: [CSPDirective],
        nonceDirectives: [CSPDirective.Name],
        dangerouslyOmitDefaultSrc: Bool,
        headerName: String
    ) throws {
        try Self.validate(directives, nonceDirectives: nonceDirectives, dangerouslyOmitDefaultSrc: dangerouslyOmitDefaultSrc, header: headerName)
        self.directives = directives
        self.nonceDirectives = nonceDirectives
        self.headerName = headerName
        self.secureTemplate = Template(directives: directives, nonceDirectives: nonceDirectives, isSecure: true)
        self.plainTemplate = Template(directives: directives, nonceDirectives: nonceDirectives, isSecure: false)
        self.secureWithoutNonce = Template(directives: directives, nonceDirectives: [], isSecure: true).segments[0]
        self.plainWithoutNonce = Template(directives: directives, nonceDirectives: [], isSecure: false).segments[0]
    }

    /// Parses and validates a policy written as header text, such as
    /// `"default-src 'none'; img-src 'self'"`. A nonce written into the text is refused: the
    /// nonce is added per request to `nonceDirectives`.
    public init(
        parsing text: String,
        nonceDirectives: [CSPDirective.Name] = [.scriptSrc, .styleSrc],
        dangerouslyOmitDefaultSrc: Bool = false
    ) throws {
        let header = "Content-Security-Policy"
        if let control = HeaderGrammar.firstControlCharacter(in: text) {
            throw SecurityConfigurationError(setting: header, value: text, reason: .invalidCharacter, message: "policy contains \(control)")
        }
        if text.utf8.contains(UInt8(ascii: ",")) {
            throw SecurityConfigurationError(
                setting: header,
                value: text,
                reason: .invalidCharacter,
                message: "policy contains ',', which would start a second policy"
            )
        }
        var parsed: [CSPDirective] = []
        for part in HeaderGrammar.split(Substring(text), on: UInt8(ascii: ";")) where !part.isEmpty {
            let words = part.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first, let name = CSPDirective.Name(first) else {
                throw SecurityConfigurationError(
                    setting: header,
                    value: String(part),
                    reason: .invalidValue,
                    message: "unknown directive '\(part.split(separator: " ").first ?? "")'"
                )
            }
            let values = Array(words.dropFirst())
            switch name.kind {
            case .fetch, .sourceList, .ancestorSourceList:
                parsed.append(.sources(name, values.map(CSPSource.init(parsing:))))
            case .sandbox:
                var flags: [CSPSandboxFlag] = []
                for value in values {
                    guard let flag = CSPSandboxFlag(parsing: value) else {
                        throw SecurityConfigurationError(setting: header, value: value, reason: .invalidValue, message: "sandbox: unknown flag")
                    }
                    flags.append(flag)
                }
                parsed.append(.init(.sandbox, .sandbox(flags)))
            case .flag:
                guard values.isEmpty else {
                    throw SecurityConfigurationError(setting: header, value: String(part), reason: .invalidValue, message: "\(name) takes no value")
                }
                parsed.append(.init(name, .flag))
            case .reportTo, .reportURI, .requireTrustedTypesFor, .trustedTypes:
                parsed.append(.init(name, .tokens(values)))
            }
        }
        try self.init(parsed, nonceDirectives: nonceDirectives, dangerouslyOmitDefaultSrc: dangerouslyOmitDefaultSrc, headerName: header)
    }

    /// Returns a copy with one directive replaced or added (at the end), validated again.
    public func setting(_ directive: CSPDirective) throws -> ContentSecurityPolicy {
        var list = directives
        if let index = list.firstIndex(where: { $0.name == directive.name }) {
            list[index] = directive
        } else {
            list.append(directive)
        }
        return try ContentSecurityPolicy(list, nonceDirectives: nonceDirectives, dangerouslyOmitDefaultSrc: !hasDefaultSrc, headerName: headerName)
    }

    /// Returns a copy without the named directive, validated again. Removing `default-src`
    /// from a policy that had one throws.
    public func removing(_ name: CSPDirective.Name) throws -> ContentSecurityPolicy {
        try ContentSecurityPolicy(
            directives.filter { $0.name != name },
            nonceDirectives: nonceDirectives.filter { $0 != name },
            dangerouslyOmitDefaultSrc: !hasDefaultSrc,
            headerName: headerName
        )
    }

    /// Returns a copy validated for the report-only header, so its errors name that header.
    func asReportOnly() throws -> ContentSecurityPolicy {
        try ContentSecurityPolicy(
            directives,
            nonceDirectives: nonceDirectives,
            dangerouslyOmitDefaultSrc: !hasDefaultSrc,
            headerName: "Content-Security-Policy-Report-Only"
        )
    }

    /// The directive with this name, if the policy has it.
    public func directive(_ name: CSPDirective.Name) -> CSPDirective? {
        directives.first { $0.name == name }
    }

    var hasDefaultSrc: Bool { directive(.defaultSrc) != nil }

    /// The header value for one response: the nonce spliced into the prepared text.
    ///
    /// - Parameters:
    ///   - nonce: This response's nonce.
    ///   - isSecure: Whether the response goes out over HTTPS. `upgrade-insecure-requests` is
    ///     only sent when it is.
    public func headerValue(nonce: CSPNonce, isSecure: Bool) -> String {
        (isSecure ? secureTemplate : plainTemplate).render(nonce.value)
    }

    /// The header value for a response whose nonce nothing used (``LazyCSPNonce``): the
    /// policy without its `'nonce-…'` sources, so nothing inline runs unless a hash allows it.
    /// With a nonce, the same as ``headerValue(nonce:isSecure:)``.
    public func headerValue(nonceIfUsed nonce: CSPNonce?, isSecure: Bool) -> String {
        if let nonce { return headerValue(nonce: nonce, isSecure: isSecure) }
        return isSecure ? secureWithoutNonce : plainWithoutNonce
    }

    /// The header value with the response's inline-block hashes added to the script and style
    /// directives of `nonceDirectives` (the directives that take per-response sources), and the
    /// nonce when one was used.
    public func headerValue(nonceIfUsed nonce: CSPNonce?, hashes: CSPInlineHashes, isSecure: Bool) -> String {
        if hashes.isEmpty || nonceDirectives.isEmpty { return headerValue(nonceIfUsed: nonce, isSecure: isSecure) }
        let hasReportURI = directives.contains { $0.name == .reportURI }
        var parts: [String] = []
        for directive in directives {
            if directive.name == .upgradeInsecureRequests && !isSecure { continue }
            if directive.name == .reportTo && !isSecure && hasReportURI { continue }
            var text = directive.description
            if nonceDirectives.contains(directive.name) {
                if let nonce { text += " 'nonce-\(nonce.value)'" }
                // Hashes allow blocks, not attributes (which would need 'unsafe-hashes').
                let isAttr = directive.name.rawValue.utf8.count > 5 && directive.name.rawValue.hasSuffix("-attr")
                let extra =
                    isAttr ? [] : directive.name.isScriptDirective ? hashes.script : directive.name.isStyleDirective ? hashes.style : []
                for source in extra { text += " " + source }
            }
            parts.append(text)
        }
        return parts.joined(separator: "; ")
    }

    /// Whether the rendered header contains the nonce at all.
    public var usesNonce: Bool { !nonceDirectives.isEmpty }

    /// The policy as sent over HTTPS, with `{nonce}` where the nonce goes.
    public var description: String { secureTemplate.segments.joined(separator: "{nonce}") }

    // MARK: Rendering

    /// The header text split around the nonce slots, kept as bytes so a response's value is two
    /// or three copies into a new string.
    struct Template: Sendable {
        let segments: [String]
        let bytes: [[UInt8]]
        let capacityWithoutNonce: Int

        init(directives: [CSPDirective], nonceDirectives: [CSPDirective.Name], isSecure: Bool) {
            var segments: [String] = []
            var current = ""
            var first = true
            // Over plain HTTP, `report-to` is left out when `report-uri` is there: Chromium's
            // Reporting API delivers only to HTTPS endpoints, and a policy with `report-to`
            // makes it ignore `report-uri`, so local development on http://127.0.0.1 would
            // lose every report.
            let hasReportURI = directives.contains { $0.name == .reportURI }
            for directive in directives {
                if directive.name == .upgradeInsecureRequests && !isSecure { continue }
                if directive.name == .reportTo && !isSecure && hasReportURI { continue }
                if !first { current += "; " }
                first = false
                current += directive.description
                if nonceDirectives.contains(directive.name) {
                    current += " 'nonce-"
                    segments.append(current)
                    current = "'"
                }
            }
            segments.append(current)
            self.segments = segments
            self.bytes = segments.map { Array($0.utf8) }
            self.capacityWithoutNonce = segments.reduce(0) { $0 + $1.utf8.count }
        }

        @inline(__always)
        func render(_ nonce: String) -> String {
            if segments.count == 1 { return segments[0] }
            var nonce = nonce
            return nonce.withUTF8 { nonceBytes in
                String(unsafeUninitializedCapacity: capacityWithoutNonce + (bytes.count - 1) * nonceBytes.count) { out in
                    var o = 0
                    for (index, segment) in bytes.enumerated() {
                        if index > 0 {
                            UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[o...])).copyMemory(
                                from: UnsafeRawBufferPointer(nonceBytes)
                            )
                            o += nonceBytes.count
                        }
                        segment.withUnsafeBytes {
                            UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[o...])).copyMemory(from: $0)
                        }
                        o += segment.count
                    }
                    return o
                }
            }
        }
    }

    // MARK: Validation

    static func validate(
        _ directives: [CSPDirective],
        nonceDirectives: [CSPDirective.Name],
        dangerouslyOmitDefaultSrc: Bool,
        header: String
    ) throws {
        func fail(_ value: String, _ reason: SecurityConfigurationError.Reason, _ message: String) -> SecurityConfigurationError {
            SecurityConfigurationError(setting: header, value: value, reason: reason, message: message)
        }
        guard !directives.isEmpty else {
            throw fail("", .empty, "policy has no directives")
        }
        var seen: Set<CSPDirective.Name> = []
        for directive in directives {
            let name = directive.name
            guard seen.insert(name).inserted else {
                throw fail(name.rawValue, .duplicate, "duplicate directive \(name); browsers ignore every copy after the first")
            }
            switch directive.value {
            case .flag:
                break
            case .sandbox(let flags):
                if Set(flags).count != flags.count {
                    throw fail(directive.description, .duplicate, "sandbox: duplicate flag")
                }
            case .sources(let sources):
                try validateSources(sources, of: name, fail: fail)
            case .tokens(let tokens):
                try validateTokens(tokens, of: name, fail: fail)
            }
        }
        if !seen.contains(.defaultSrc) && !dangerouslyOmitDefaultSrc {
            throw fail(
                directives.map(\.description).joined(separator: "; "),
                .missingDefaultSrc,
                "policy has no default-src, so every resource type it does not list is unrestricted; add .defaultSrc(.none) or pass dangerouslyOmitDefaultSrc"
            )
        }
        var nonceSeen: Set<CSPDirective.Name> = []
        for name in nonceDirectives {
            guard nonceSeen.insert(name).inserted else {
                throw fail(name.rawValue, .duplicate, "nonceDirectives lists \(name) twice")
            }
            guard name.isScriptDirective || name.isStyleDirective else {
                throw fail(
                    name.rawValue,
                    .invalidValue,
                    "nonceDirectives: \(name) does not accept nonces; only script-src*, style-src* and default-src do"
                )
            }
            guard let directive = directives.first(where: { $0.name == name }) else {
                throw fail(
                    name.rawValue,
                    .missingDirective,
                    "nonceDirectives names \(name), but the policy has no \(name) directive, so the nonce would have no effect"
                )
            }
            if case .sources(let sources) = directive.value, sources.contains(.none) {
                throw fail(
                    directive.description,
                    .noneMixedWithOtherSources,
                    "\(name) is 'none', so it cannot also take the nonce; remove it from nonceDirectives"
                )
            }
        }
    }

    private static func validateSources(
        _ sources: [CSPSource],
        of name: CSPDirective.Name,
        fail: (String, SecurityConfigurationError.Reason, String) -> SecurityConfigurationError
    ) throws {
        guard !sources.isEmpty else {
            throw fail(name.rawValue, .empty, "\(name) has no sources; write .none to allow nothing")
        }
        if sources.contains(.none) && sources.count > 1 {
            throw fail(
                sources.map(\.description).joined(separator: " "),
                .noneMixedWithOtherSources,
                "\(name): 'none' cannot be combined with other sources"
            )
        }
        var seen: Set<CSPSource> = []
        for source in sources {
            if let (reason, message) = source.problem() {
                throw fail(source.description, reason, "\(name): \(message)")
            }
            guard seen.insert(source).inserted else {
                throw fail(source.description, .duplicate, "\(name): duplicate source")
            }
            switch source.storage {
            case .keyword(let keyword):
                if name.kind == .ancestorSourceList && keyword != "self" && keyword != "none" {
                    throw fail(source.description, .invalidSource, "\(name) accepts only host and scheme sources, 'self' and 'none'")
                }
                if CSPSource.scriptOnlyKeywords.contains(keyword) && !name.isScriptDirective {
                    throw fail(source.description, .invalidSource, "\(name): '\(keyword)' only applies to script directives")
                }
                if CSPSource.inlineKeywords.contains(keyword) && !(name.isScriptDirective || name.isStyleDirective) {
                    throw fail(source.description, .invalidSource, "\(name): '\(keyword)' only applies to script and style directives")
                }
            case .hash:
                if !(name.isScriptDirective || name.isStyleDirective) {
                    throw fail(source.description, .invalidSource, "\(name): hashes only apply to script and style directives")
                }
            case .scheme, .host, .unknownQuoted:
                break
            }
        }
    }

    private static func validateTokens(
        _ tokens: [String],
        of name: CSPDirective.Name,
        fail: (String, SecurityConfigurationError.Reason, String) -> SecurityConfigurationError
    ) throws {
        let quotedKeywords: Set<String> = ["'script'", "'none'", "'allow-duplicates'"]
        for token in tokens {
            if (name == .trustedTypes || name == .requireTrustedTypesFor) && quotedKeywords.contains(token) { continue }
            if let problem = CSPSource.forbiddenCharacter(in: token) {
                throw fail(token, .invalidCharacter, "\(name): value contains \(problem)")
            }
        }
        switch name.kind {
        case .reportTo:
            guard tokens.count == 1, let endpoint = tokens.first else {
                throw fail(tokens.joined(separator: " "), .invalidValue, "report-to takes exactly one endpoint name")
            }
            guard HeaderGrammar.isStructuredFieldKey(endpoint) else {
                throw fail(
                    endpoint,
                    .invalidValue,
                    "report-to: endpoint names are lowercase letters, digits, '_', '-', '.' and '*', starting with a letter"
                )
            }
        case .reportURI:
            guard !tokens.isEmpty else { throw fail("", .empty, "report-uri needs at least one URL") }
            for uri in tokens where !ReportingEndpoints.isReportURL(uri) {
                throw fail(uri, .invalidValue, "report-uri: not an absolute http(s) URL or a path starting with '/'")
            }
        case .requireTrustedTypesFor:
            guard tokens == ["'script'"] else {
                throw fail(tokens.joined(separator: " "), .invalidValue, "require-trusted-types-for accepts only 'script'")
            }
        case .trustedTypes:
            if tokens.contains("'none'") && tokens.count > 1 {
                throw fail(tokens.joined(separator: " "), .noneMixedWithOtherSources, "trusted-types: 'none' cannot be combined with policy names")
            }
            // tt-policy-name = 1*( ALPHA / DIGIT / "-" / "#" / "=" / "_" / "/" / "@" / "." / "%" )
            for token in tokens where token != "'none'" && token != "'allow-duplicates'" && token != "*" {
                let ok = token.utf8.allSatisfy { b in
                    HeaderGrammar.isAlpha(b) || HeaderGrammar.isDigit(b) || "-#=_/@.%".utf8.contains(b)
                }
                guard ok else { throw fail(token, .invalidValue, "trusted-types: not a valid policy name") }
            }
        default:
            break
        }
    }
}

extension ContentSecurityPolicy: Equatable {
    public static func == (lhs: ContentSecurityPolicy, rhs: ContentSecurityPolicy) -> Bool {
        lhs.directives == rhs.directives && lhs.nonceDirectives == rhs.nonceDirectives
    }
}
