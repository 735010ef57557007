import HTTPTypes

/// Every security header of a response, composed from one policy per header, with presets.
///
/// ```swift
/// var headers = SecurityHeaders.strict
/// headers.referrerPolicy = .strictOriginWhenCrossOrigin
/// let rendered = try headers.rendered()   // validate once, at startup
/// rendered.apply(to: &response.headerFields, nonce: CSPNonce(), isSecure: true, status: .ok)
/// ```
///
/// ``rendered()`` checks the policies against each other and pre-renders every fixed header;
/// per request only the nonce is spliced into the CSP. `X-Frame-Options` is derived from the
/// CSP's `frame-ancestors` unless set explicitly, so the two cannot disagree. To drop a header
/// entirely, list it in ``dangerouslyOmittedHeaders``.
///
/// See [OWASP HTTP Headers Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/HTTP_Headers_Cheat_Sheet.html) and
/// [MDN: HTTP headers](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers).
public struct SecurityHeaders: Sendable {
    /// The enforced Content-Security-Policy.
    public var contentSecurityPolicy: ContentSecurityPolicy
    /// A second policy sent as `Content-Security-Policy-Report-Only`, for rolling out a
    /// stricter policy while the enforced one stays in place.
    public var contentSecurityPolicyReportOnly: ContentSecurityPolicy?
    /// Named report endpoints, referred to by `report-to`.
    public var reportingEndpoints: ReportingEndpoints?
    /// HSTS, sent on HTTPS responses only.
    public var strictTransportSecurity: StrictTransportSecurity
    /// `X-Frame-Options`; `nil` (the default) derives it from `frame-ancestors`.
    public var frameOptions: XFrameOptions?
    /// `Referrer-Policy`.
    public var referrerPolicy: ReferrerPolicy
    /// `Permissions-Policy`.
    public var permissionsPolicy: PermissionsPolicy
    /// `Cross-Origin-Opener-Policy`.
    public var crossOriginOpenerPolicy: CrossOriginOpenerPolicy
    /// `Cross-Origin-Resource-Policy`.
    public var crossOriginResourcePolicy: CrossOriginResourcePolicy
    /// `Cross-Origin-Embedder-Policy`, off by default.
    public var crossOriginEmbedderPolicy: CrossOriginEmbedderPolicy?
    /// `X-Content-Type-Options`.
    public var contentTypeOptions: XContentTypeOptions
    /// `Origin-Agent-Cluster`.
    public var originAgentCluster: OriginAgentCluster
    /// `X-DNS-Prefetch-Control`.
    public var dnsPrefetchControl: XDNSPrefetchControl
    /// `X-Permitted-Cross-Domain-Policies`.
    public var permittedCrossDomainPolicies: XPermittedCrossDomainPolicies
    /// `X-Download-Options`.
    public var downloadOptions: XDownloadOptions
    /// `X-XSS-Protection`.
    public var xssProtection: XXSSProtection
    /// Headers removed from every response because they fingerprint the server.
    public var fingerprintingHeaders: [HTTPField.Name]
    /// Security headers not to send at all. Each one removed weakens the page's defences.
    public var dangerouslyOmittedHeaders: [HTTPField.Name]

    /// Creates a header set from a CSP, with every other header at its default.
    public init(contentSecurityPolicy: ContentSecurityPolicy) {
        self.contentSecurityPolicy = contentSecurityPolicy
        self.contentSecurityPolicyReportOnly = nil
        self.reportingEndpoints = nil
        self.strictTransportSecurity = .default
        self.frameOptions = nil
        self.referrerPolicy = .noReferrer
        self.permissionsPolicy = .default
        self.crossOriginOpenerPolicy = .sameOrigin
        self.crossOriginResourcePolicy = .sameOrigin
        self.crossOriginEmbedderPolicy = nil
        self.contentTypeOptions = .nosniff
        self.originAgentCluster = .enabled
        self.dnsPrefetchControl = .off
        self.permittedCrossDomainPolicies = .none
        self.downloadOptions = .noopen
        self.xssProtection = .disabled
        self.fingerprintingHeaders = [.server, .xPoweredBy, .xAspNetVersion]
        self.dangerouslyOmittedHeaders = []
    }

