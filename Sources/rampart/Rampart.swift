import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Rampart
import RampartApp

#if canImport(Glibc)
import Glibc
#endif

/// The `rampart` command-line tool.
@main
struct RampartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart",
        abstract: "Rampart: secure-by-default web security for Swift servers.",
        subcommands: [
            Serve.self, Routes.self, Audit.self, CheckCommand.self, KeysCommand.self, DevCertCommand.self, PinCommand.self, AdminCommand.self,
        ],
        defaultSubcommand: Serve.self
    )
}

/// The flags shared by `serve`, `routes` and `check`, each with a `RAMPART_*` environment
/// equivalent; a flag wins over the environment.
struct ServeOptions: ParsableArguments {
    @Option(name: [.customLong("host"), .customLong("hostname")], help: "The address to listen on (RAMPART_HOST; default 127.0.0.1).")
    var host: String?

    @Option(name: .shortAndLong, help: "The port to listen on (RAMPART_PORT; default 5000).")
    var port: Int?

    @Option(
        name: .customLong("data-dir"),
        help: "The data directory: the SQLite database and, unless RAMPART_KEYS is set, the key file (RAMPART_DATA_DIR; default .rampart)."
    )
    var dataDirectory: String?

    @Option(
        name: .customLong("database"),
        help:
            "A SQLite database file, or postgres://user:password@host:port/db to share state between instances (RAMPART_DATABASE; default <data-dir>/rampart.sqlite)."
    )
    var database: String?

    @Option(
        name: .customLong("database-connect-attempts"),
        help:
            "How many times startup tries to reach PostgreSQL, with backoff, before exiting non-zero (RAMPART_DATABASE_CONNECT_ATTEMPTS; default 10)."
    )
    var databaseConnectAttempts: Int?

    @Option(
        name: .customLong("database-pool-size"),
        help:
            "The most PostgreSQL connections this instance opens; keep instances × size under the server's max_connections (RAMPART_DATABASE_POOL_SIZE; default 20)."
    )
    var databasePoolSize: Int?

    @Option(
        name: .customLong("max-header-bytes"),
        help: "The most bytes of request header fields, else 431 (RAMPART_MAX_HEADER_BYTES; default 16384; 4096 to 1048576)."
    )
    var maxHeaderBytes: Int?

    @Option(
        name: .customLong("max-header-fields"),
        help: "The most request header fields, else 431 (RAMPART_MAX_HEADER_FIELDS; default 100; 16 to 10000)."
    )
    var maxHeaderFields: Int?

    @Option(
        name: .customLong("max-target-bytes"),
        help: "The longest request target (path and query), else 414 (RAMPART_MAX_TARGET_BYTES; default 8192; 1024 to 1048576)."
    )
    var maxTargetBytes: Int?

    @Option(
        name: .customLong("header-timeout"),
        help: "Seconds a request's header section may take from its first byte, else 408 (RAMPART_HEADER_TIMEOUT; default 30; 1 to 600)."
    )
    var headerTimeout: Int?

    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may stall, else 408 (RAMPART_BODY_TIMEOUT; default 30; 1 to 600).")
    var bodyTimeout: Int?

    @Option(
        name: .customLong("min-body-rate"),
        help: "Bytes per second a request body must average after a 5 s grace period, else 408 (RAMPART_MIN_BODY_RATE; default 240)."
    )
    var minBodyRate: Int?

    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle keep-alive connection stays open (RAMPART_IDLE_TIMEOUT; default 30; 1 to 600).")
    var idleTimeout: Int?

    @Option(
        name: .customLong("tls-cert"),
        help: "A PEM certificate chain to serve HTTPS directly (RAMPART_TLS_CERT); needs --tls-key. Try `rampart dev-cert`."
    )
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key for --tls-cert (RAMPART_TLS_KEY).")
    var tlsKey: String?

    @Option(
        name: .customLong("trusted-proxy"),
        help:
            "A reverse proxy's address or CIDR range whose X-Forwarded-* and Forwarded headers are believed (repeatable; RAMPART_TRUSTED_PROXIES, comma-separated)."
    )
    var trustedProxies: [String] = []

    @Option(
        name: .customLong("allowed-host"),
        help:
            "A host to answer for (repeatable; RAMPART_ALLOWED_HOSTS, comma-separated): example.com, .example.com, host:port. Loopback names are always allowed on a loopback address."
    )
    var allowedHosts: [String] = []

