import Rampart
import RampartPostgres

/// Where the reference app keeps its data.
///
/// See [SQLite](https://www.sqlite.org/whentouse.html) and [PostgreSQL connection URIs](https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS).
public enum AppDatabase: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Embedded SQLite in one file: the default, for one instance.
    case sqlite(path: String)
    /// A PostgreSQL server shared by several instances: `postgres://user:password@host:port/db`.
    case postgres(url: String)

    /// `SQLite <path>` or `PostgreSQL <url without its password>`.
    public var description: String {
        switch self {
        case .sqlite(let path): "SQLite \(path)"
        case .postgres(let url): "PostgreSQL \(RampartPostgresDatabase.redacted(url))"
        }
    }

    /// The same as ``description``: the password never appears, even in `debugPrint`.
    public var debugDescription: String { description }
}

/// How the reference application is served: address, hosts, proxies and HTTPS policy.
public struct AppConfiguration: Sendable {
    /// The address to listen on.
    public var hostname: String
    /// The port to listen on.
    public var port: Int
    /// The hosts the app answers for.
    public var allowedHosts: HostAllowList
    /// The transport policy: hosts, trusted proxies and HTTPS enforcement.
    public var transport: TransportSecurity
    /// The security headers for every page.
    public var headers: SecurityHeaders
    /// The data directory: the SQLite database and, without `RAMPART_KEYS`, the key file.
    public var dataDirectory: String
    /// The environment `RAMPART_KEYS` is read from.
    public var environment: [String: String]
    /// The database: SQLite at `<dataDirectory>/rampart.sqlite` unless set.
    public var database: AppDatabase
    /// How startup retries an unreachable PostgreSQL server before exiting non-zero.
    public var startupRetry: StartupRetry
    /// The most PostgreSQL connections this instance opens: 20.
    public var databasePoolSize: Int
    /// The SQLite file, or `nil` on PostgreSQL.
    public var databasePath: String? {
        if case .sqlite(let path) = database { return path }
        return nil
    }
    /// The bcrypt cost for passwords: 12.
    public var passwordHashCost: Int
    /// How many CSP reports are stored per minute at most; the rest are dropped.
    public var cspReportsPerMinute: Int
    /// A PEM certificate chain and private key to serve HTTPS directly.
    public var tls: TLSFiles?
    /// Header-section and target size limits, and the header, body and keep-alive timeouts
    /// (``HTTPLimits/standard`` unless set).
    public var limits: HTTPLimits
    /// Fetch-metadata resource isolation: other sites' pages may link to the board's pages but not
    /// load its resources (its JSON, uploads, stylesheet, frames). Only the CSP report receiver
    /// is exempt.
    public var resourceIsolation: ResourceIsolationPolicy
    /// The account that is the admin (`RAMPART_ADMIN`): granted at startup if it exists, and on
    /// registration if it does not yet.
    public var bootstrapAdmin: String?
    /// Whether the first account to register becomes the admin: only on a loopback address
    /// (the demo) and only without `RAMPART_ADMIN`. Anywhere else a stranger could take the
    /// dashboard of a fresh deployment; grant admin with `rampart admin grant USER`.
    public var firstUserBecomesAdmin: Bool { bootstrapAdmin == nil && IPAddress.isLoopback(host: hostname) }

    /// The certificate and key files for HTTPS.
    public struct TLSFiles: Sendable, Hashable {
        /// The PEM certificate chain.
        public var certificatePath: String
        /// The PEM private key.
        public var keyPath: String