    /// The CSP of ``strict``: `default-src 'none'` with nonce'd scripts and styles.
    ///
    /// `default-src 'none'; script-src 'self' 'nonce-…'; style-src 'self' 'nonce-…';
    /// img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self';
    /// form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none';
    /// upgrade-insecure-requests` (the last over HTTPS only).
    public static let strictContentSecurityPolicy = try! ContentSecurityPolicy([
        .defaultSrc(.none),
        .scriptSrc(.self),
        .styleSrc(.self),
        .imgSrc(.self),
        .fontSrc(.self),
        .connectSrc(.self),
        .manifestSrc(.self),
        .formAction(.self),
        .frameAncestors(.none),
        .baseURI(.none),
        .objectSrc(.none),
        .upgradeInsecureRequests,
    ])

    /// The default for HTML applications: a nonce-based CSP that allows only same-origin
    /// resources, no framing, no referrer, and every other header at its strict default.
    public static var strict: SecurityHeaders { SecurityHeaders(contentSecurityPolicy: strictContentSecurityPolicy) }

    /// For JSON-only services: `default-src 'none'; frame-ancestors 'none'`, no nonce, and the
    /// other headers as in ``strict``. A browser that opens an API URL runs nothing from it.
    public static var api: SecurityHeaders {
        SecurityHeaders(
            contentSecurityPolicy: try! ContentSecurityPolicy(
                [.defaultSrc(.none), .frameAncestors(.none)],
                nonceDirectives: []
            )
        )
    }

    /// Returns a copy whose page may be framed by `ancestors` (for an embed route):
    /// `frame-ancestors` is set to them and `X-Frame-Options` is derived again.
    public func allowingFraming(by ancestors: [CSPSource]) throws -> SecurityHeaders {
        var copy = self
        copy.contentSecurityPolicy = try contentSecurityPolicy.setting(.frameAncestors(ancestors))
        copy.frameOptions = nil
        return copy
    }

    /// Returns a copy whose CSP is sent as `Content-Security-Policy-Report-Only` instead of
    /// being enforced, for rolling a policy out. The enforced header is then not sent.
    public func reportingOnly() -> SecurityHeaders {
        var copy = self
        copy.contentSecurityPolicyReportOnly = contentSecurityPolicy
        if !copy.dangerouslyOmittedHeaders.contains(.contentSecurityPolicy) {
            copy.dangerouslyOmittedHeaders.append(.contentSecurityPolicy)
        }
        return copy
    }

    /// Checks the policies against each other and pre-renders every header.
    /// - Throws: ``SecurityConfigurationError`` when `X-Frame-Options` contradicts
    ///   `frame-ancestors`, or `report-to` names an endpoint that is not declared.
    public func rendered() throws -> RenderedSecurityHeaders {
        let omitted = Set(dangerouslyOmittedHeaders)
        var fixed: [HTTPField] = []
        func add(_ policy: (any SecurityHeaderPolicy)?) {
            guard let field = policy?.headerField, !omitted.contains(field.name) else { return }
            fixed.append(field)
        }

        // X-Frame-Options follows frame-ancestors.
        let ancestors: [CSPSource]? = contentSecurityPolicy.directive(.frameAncestors).flatMap {
            if case .sources(let s) = $0.value { return s } else { return nil }
        }
        let csp = omitted.contains(.contentSecurityPolicy) ? nil : contentSecurityPolicy
        var xfo = frameOptions
        if let ancestors, csp != nil {
            let derived = XFrameOptions.matching(ancestors)
            if let explicit = frameOptions, explicit != derived {
                throw SecurityConfigurationError(
                    setting: "X-Frame-Options",
                    value: explicit.headerField.value,
                    reason: .conflict,
                    message: "contradicts frame-ancestors \(ancestors.map(\.description).joined(separator: " ")); leave frameOptions nil to derive it"
                )
            }
            xfo = derived
        } else if xfo == nil {
            xfo = .deny
        }

        // report-to must name a declared endpoint.
        for policy in [csp, contentSecurityPolicyReportOnly].compactMap({ $0 }) {
            guard case .tokens(let names)? = policy.directive(.reportTo)?.value, let name = names.first else { continue }
            guard reportingEndpoints?.endpoints.contains(where: { $0.name == name }) == true else {
                throw SecurityConfigurationError(
                    setting: policy.headerName,
                    value: "report-to \(name)",
                    reason: .missingDirective,
                    message: "report-to names endpoint '\(name)', which reportingEndpoints does not declare"
                )
            }
        }

        add(contentTypeOptions)
        add(xfo)
        add(referrerPolicy)
        add(permissionsPolicy)
        add(crossOriginOpenerPolicy)
        add(crossOriginResourcePolicy)
        add(crossOriginEmbedderPolicy)
        add(originAgentCluster)
        add(dnsPrefetchControl)
        add(permittedCrossDomainPolicies)
        add(downloadOptions)
        add(xssProtection)
        add(reportingEndpoints)
        let hsts = omitted.contains(.strictTransportSecurity) ? nil : strictTransportSecurity.headerField
        let reportOnly = try contentSecurityPolicyReportOnly.map { try $0.asReportOnly() }
        return RenderedSecurityHeaders(
            fixed: fixed,
            hsts: hsts,
            contentSecurityPolicy: csp,
            contentSecurityPolicyReportOnly: omitted.contains(.contentSecurityPolicyReportOnly) ? nil : reportOnly,
            removed: fingerprintingHeaders
        )
    }
}

