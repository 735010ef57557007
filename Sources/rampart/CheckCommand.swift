import ArgumentParser
import Rampart
import RampartApp
import RampartPostgres

/// `rampart check`: lints the settings a deployment would run with, in the style of Django's
/// `check --deploy`, and exits non-zero when any finding is an error.
///
/// It takes the flags of `rampart serve` (and their `RAMPART_*` variables), plus the header
/// values you would deploy. The rules live in the core, in ``DeploymentCheck``; settings that
/// `rampart serve` would refuse outright are reported as `config.invalid`, and the other rules
/// still run on the raw values.
///
/// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check deployment settings for security mistakes (exits non-zero on errors)."
    )

    @OptionGroup var options: ServeOptions

    @Option(name: .customLong("hsts"), help: "The Strict-Transport-Security value to check (default: Rampart's, max-age=63072000; includeSubDomains).")
    var hsts: String?

    @Option(name: .customLong("csp"), help: "The Content-Security-Policy value to check (default: Rampart's strict preset).")
    var csp: String?

    /// Every finding for these flags. `environment` supplies the `RAMPART_*` variables and
    /// whether `RAMPART_KEYS` is set; the file system says whether the key file's folder is
    /// memory-backed.
    func findings(environment: [String: String]) -> [DeploymentFinding] {
        var findings: [DeploymentFinding] = []
        var settings: DeploymentSettings
        do {
            // Exactly what `rampart serve` would run with.
            let configuration = try options.configuration(environment: environment)
            settings = DeploymentSettings(
                hostname: configuration.hostname,
                port: configuration.port,
                trustedProxies: configuration.transport.trustedProxies.networks.map(\.description),
                allowsInsecureHTTP: configuration.transport.httpsPolicy == .allowInsecureHTTP,
                tlsCertificatePath: configuration.tls?.certificatePath,
                tlsKeyPath: configuration.tls?.keyPath,
                keyFilePath: configuration.keyFilePath
            )
            if case .postgres(let text) = configuration.database, let url = try? PostgresURL(text) {
                settings.sharedDatabase = .init(host: url.host, isLoopback: url.isLoopback, usesTLS: url.usesTLS)
            }
        } catch {
            let message = (error as? ValidationError)?.message ?? String(describing: error)
            findings.append(DeploymentFinding(severity: .error, id: "config.invalid", message: "rampart serve would refuse to start: \(message)"))
            settings = rawSettings(environment: environment)
        }
        settings.keysFromEnvironment = !(environment[KeyRing.environmentVariable] ?? "").isEmpty
        settings.keyFileIsOnTemporaryFilesystem = DeploymentCheck.isOnTemporaryFilesystem(settings.keyFilePath)
        settings.strictTransportSecurity = hsts ?? DeploymentSettings.defaultStrictTransportSecurity
        settings.contentSecurityPolicy = csp ?? DeploymentSettings.defaultContentSecurityPolicy
        var all = findings + DeploymentCheck.run(settings)
        // The board's admin: off loopback, the first account is no longer the admin.
        if !IPAddress.isLoopback(host: settings.hostname), (environment["RAMPART_ADMIN"] ?? "").isEmpty {
            all.append(DeploymentFinding(severity: .warning, id: "admin.unset",
                                         message: "no admin is set: set RAMPART_ADMIN=username or run `rampart admin grant USER` (off loopback the first account does not become admin)"))
        }
        return all
    }

    /// The flags (or their `RAMPART_*` variables) as given, unvalidated, for when the
    /// configuration is refused: the rules can still say what else is wrong.
    func rawSettings(environment: [String: String]) -> DeploymentSettings {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let proxies = options.trustedProxies.isEmpty
            ? (env("RAMPART_TRUSTED_PROXIES")?.split(separator: ",").map { String(HeaderTrim.trim($0)) } ?? [])
            : options.trustedProxies
        let dataDirectory = options.dataDirectory ?? env("RAMPART_DATA_DIR") ?? ".rampart"
        return DeploymentSettings(
            hostname: options.host ?? env("RAMPART_HOST") ?? "127.0.0.1",
            port: options.port ?? env("RAMPART_PORT").flatMap { Int($0) } ?? 5000,
            trustedProxies: proxies,
            allowsInsecureHTTP: options.allowInsecureHTTP || ["1", "true", "yes"].contains(env("RAMPART_ALLOW_INSECURE_HTTP")?.lowercased() ?? ""),
            tlsCertificatePath: options.tlsCertificate ?? env("RAMPART_TLS_CERT"),
            tlsKeyPath: options.tlsKey ?? env("RAMPART_TLS_KEY"),
            keyFilePath: DevCertCommand.join(dataDirectory, "keys")
        )
    }

    /// One line per finding, then a summary line.
    static func report(_ findings: [DeploymentFinding]) -> [String] {
        var lines = findings.map(\.description)
        func count(_ severity: DeploymentFinding.Severity, _ noun: String) -> String {
            let n = findings.filter { $0.severity == severity }.count
            return "\(n) \(noun)\(n == 1 || noun == "info" ? "" : "s")"
        }
        lines.append(findings.isEmpty
            ? "rampart check: no issues found."
            : "rampart check: \(count(.error, "error")), \(count(.warning, "warning")), \(count(.info, "info")).")
        return lines
    }

    func run() throws {
        let findings = findings(environment: KeyRing.processEnvironment)
        for line in Self.report(findings) {
            print(line)
        }
        if DeploymentCheck.hasErrors(findings) {
            throw ExitCode.failure
        }
    }
}

/// Space trimming for comma-separated lists, without Foundation.
private enum HeaderTrim {
    static func trim(_ s: Substring) -> Substring {
        var t = s
        while t.first == " " || t.first == "\t" { t = t.dropFirst() }
        while t.last == " " || t.last == "\t" { t = t.dropLast() }
        return t
    }
}
