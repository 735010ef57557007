import HTTPTypes

/// What an adapter's one-call setup builds (`RampartSetup.configure` on Hummingbird,
/// `RampartVapor.install` on Vapor): which hosts to answer for, and every other choice with a
/// secure default.
///
/// See [OWASP Secure Headers Project](https://owasp.org/www-project-secure-headers/) and
/// [MDN: Web security](https://developer.mozilla.org/en-US/docs/Web/Security).
public struct RampartOptions: Sendable {
    /// The hosts to answer for (`example.com`, `.example.com`, `host:port`). There is no
    /// default: a deployment must say.
    public var allowedHosts: [String]
    /// Reverse proxies whose `X-Forwarded-*` and `Forwarded` headers are believed (CIDR ranges).
    public var trustedProxies: [String]
    /// Plain HTTP: redirected to HTTPS, unless every allowed host is a loopback name (local
    /// development), where it is served.
    public var httpsPolicy: TransportSecurity.HTTPSPolicy?
    /// The security headers: `SecurityHeaders.strict`.
    public var headers: SecurityHeaders
    /// Where the key file (mode 0600) and the SQLite database (mode 0600) live: `.rampart`.
    /// `RAMPART_KEYS` in the environment wins over the key file.
    public var dataDirectory: String
    /// Connection limits and timeouts: `HTTPLimits.standard` (applied by Hummingbird's
    /// `rampartHTTP1` server; Vapor's server has no hook for them yet).
    public var limits: HTTPLimits
    /// Actions that take one-time tokens (`OneTimeTokens`), with the routes that need them.
    public var oneTimeRoutes: [CSRFConfiguration.OneTimeRoute]
    /// Paths that skip the CSRF checks, each with the reason why that is safe.
    public var csrfExemptions: [CSRFConfiguration.Exemption]
    /// Fetch-metadata resource isolation (``ResourceIsolationPolicy``): other sites' pages may
    /// not load this app's resources, only link to its pages. Off (`nil`) unless you turn it on,
    /// because an app that serves embeddable assets or CORS endpoints must first list them as
    /// exemptions; `ResourceIsolationPolicy.standard` is the policy with none.
    public var resourceIsolation: ResourceIsolationPolicy?
    /// How every refusal is written, from the host check's 400 to the connection limits' 431:
    /// `RefusalPages.standard` unless you restyle them.
    public var refusalPages: RefusalPages
    /// A session unused this long ends: 30 minutes.
    public var sessionIdleTimeout: Duration
    /// A session ends this long after sign-in, however active: 8 hours.
    public var sessionAbsoluteTimeout: Duration

    /// The defaults, for the hosts given.
    public static func defaults(allowedHosts: [String]) -> RampartOptions {
        RampartOptions(allowedHosts: allowedHosts)
    }

    /// Creates options; every argument but the hosts has a secure default.
    public init(
        allowedHosts: [String],
        trustedProxies: [String] = [],
        httpsPolicy: TransportSecurity.HTTPSPolicy? = nil,
        headers: SecurityHeaders = .strict,
        dataDirectory: String = ".rampart",
        limits: HTTPLimits = .standard,
        oneTimeRoutes: [CSRFConfiguration.OneTimeRoute] = [],
        csrfExemptions: [CSRFConfiguration.Exemption] = [],
        resourceIsolation: ResourceIsolationPolicy? = nil,
        refusalPages: RefusalPages = .standard,
        sessionIdleTimeout: Duration = .seconds(30 * 60),
        sessionAbsoluteTimeout: Duration = .seconds(8 * 60 * 60)
    ) {
        self.allowedHosts = allowedHosts
        self.trustedProxies = trustedProxies
        self.httpsPolicy = httpsPolicy
        self.headers = headers
        self.dataDirectory = dataDirectory
        self.limits = limits
        self.oneTimeRoutes = oneTimeRoutes
        self.csrfExemptions = csrfExemptions
        self.resourceIsolation = resourceIsolation
        self.refusalPages = refusalPages
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionAbsoluteTimeout = sessionAbsoluteTimeout
    }
}

extension RampartOptions {
    /// The host and HTTPS checks these options describe. Without an explicit `httpsPolicy`,
    /// plain HTTP is redirected to HTTPS unless every allowed host is a loopback name.
    /// - Throws: `SecurityConfigurationError` naming a bad host or proxy range.
    ///
    /// See [RFC 9110 §7.2](https://www.rfc-editor.org/rfc/rfc9110#section-7.2) (`Host`) and
    /// [MDN: Strict-Transport-Security](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Strict-Transport-Security).
    public func transportSecurity() throws -> TransportSecurity {
        let hosts = try HostAllowList(allowedHosts)
        let loopbackOnly = !allowedHosts.isEmpty && allowedHosts.allSatisfy { IPAddress.isLoopback(host: $0) || $0 == "localhost" }
        return TransportSecurity(
            allowedHosts: hosts,
            trustedProxies: try TrustedProxies(trustedProxies),
            httpsPolicy: httpsPolicy ?? (loopbackOnly ? .allowInsecureHTTP : .redirectToHTTPS)
        )
    }

    /// The session configuration these options describe, over `store`: the `__Host-session`
    /// cookie, the timeouts, and last-seen updates at most once a minute (or every half idle
    /// timeout, if that is shorter).
    /// - Throws: `SecurityConfigurationError` naming a timeout that does not hold.
    ///
    /// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#session-expiration).
    public func sessionConfiguration(store: any SessionStore) throws -> SessionConfiguration {
        try SessionConfiguration(
            backend: .store(store),
            idleTimeout: sessionIdleTimeout,
            absoluteTimeout: sessionAbsoluteTimeout,
            touchInterval: min(.seconds(60), sessionIdleTimeout / 2)
        )
    }

    /// The CSRF configuration these options describe: token mode, the exemptions, and one-time
    /// tokens (recorded in `usedTokens`) for the actions of ``oneTimeRoutes``.
    /// - Throws: `SecurityConfigurationError` for an exemption or route that does not hold.
    ///
    /// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
    public func csrfConfiguration(keyRing: KeyRing, usedTokens: any UsedTokenStore) throws -> CSRFConfiguration {
        let actions = Array(Set(oneTimeRoutes.map(\.action))).sorted()
        return try CSRFConfiguration(
            exemptions: csrfExemptions,
            oneTimeTokens: actions.isEmpty ? nil : try OneTimeTokens(keyRing: keyRing, actions: actions, store: usedTokens),
            oneTimeRoutes: oneTimeRoutes
        )
    }
}