/// A ``SecurityHeaders`` set, validated and rendered, ready to apply to responses.
///
/// Applying it appends the fixed fields prepared at startup, splices the request's nonce into
/// the CSP, adds HSTS on HTTPS only, sends no CSP on `304 Not Modified`, and removes
/// fingerprinting headers. A header the handler already set is left as the handler set it:
/// the handler has chosen that response's policy (a download sets its own sandboxing CSP).
public struct RenderedSecurityHeaders: Sendable {
    /// Everything, behind one reference: the set is copied into every request's context and
    /// error, and a copy should cost one retain, not one per field.
    final class Storage: Sendable {
        let fixedFields: HTTPFields
        let fixedNames: Set<HTTPField.Name>
        let removedNames: Set<HTTPField.Name>
        let hsts: HTTPField?
        let contentSecurityPolicy: ContentSecurityPolicy?
        let contentSecurityPolicyReportOnly: ContentSecurityPolicy?
        let removed: [HTTPField.Name]
        /// Every name this set writes or removes, to tell at a glance whether a handler set one.
        let ownNames: NameFilter
        /// The fixed fields as name and value strings, for adapters whose header type is not
        /// `HTTPFields` (Vapor's `HTTPHeaders`).
        let fixedPairs: [(name: String, value: String)]

        init(
            fixed: [HTTPField],
            hsts: HTTPField?,
            contentSecurityPolicy: ContentSecurityPolicy?,
            contentSecurityPolicyReportOnly: ContentSecurityPolicy?,
            removed: [HTTPField.Name]
        ) {
            self.fixedFields = HTTPFields(fixed)
            self.fixedNames = Set(fixed.map(\.name))
            self.removedNames = Set(removed)
            self.hsts = hsts
            self.contentSecurityPolicy = contentSecurityPolicy
            self.contentSecurityPolicyReportOnly = contentSecurityPolicyReportOnly
            self.removed = removed
            self.ownNames = NameFilter(
                fixed.map(\.name) + removed + [.contentSecurityPolicy, .contentSecurityPolicyReportOnly, .strictTransportSecurity]
            )
            self.fixedPairs = fixed.map { ($0.name.rawName, $0.value) }
        }
    }

    let storage: Storage

    /// The headers that never change, in the order they are sent.
    public var fixedFields: HTTPFields { storage.fixedFields }
    /// The enforced CSP, if sent.
    public var contentSecurityPolicy: ContentSecurityPolicy? { storage.contentSecurityPolicy }
    /// The report-only CSP, if sent.
    public var contentSecurityPolicyReportOnly: ContentSecurityPolicy? { storage.contentSecurityPolicyReportOnly }
    var fixedNames: Set<HTTPField.Name> { storage.fixedNames }
    var removedNames: Set<HTTPField.Name> { storage.removedNames }
    var hsts: HTTPField? { storage.hsts }
    var removed: [HTTPField.Name] { storage.removed }
    var ownNames: NameFilter { storage.ownNames }

    init(
        fixed: [HTTPField],
        hsts: HTTPField?,
        contentSecurityPolicy: ContentSecurityPolicy?,
        contentSecurityPolicyReportOnly: ContentSecurityPolicy?,
        removed: [HTTPField.Name]
    ) {
        storage = Storage(
            fixed: fixed,
            hsts: hsts,
            contentSecurityPolicy: contentSecurityPolicy,
            contentSecurityPolicyReportOnly: contentSecurityPolicyReportOnly,
            removed: removed
        )
    }