        /// Creates the pair.
        public init(certificatePath: String, keyPath: String) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
        }
    }

    /// The health-check path, served over plain HTTP even when HTTPS is enforced.
    public static let healthPath = "/healthz"

    /// The board's `ResourceIsolationPolicy`: the standard policy, with the CSP report
    /// receiver exempt (browsers send reports with whatever fetch metadata their reporting
    /// pipeline uses; the receiver accepts only capped, validated reports).
    public static let boardResourceIsolation = try! ResourceIsolationPolicy(exemptions: [
        .path("/csp-reports", reason: "browsers post CSP reports from their reporting pipeline; the receiver stores only capped, validated reports")
    ])

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - hostname: The listening address; `127.0.0.1` by default.
    ///   - port: The listening port; 5000 by default.
    ///   - allowedHosts: Extra hosts to answer for. The loopback names are always allowed when
    ///     listening on loopback.
    ///   - trustedProxies: CIDR ranges of reverse proxies whose forwarding headers are believed.
    ///   - allowInsecureHTTP: Serve plain HTTP without redirecting. This is the default on a
    ///     loopback address, where traffic never leaves the machine; anywhere else plain HTTP
    ///     is redirected to HTTPS unless this is set.
    ///   - httpsPort: The port in redirects to HTTPS; 443 when `nil`.
    ///   - dataDirectory: Where the database and key file live; `.rampart` by default.
    ///   - database: A SQLite file path, or a `postgres://` URL to share state between instances.
    ///   - databaseConnectAttempts: How many times startup tries to reach PostgreSQL (with
    ///     backoff) before giving up: 10.
    ///   - databasePoolSize: The most PostgreSQL connections this instance opens: 20. Keep
    ///     instances × pool size under the server's `max_connections`.
    ///   - limits: Connection limits and timeouts; checked here, so a bad value refuses to start.
    ///   - environment: Where `RAMPART_KEYS` is read; the process environment by default.
    public init(
        hostname: String = "127.0.0.1",
        port: Int = 5000,
        allowedHosts: [String] = [],
        trustedProxies: [String] = [],
        allowInsecureHTTP: Bool = false,
        httpsPort: Int? = nil,
        dataDirectory: String = ".rampart",
        database: String? = nil,
        databaseConnectAttempts: Int = 10,
        databasePoolSize: Int = 20,
        tls: TLSFiles? = nil,
        passwordHashCost: Int = 12,
        cspReportsPerMinute: Int = 100,
        limits: HTTPLimits = .standard,
        environment: [String: String] = KeyRing.processEnvironment
    ) throws {
        self.limits = try limits.validated()
        if let admin = environment["RAMPART_ADMIN"], !admin.isEmpty {
            guard let name = Board.normalisedUsername(admin) else {
                throw SecurityConfigurationError(
                    setting: "RAMPART_ADMIN",
                    value: admin,
                    reason: .invalidValue,
                    message: "is not a user name (3 to 32 of a–z, 0–9, _ . and -)"
                )
            }
            self.bootstrapAdmin = name
        } else {
            self.bootstrapAdmin = nil
        }
        guard (10...16).contains(passwordHashCost) else {
            throw SecurityConfigurationError(
                setting: "passwordHashCost",
                value: String(passwordHashCost),
                reason: .invalidValue,
                message: "bcrypt cost must be 10 to 16 (12 recommended)"
            )
        }
        guard cspReportsPerMinute > 0 else {
            throw SecurityConfigurationError(
                setting: "cspReportsPerMinute",
                value: String(cspReportsPerMinute),
                reason: .invalidValue,
                message: "must be positive"
            )
        }
        guard (0...65535).contains(port) else {
            throw SecurityConfigurationError(setting: "port", value: String(port), reason: .invalidValue, message: "port must be 0 to 65535")
        }
        let loopback = IPAddress.isLoopback(host: hostname)
        var hosts = allowedHosts
        if loopback { hosts = ["localhost", "127.0.0.1", "[::1]"] + hosts }
        if hosts.isEmpty {
            throw SecurityConfigurationError(
                setting: "allowedHosts",
                value: hostname,
                reason: .empty,
                message: "listening on a non-loopback address needs at least one allowed host (--allowed-host example.com)"
            )
        }
        self.hostname = hostname
        self.port = port
        self.allowedHosts = try HostAllowList(hosts)
        let httpsPolicy: TransportSecurity.HTTPSPolicy =
            (loopback || allowInsecureHTTP)
            ? .allowInsecureHTTP
            : try .redirect(httpsPort: httpsPort, exemptPaths: [Self.healthPath])
        self.transport = TransportSecurity(
            allowedHosts: self.allowedHosts,
            trustedProxies: try TrustedProxies(trustedProxies),
            httpsPolicy: httpsPolicy,
            serverTerminatesTLS: tls != nil
        )
        self.headers = Self.boardHeaders
        self.resourceIsolation = Self.boardResourceIsolation
        guard !dataDirectory.isEmpty else {
            throw SecurityConfigurationError(
                setting: "dataDirectory",
                value: dataDirectory,
                reason: .empty,
                message: "name a folder for the database and key file"
            )
        }
        self.dataDirectory = dataDirectory
        self.environment = environment
        switch database {
        case nil:
            self.database = .sqlite(path: dataDirectory + "/rampart.sqlite")
        case let text? where text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"):
            _ = try RampartPostgresDatabase.configuration(url: text)  // refuses a bad URL now, naming `database`
            self.database = .postgres(url: text)
        case let text? where text.isEmpty:
            throw SecurityConfigurationError(
                setting: "database",
                value: text,
                reason: .empty,
                message: "give a SQLite file path or a postgres:// URL"
            )
        case let text? where text.contains("://"):
            throw SecurityConfigurationError(
                setting: "database",
                value: RampartPostgresDatabase.redacted(text),
                reason: .invalidValue,
                message: "only postgres:// URLs are supported; anything else is a SQLite file path"
            )
        case let text?:
            self.database = .sqlite(path: text)
        }
        self.startupRetry = try StartupRetry(attempts: databaseConnectAttempts)
        try RampartPostgresDatabase.validatePoolSize(databasePoolSize)
        self.databasePoolSize = databasePoolSize
        self.tls = tls
        self.passwordHashCost = passwordHashCost
        self.cspReportsPerMinute = cspReportsPerMinute
    }

    /// The reference app's headers: the `.strict` preset, with CSP violations reported to the
    /// app's own receiver through both `report-uri` and `report-to`, and beside it a report-only
    /// policy that adds Trusted Types (`require-trusted-types-for 'script'; trusted-types
    /// board`), reporting to the same receiver.
    public static var boardHeaders: SecurityHeaders {
        var headers = SecurityHeaders.strict
        headers.contentSecurityPolicy = try! SecurityHeaders.strictContentSecurityPolicy
            .setting(.reportURI("/csp-reports"))
            .setting(.reportTo("csp"))
        headers.reportingEndpoints = try! ReportingEndpoints(["csp": "/csp-reports"])
        // The next policy, rolled out in report-only mode beside the enforced one: the same
        // policy plus Trusted Types (DOM XSS sinks accept only values from the "board" policy),
        // without upgrade-insecure-requests, which browsers ignore in a report-only policy.
        headers.contentSecurityPolicyReportOnly = try! headers.contentSecurityPolicy
            .removing(.upgradeInsecureRequests)
            .setting(.requireTrustedTypesForScript)
            .setting(.trustedTypes("board"))
        return headers
    }
    /// The key file, used when `RAMPART_KEYS` is not set.
    public var keyFilePath: String { dataDirectory + "/keys" }

}
