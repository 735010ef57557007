import ArgumentParser
import Foundation
import Logging
import Rampart

/// The flags shared by `serve`, `routes` and `check`, each with a `RAMPART_*` environment
/// equivalent; a flag wins over the environment.
public struct ServeOptions: ParsableArguments {
    /// Creates the options with every flag unset.
    public init() {}

    /// The value of `--host`, or `nil`/empty when not given (see its help).
    @Option(name: [.customLong("host"), .customLong("hostname")], help: "The address to listen on (RAMPART_HOST; default 127.0.0.1).")
    public var host: String?

    /// The value of `--port`, or `nil`/empty when not given (see its help).
    @Option(name: .shortAndLong, help: "The port to listen on (RAMPART_PORT; default 5000).")
    public var port: Int?

    /// The value of `--data-dir`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("data-dir"),
        help: "The data directory: the SQLite database and, unless RAMPART_KEYS is set, the key file (RAMPART_DATA_DIR; default .rampart)."
    )
    public var dataDirectory: String?

    /// The value of `--database`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("database"),
        help:
            "A SQLite database file, or postgres://user:password@host:port/db to share state between instances (RAMPART_DATABASE; default <data-dir>/rampart.sqlite)."
    )
    public var database: String?

    /// The value of `--database-connect-attempts`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("database-connect-attempts"),
        help:
            "How many times startup tries to reach PostgreSQL, with backoff, before exiting non-zero (RAMPART_DATABASE_CONNECT_ATTEMPTS; default 10)."
    )
    public var databaseConnectAttempts: Int?

    /// The value of `--database-pool-size`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("database-pool-size"),
        help:
            "The most PostgreSQL connections this instance opens; keep instances × size under the server's max_connections (RAMPART_DATABASE_POOL_SIZE; default 20)."
    )
    public var databasePoolSize: Int?

    /// The value of `--max-header-bytes`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("max-header-bytes"),
        help: "The most bytes of request header fields, else 431 (RAMPART_MAX_HEADER_BYTES; default 16384; 4096 to 1048576)."
    )
    public var maxHeaderBytes: Int?

    /// The value of `--max-header-fields`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("max-header-fields"),
        help: "The most request header fields, else 431 (RAMPART_MAX_HEADER_FIELDS; default 100; 16 to 10000)."
    )
    public var maxHeaderFields: Int?

    /// The value of `--max-target-bytes`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("max-target-bytes"),
        help: "The longest request target (path and query), else 414 (RAMPART_MAX_TARGET_BYTES; default 8192; 1024 to 1048576)."
    )
    public var maxTargetBytes: Int?

    /// The value of `--header-timeout`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("header-timeout"),
        help: "Seconds a request's header section may take from its first byte, else 408 (RAMPART_HEADER_TIMEOUT; default 30; 1 to 600)."
    )
    public var headerTimeout: Int?

    /// The value of `--body-timeout`, or `nil`/empty when not given (see its help).
    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may stall, else 408 (RAMPART_BODY_TIMEOUT; default 30; 1 to 600).")
    public var bodyTimeout: Int?

    /// The value of `--min-body-rate`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("min-body-rate"),
        help: "Bytes per second a request body must average after a 5 s grace period, else 408 (RAMPART_MIN_BODY_RATE; default 240)."
    )
    public var minBodyRate: Int?

    /// The value of `--idle-timeout`, or `nil`/empty when not given (see its help).
    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle keep-alive connection stays open (RAMPART_IDLE_TIMEOUT; default 30; 1 to 600).")
    public var idleTimeout: Int?

    /// The value of `--tls-cert`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("tls-cert"),
        help: "A PEM certificate chain to serve HTTPS directly (RAMPART_TLS_CERT); needs --tls-key. Try `rampart dev-cert`."
    )
    public var tlsCertificate: String?

    /// The value of `--tls-key`, or `nil`/empty when not given (see its help).
    @Option(name: .customLong("tls-key"), help: "The PEM private key for --tls-cert (RAMPART_TLS_KEY).")
    public var tlsKey: String?

    /// The value of `--trusted-proxy`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("trusted-proxy"),
        help:
            "A reverse proxy's address or CIDR range whose X-Forwarded-* and Forwarded headers are believed (repeatable; RAMPART_TRUSTED_PROXIES, comma-separated)."
    )
    public var trustedProxies: [String] = []

    /// The value of `--allowed-host`, or `nil`/empty when not given (see its help).
    @Option(
        name: .customLong("allowed-host"),
        help:
            "A host to answer for (repeatable; RAMPART_ALLOWED_HOSTS, comma-separated): example.com, .example.com, host:port. Loopback names are always allowed on a loopback address."
    )
    public var allowedHosts: [String] = []

    /// The value of `--allow-insecure-http`, or `nil`/empty when not given (see its help).
    @Flag(
        name: .customLong("allow-insecure-http"),
        help: "Serve plain HTTP without redirecting to HTTPS on a non-loopback address (RAMPART_ALLOW_INSECURE_HTTP=1)."
    )
    public var allowInsecureHTTP = false

    /// The value of `--https-port`, or `nil`/empty when not given (see its help).
    @Option(name: .customLong("https-port"), help: "The port used in redirects to HTTPS (RAMPART_HTTPS_PORT; default 443).")
    public var httpsPort: Int?

    /// The value of `--log-level`, or `nil`/empty when not given (see its help).
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (RAMPART_LOG_LEVEL; default info).")
    public var logLevel: String?

    /// What the configuration is built from: flags first, then `RAMPART_*` variables, then
    /// defaults, as given (nothing is checked but that numbers are numbers).
    /// - Parameter onBadValue: Called with a value that cannot be read (a port that is not a
    ///   number); it throws by default. If it returns, the value is left at its default.
    /// - Throws: `ValidationError` naming the flag or variable and the bad value.
    public func settings(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        onBadValue: (ValidationError) throws -> Void = { throw $0 }
    ) rethrows -> AppConfiguration.Settings {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ flag: Int?, _ name: String, _ label: String, _ onBadValue: (ValidationError) throws -> Void) rethrows -> Int? {
            if let flag { return flag }
            guard let text = env(name) else { return nil }
            guard let value = Int(text) else {
                try onBadValue(ValidationError("\(name): '\(text)' is not a \(label)"))
                return nil
            }
            return value
        }
        func list(_ flag: [String], _ name: String) -> [String] {
            flag.isEmpty ? (env(name)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []) : flag
        }
        var settings = AppConfiguration.Settings(environment: environment)
        settings.port = try number(port, "RAMPART_PORT", "port number", onBadValue) ?? settings.port
        settings.httpsPort = try number(httpsPort, "RAMPART_HTTPS_PORT", "port number", onBadValue)
        let insecureText = env("RAMPART_ALLOW_INSECURE_HTTP")
        if let insecureText, !["1", "true", "yes", "0", "false", "no"].contains(insecureText.lowercased()) {
            try onBadValue(ValidationError("RAMPART_ALLOW_INSECURE_HTTP: '\(insecureText)' is not 1/true/yes or 0/false/no"))
        }
        settings.allowInsecureHTTP = allowInsecureHTTP || ["1", "true", "yes"].contains(insecureText?.lowercased() ?? "")
        settings.tlsCertificatePath = tlsCertificate ?? env("RAMPART_TLS_CERT")
        settings.tlsKeyPath = tlsKey ?? env("RAMPART_TLS_KEY")
        if let value = try number(maxHeaderBytes, "RAMPART_MAX_HEADER_BYTES", "number of bytes", onBadValue) {
            settings.limits.maxHeaderBytes = value
        }
        if let value = try number(maxHeaderFields, "RAMPART_MAX_HEADER_FIELDS", "number of fields", onBadValue) {
            settings.limits.maxHeaderFields = value
        }
        if let value = try number(maxTargetBytes, "RAMPART_MAX_TARGET_BYTES", "number of bytes", onBadValue) {
            settings.limits.maxTargetBytes = value
        }
        if let value = try number(headerTimeout, "RAMPART_HEADER_TIMEOUT", "number of seconds", onBadValue) {
            settings.limits.headerTimeout = .seconds(value)
        }
        if let value = try number(bodyTimeout, "RAMPART_BODY_TIMEOUT", "number of seconds", onBadValue) {
            settings.limits.bodyIdleTimeout = .seconds(value)
        }
        if let value = try number(minBodyRate, "RAMPART_MIN_BODY_RATE", "number of bytes per second", onBadValue) {
            settings.limits.minimumBodyRate = value
        }
        if let value = try number(idleTimeout, "RAMPART_IDLE_TIMEOUT", "number of seconds", onBadValue) {
            settings.limits.idleTimeout = .seconds(value)
        }
        settings.hostname = host ?? env("RAMPART_HOST") ?? settings.hostname
        settings.allowedHosts = list(allowedHosts, "RAMPART_ALLOWED_HOSTS")
        settings.trustedProxies = list(trustedProxies, "RAMPART_TRUSTED_PROXIES")
        settings.dataDirectory = dataDirectory ?? env("RAMPART_DATA_DIR") ?? settings.dataDirectory
        settings.database = database ?? env("RAMPART_DATABASE")
        settings.databaseConnectAttempts =
            try number(databaseConnectAttempts, "RAMPART_DATABASE_CONNECT_ATTEMPTS", "number", onBadValue) ?? settings.databaseConnectAttempts
        settings.databasePoolSize = try number(databasePoolSize, "RAMPART_DATABASE_POOL_SIZE", "number", onBadValue) ?? settings.databasePoolSize
        return settings
    }

    /// The configuration, built from ``settings(environment:onBadValue:)``.
    /// - Throws: `ValidationError` naming the flag or variable and the bad value.
    public func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        let settings = try settings(environment: environment)
        switch (settings.tlsCertificatePath, settings.tlsKeyPath) {
        case (nil, _?): throw ValidationError("--tls-key needs --tls-cert (or RAMPART_TLS_CERT)")
        case (_?, nil): throw ValidationError("--tls-cert needs --tls-key (or RAMPART_TLS_KEY)")
        default: break
        }
        do {
            return try AppConfiguration(settings)
        } catch let error as SecurityConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// The log level, from `--log-level` or `RAMPART_LOG_LEVEL`.
    public func level(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Logger.Level {
        guard let text = logLevel ?? environment["RAMPART_LOG_LEVEL"] else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError(
                "\(logLevel == nil ? "RAMPART_LOG_LEVEL" : "--log-level"): '\(text)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        return level
    }
}