    /// The fixed fields as name and value strings, in the order they are sent: what an adapter
    /// whose header type is not `HTTPFields` appends when ``governs(headerNamed:)`` is false for
    /// every header of the response.
    public var fixedNameValuePairs: [(name: String, value: String)] { storage.fixedPairs }

    /// The `Strict-Transport-Security` field, if this set sends one (on HTTPS responses only).
    ///
    /// See [RFC 6797 §6.1](https://www.rfc-editor.org/rfc/rfc6797#section-6.1).
    public var strictTransportSecurity: HTTPField? { storage.hsts }

    /// Whether a response header named `name` (in any case) is one this set writes or removes.
    /// A response with none of them takes the additive path: the fixed fields, then HSTS on
    /// HTTPS, then the CSPs with the nonce unless the status is 304; any other response must go
    /// through ``apply(to:nonce:hashes:isSecure:status:)``, which keeps what the handler set.
    public func governs(headerNamed name: String) -> Bool {
        storage.ownNames.mayContain(text: name)
    }

    /// Whether any header of this set takes the per-request nonce.
    public var usesNonce: Bool {
        contentSecurityPolicy?.usesNonce == true || contentSecurityPolicyReportOnly?.usesNonce == true
    }

    /// Adds this set's headers to a response's fields.
    ///
    /// - Parameters:
    ///   - fields: The response's header fields.
    ///   - nonce: The nonce the response used (``LazyCSPNonce/nonceIfUsed``), or `nil` when
    ///     nothing on the request used one: the CSPs are then sent without `'nonce-…'`
    ///     sources. A response whose CSP carries a nonce (a 304 of one included) is marked
    ///     private to its one visitor: `Cache-Control: no-store` (``markNoStore(_:)``).
    ///   - hashes: The `'sha256-…'` sources of the response's static inline blocks, added to
    ///     the script and style directives that take per-response sources.
    ///   - isSecure: Whether the response goes out over HTTPS (HSTS and
    ///     `upgrade-insecure-requests` are sent only then).
    ///   - status: The response status; a 304 gets no CSP.
    public func apply(
        to fields: inout HTTPFields,
        nonce: CSPNonce?,
        hashes: CSPInlineHashes = CSPInlineHashes(),
        isSecure: Bool,
        status: HTTPResponse.Status
    ) {
        applyHeaders(to: &fields, nonce: nonce, hashes: hashes, isSecure: isSecure, status: status)
        if nonce != nil, usesNonce { Self.markNoStore(&fields) }
    }

    /// Adds this set's headers for a response whose nonce and inline hashes are in `slot`.
    public func apply(to fields: inout HTTPFields, slot: LazyCSPNonce, isSecure: Bool, status: HTTPResponse.Status) {
        apply(to: &fields, nonce: slot.nonceIfUsed, hashes: slot.hashes, isSecure: isSecure, status: status)
    }

