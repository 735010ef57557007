import Rampart

extension AppConfiguration {
    /// What an ``AppConfiguration`` is built from: the settings as given (by `rampart serve`'s
    /// flags, its `RAMPART_*` variables or code), before any of them is checked.
    ///
    /// `rampart serve` gathers one value of this type and builds its configuration from it with
    /// ``AppConfiguration/init(_:)``; `rampart check` lints the same value with
    /// `DeploymentCheck.run(_:strictTransportSecurity:contentSecurityPolicy:keyFileIsOnTemporaryFilesystem:)`,
    /// so it can still say what is wrong with settings the configuration refuses (a TLS key
    /// without its certificate, a trusted-proxy range that does not parse). The defaults are
    /// those of `rampart serve`.
    ///
    /// See [RFC 7239](https://www.rfc-editor.org/rfc/rfc7239) (what trusted proxies forward) and
    /// [PostgreSQL connection URIs](https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS).
    public struct Settings: Sendable {
        /// The address to listen on: `127.0.0.1` by default.
        public var hostname: String
        /// The port to listen on: 5000 by default.
        public var port: Int
        /// Extra hosts to answer for (the loopback names are added on a loopback address).
        public var allowedHosts: [String]
        /// The trusted reverse proxies, as written: CIDR ranges or bare addresses.
        public var trustedProxies: [String]
        /// Serve plain HTTP without redirecting to HTTPS off loopback (`--allow-insecure-http`).
        public var allowInsecureHTTP: Bool
        /// The port in redirects to HTTPS; 443 when `nil`.
        public var httpsPort: Int?
        /// The data directory: the SQLite database and, without `RAMPART_KEYS`, the key file.
        public var dataDirectory: String
        /// A SQLite file path or a `postgres://` URL; `<dataDirectory>/rampart.sqlite` when `nil`.
        public var database: String?
        /// How many times startup tries to reach PostgreSQL before giving up.
        public var databaseConnectAttempts: Int
        /// The most PostgreSQL connections this instance opens.
        public var databasePoolSize: Int
        /// The PEM certificate chain for HTTPS (`--tls-cert`); it needs ``tlsKeyPath``.
        public var tlsCertificatePath: String?
        /// The PEM private key for HTTPS (`--tls-key`); it needs ``tlsCertificatePath``.
        public var tlsKeyPath: String?
        /// The bcrypt cost for passwords.
        public var passwordHashCost: Int
        /// How many CSP reports are stored per minute at most.
        public var cspReportsPerMinute: Int
        /// Connection limits and timeouts.
        public var limits: HTTPLimits
        /// Where `RAMPART_KEYS` and `RAMPART_ADMIN` are read.
        public var environment: [String: String]

        /// The key file, used when `RAMPART_KEYS` is not set: `<dataDirectory>/keys`.
        public var keyFilePath: String { dataDirectory + "/keys" }

        /// Whether the master keys come from `RAMPART_KEYS`, so the key file is not used.
        public var keysFromEnvironment: Bool { !(environment[KeyRing.environmentVariable] ?? "").isEmpty }

        /// Gathers settings; the defaults are those of `rampart serve`. Nothing is checked here.
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
            tlsCertificatePath: String? = nil,
            tlsKeyPath: String? = nil,
            passwordHashCost: Int = 12,
            cspReportsPerMinute: Int = 100,
            limits: HTTPLimits = .standard,
            environment: [String: String] = KeyRing.processEnvironment
        ) {
            self.hostname = hostname
            self.port = port
            self.allowedHosts = allowedHosts
            self.trustedProxies = trustedProxies
            self.allowInsecureHTTP = allowInsecureHTTP
            self.httpsPort = httpsPort
            self.dataDirectory = dataDirectory
            self.database = database
            self.databaseConnectAttempts = databaseConnectAttempts
            self.databasePoolSize = databasePoolSize
            self.tlsCertificatePath = tlsCertificatePath
            self.tlsKeyPath = tlsKeyPath
            self.passwordHashCost = passwordHashCost
            self.cspReportsPerMinute = cspReportsPerMinute
            self.limits = limits
            self.environment = environment
        }
    }

    /// Builds and checks a configuration from settings.
    ///
    /// - Throws: ``SecurityConfigurationError`` naming the setting at fault: a TLS certificate
    ///   without its key (`tlsKey`) or a key without its certificate (`tlsCert`), and everything
    ///   ``init(hostname:port:allowedHosts:trustedProxies:allowInsecureHTTP:httpsPort:dataDirectory:database:databaseConnectAttempts:databasePoolSize:tls:passwordHashCost:cspReportsPerMinute:limits:environment:)``
    ///   refuses.
    public init(_ settings: Settings) throws {
        let tls: TLSFiles?
        switch (settings.tlsCertificatePath, settings.tlsKeyPath) {
        case (nil, nil):
            tls = nil
        case (let certificate?, let key?):
            tls = TLSFiles(certificatePath: certificate, keyPath: key)
        case (let certificate?, nil):
            throw SecurityConfigurationError(
                setting: "tlsKey",
                value: certificate,
                reason: .empty,
                message: "a TLS certificate chain needs its private key"
            )
        case (nil, let key?):
            throw SecurityConfigurationError(setting: "tlsCert", value: key, reason: .empty, message: "a TLS private key needs its certificate chain")
        }
        try self.init(
            hostname: settings.hostname,
            port: settings.port,
            allowedHosts: settings.allowedHosts,
            trustedProxies: settings.trustedProxies,
            allowInsecureHTTP: settings.allowInsecureHTTP,
            httpsPort: settings.httpsPort,
            dataDirectory: settings.dataDirectory,
            database: settings.database,
            databaseConnectAttempts: settings.databaseConnectAttempts,
            databasePoolSize: settings.databasePoolSize,
            tls: tls,
            passwordHashCost: settings.passwordHashCost,
            cspReportsPerMinute: settings.cspReportsPerMinute,
            limits: settings.limits,
            environment: settings.environment
        )
    }
}
