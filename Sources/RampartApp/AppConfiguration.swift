import Rampart

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

    /// The health-check path, served over plain HTTP even when HTTPS is enforced.
    public static let healthPath = "/healthz"

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
    ///   - environment: Where `RAMPART_KEYS` is read; the process environment by default.
    public init(
        hostname: String = "127.0.0.1",
        port: Int = 5000,
        allowedHosts: [String] = [],
        trustedProxies: [String] = [],
        allowInsecureHTTP: Bool = false,
        httpsPort: Int? = nil,
        dataDirectory: String = ".rampart",
        environment: [String: String] = KeyRing.processEnvironment
    ) throws {
        guard (0...65535).contains(port) else {
            throw SecurityConfigurationError(setting: "port", value: String(port), reason: .invalidValue, message: "port must be 0 to 65535")
        }
        let loopback = Self.isLoopback(hostname)
        var hosts = allowedHosts
        if loopback { hosts = ["localhost", "127.0.0.1", "[::1]"] + hosts }
        if hosts.isEmpty {
            throw SecurityConfigurationError(setting: "allowedHosts", value: hostname, reason: .empty,
                                             message: "listening on a non-loopback address needs at least one allowed host (--allowed-host example.com)")
        }
        self.hostname = hostname
        self.port = port
        self.allowedHosts = try HostAllowList(hosts)
        let httpsPolicy: TransportSecurity.HTTPSPolicy = (loopback || allowInsecureHTTP)
            ? .allowInsecureHTTP
            : try .redirect(httpsPort: httpsPort, exemptPaths: [Self.healthPath])
        self.transport = TransportSecurity(
            allowedHosts: self.allowedHosts,
            trustedProxies: try TrustedProxies(trustedProxies),
            httpsPolicy: httpsPolicy
        )
        self.headers = .strict
        guard !dataDirectory.isEmpty else {
            throw SecurityConfigurationError(setting: "dataDirectory", value: dataDirectory, reason: .empty, message: "name a folder for the database and key file")
        }
        self.dataDirectory = dataDirectory
        self.environment = environment
    }

    /// The SQLite database file.
    public var databasePath: String { dataDirectory + "/rampart.sqlite" }
    /// The key file, used when `RAMPART_KEYS` is not set.
    public var keyFilePath: String { dataDirectory + "/keys" }

    /// Whether an address is on the loopback interface, where plain HTTP never leaves the machine.
    static func isLoopback(_ hostname: String) -> Bool {
        if hostname == "localhost" { return true }
        guard let address = IPAddress(hostname) else { return false }
        return try! IPNetwork("127.0.0.0/8").contains(address) || address == IPAddress("::1")
    }
}