    /// Makes a response uncacheable by any cache, keeping the app's own `Cache-Control`
    /// directives: `no-store` alone, or `private, no-store, …` before what the app set (its
    /// `public` dropped). Used for every response whose CSP carries a nonce, since a stored copy
    /// would hand that nonce to other visitors.
    ///
    /// See [RFC 9111 §5.2.2.5](https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.5).
    public static func markNoStore(_ fields: inout HTTPFields) {
        // The usual case, no Cache-Control yet: append a prepared field. (Reading and setting
        // through the subscript cost about 3,000 instructions a response, a fifth of `apply`.)
        // Names are compared by length first: most security header names are longer than 15
        // bytes, and a String comparison of those takes the slow path.
        let hasCacheControl = fields.contains { field in
            field.name.canonicalName.utf8.count == 13 && field.name.canonicalName == "cache-control"
        }
        guard hasCacheControl, let existing = fields[.cacheControl] else {
            fields.append(noStoreField)
            return
        }
        var kept: [String] = []
        var hasNoStore = false
        for piece in existing.split(separator: ",") {
            var token = piece[...]
            while let first = token.first, first == " " || first == "\t" { token = token.dropFirst() }
            while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }
            let name = HeaderGrammar.asciiLowercased(token.prefix { $0 != "=" })
            switch name {
            case "no-store": hasNoStore = true
            case "public", "private", "": continue
            default: kept.append(String(token))
            }
        }
        if hasNoStore && existing.utf8.count == "no-store".utf8.count { return }
        fields[.cacheControl] = (["private", "no-store"] + kept).joined(separator: ", ")
    }

    private static let noStoreField = HTTPField(name: .cacheControl, value: "no-store")

    private func applyHeaders(
        to fields: inout HTTPFields,
        nonce: CSPNonce?,
        hashes: CSPInlineHashes,
        isSecure: Bool,
        status: HTTPResponse.Status
    ) {
        // The usual case: the handler set none of this set's headers. Start from the fixed
        // fields (one copy of a prepared buffer) and add the handler's few fields after them,
        // instead of appending a dozen fields one by one.
        var touchesOwnHeader = false
        for field in fields where storage.ownNames.mayContain(field.name) {
            touchesOwnHeader = true
            break
        }
        guard touchesOwnHeader else {
            var out = storage.fixedFields
            out.reserveCapacity(storage.fixedFields.count + fields.count + 3)
            out.append(contentsOf: fields)
            appendPerResponse(to: &out, nonce: nonce, hashes: hashes, isSecure: isSecure, status: status, has: (false, false, false))
            fields = out
            return
        }
        // A handler set some of them (a download's own sandboxing CSP, say): keep what it set.
        var hasFixed = false
        var hasRemoved = false
        var hasHSTS = false
        var hasCSP = false
        var hasReportOnly = false
        for field in fields {
            let name = field.name
            if storage.fixedNames.contains(name) {
                hasFixed = true
            } else if storage.removedNames.contains(name) {
                hasRemoved = true
            } else if name == .contentSecurityPolicy {
                hasCSP = true
            } else if name == .contentSecurityPolicyReportOnly {
                hasReportOnly = true
            } else if name == .strictTransportSecurity {
                hasHSTS = true
            }
        }
        if hasRemoved {
            for name in storage.removed { fields[name] = nil }
        }
        fields.reserveCapacity(fields.count + storage.fixedFields.count + 3)
        if hasFixed {
            for field in storage.fixedFields where fields[field.name] == nil {
                fields.append(field)
            }
        } else {
            fields.append(contentsOf: storage.fixedFields)
        }
        appendPerResponse(to: &fields, nonce: nonce, hashes: hashes, isSecure: isSecure, status: status, has: (hasHSTS, hasCSP, hasReportOnly))
    }

    @inline(__always)
    private func appendPerResponse(
        to fields: inout HTTPFields,
        nonce: CSPNonce?,
        hashes: CSPInlineHashes,
        isSecure: Bool,
        status: HTTPResponse.Status,
        has: (hsts: Bool, csp: Bool, reportOnly: Bool)
    ) {
        if isSecure, let hsts = storage.hsts, !has.hsts {
            fields.append(hsts)
        }
        guard status != .notModified else { return }
        if let csp = storage.contentSecurityPolicy, !has.csp {
            fields.append(HTTPField(name: .contentSecurityPolicy, value: csp.headerValue(nonceIfUsed: nonce, hashes: hashes, isSecure: isSecure)))
        }
        if let csp = storage.contentSecurityPolicyReportOnly, !has.reportOnly {
            fields.append(
                HTTPField(name: .contentSecurityPolicyReportOnly, value: csp.headerValue(nonceIfUsed: nonce, hashes: hashes, isSecure: isSecure))
            )
        }
    }
}

/// A quick membership test for a few header names: a bit per name length rules most names out
/// with no string comparison, and the rest are compared with the names of that length.
struct NameFilter: Sendable {
    let lengths: UInt64
    let names: [String]

    init(_ names: [HTTPField.Name]) {
        let canonical = Array(Set(names.map(\.canonicalName)))
        self.names = canonical
        self.lengths = canonical.reduce(0) { $0 | (1 << UInt64(min($1.utf8.count, 63))) }
    }

    /// Whether a name given as text, in any case, may be one of these (no false negatives).
    func mayContain(text name: String) -> Bool {
        let length = name.utf8.count
        guard lengths & (1 << UInt64(min(length, 63))) != 0 else { return false }
        return names.contains { $0.utf8.count == length && HeaderGrammar.asciiLowercased(name[...]) == $0 }
    }

    @inline(__always)
    func mayContain(_ name: HTTPField.Name) -> Bool {
        let canonical = name.canonicalName
        let length = canonical.utf8.count
        guard lengths & (1 << UInt64(min(length, 63))) != 0 else { return false }
        return names.contains(canonical)
    }
}