    @Flag(
        name: .customLong("allow-insecure-http"),
        help: "Serve plain HTTP without redirecting to HTTPS on a non-loopback address (RAMPART_ALLOW_INSECURE_HTTP=1)."
    )
    var allowInsecureHTTP = false

    @Option(name: .customLong("https-port"), help: "The port used in redirects to HTTPS (RAMPART_HTTPS_PORT; default 443).")
    var httpsPort: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (RAMPART_LOG_LEVEL; default info).")
    var logLevel: String?

    /// What the configuration is built from: flags first, then `RAMPART_*` variables, then
    /// defaults, as given (nothing is checked but that numbers are numbers).
    /// - Parameter onBadValue: Called with a value that cannot be read (a port that is not a
    ///   number); it throws by default. If it returns, the value is left at its default.
    /// - Throws: `ValidationError` naming the flag or variable and the bad value.
    func settings(
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
    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
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
    func level(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Logger.Level {
        guard let text = logLevel ?? environment["RAMPART_LOG_LEVEL"] else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError(
                "\(logLevel == nil ? "RAMPART_LOG_LEVEL" : "--log-level"): '\(text)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        return level
    }
}

/// `rampart serve`: serves the reference application.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the reference application (the default command).",
        discussion: "Stops gracefully on SIGINT and SIGTERM."
    )

    @OptionGroup var options: ServeOptions

    func makeConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfiguration {
        try options.configuration(environment: environment)
    }

    func run() async throws {
        Self.capMallocArenas()
        let configuration = try makeConfiguration()
        var logger = Logger(label: "rampart")
        logger.logLevel = try options.level()
        let app: any ApplicationProtocol
        do {
            app = try await buildApplication(configuration, logger: logger) { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let scheme = configuration.tls == nil ? "http" : "https"
                let host = configuration.hostname.contains(":") ? "[\(configuration.hostname)]" : configuration.hostname
                let admin =
                    configuration.bootstrapAdmin.map { "admin: \($0) (RAMPART_ADMIN)" }
                    ?? (configuration.firstUserBecomesAdmin
                        ? "the first user to register becomes admin (loopback demo only)"
                        : "admin only by `rampart admin grant USER` or RAMPART_ADMIN")
                print("Rampart board on \(scheme)://\(host):\(port)/ (\(configuration.database)); \(admin); Ctrl-C stops it")
                fflush(nil)  // all output streams: the banner shows at once even when stdout is a file
            }
        } catch let error as SecurityConfigurationError {
            throw ValidationError(error.description)
        }
        try await app.runService()
    }
}

extension Serve {
    /// Caps glibc's malloc arenas at one per core (at least 2) unless `MALLOC_ARENA_MAX` is set.
    /// glibc otherwise gives busy threads arenas of their own, up to 8 per core, each keeping its
    /// peak: the server's memory then creeps up under steady load although nothing leaks (the
    /// soak measured ×1.11 over 50 s without the cap, ×1.03 with it).
    static func capMallocArenas() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        // mallopt(M_ARENA_MAX = -8, n), looked up at run time: <malloc.h> is not in Glibc's module.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(-8, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }
}

/// `rampart routes`: lists every route with its method, path, CSRF mode and CSP.
struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the reference app's routes with their CSRF mode and CSP.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        print(try await Self.render(json: json))
    }

    /// Builds the router against a throw-away data directory and in-memory keys, and lists what it registered.
    static func render(json: Bool) async throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-routes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let configuration = try AppConfiguration(
            dataDirectory: scratch,
            environment: [KeyRing.environmentVariable: SecretKey.generate().exportBase64URL()]
        )
        var logger = Logger(label: "rampart")
        logger.logLevel = .error
        let services = try await AppServices(configuration, logger: logger)
        let routes = try await buildRouter(configuration, services: services).routes
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(routes), as: UTF8.self)
        }
        let widths = [
            max(6, routes.map(\.method.count).max() ?? 0),
            max(4, routes.map(\.path.count).max() ?? 0),
            max(4, routes.map(\.csrf.count).max() ?? 0),
        ]
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = [pad("METHOD", widths[0]) + "  " + pad("PATH", widths[1]) + "  " + pad("CSRF", widths[2]) + "  CSP"]
        for route in routes {
            lines.append(pad(route.method, widths[0]) + "  " + pad(route.path, widths[1]) + "  " + pad(route.csrf, widths[2]) + "  " + route.csp)
        }
        return lines.joined(separator: "\n")
    }
}
