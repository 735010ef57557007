import ArgumentParser
import Rampart

/// `rampart check`: lints the settings a deployment would run with, in the style of Django's
/// `check --deploy`, and exits non-zero when any finding is an error.
///
/// It takes the flags of `rampart serve`, plus the header values you would deploy. The rules
/// live in the core, in ``DeploymentCheck``.
///
/// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check deployment settings for security mistakes (exits non-zero on errors)."
    )

    @Option(name: [.customLong("hostname"), .customLong("host")], help: "The address the server listens on.")
    var hostname: String = "127.0.0.1"

    @Option(name: .shortAndLong, help: "The port the server listens on.")
    var port: Int = 5000

    @Option(name: .customLong("data-dir"), help: "The data directory: the SQLite database and, unless RAMPART_KEYS is set, the key file.")
    var dataDirectory: String = ".rampart"

    @Option(name: .customLong("trusted-proxy"), help: "A reverse proxy's address or CIDR range (repeatable).")
    var trustedProxies: [String] = []

    @Flag(name: .customLong("allow-insecure-http"), help: "Plain HTTP is served without redirecting to HTTPS.")
    var allowInsecureHTTP = false

    @Option(name: .customLong("tls-cert"), help: "The TLS certificate chain (PEM), when the server terminates TLS itself.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The TLS private key (PEM).")
    var tlsKey: String?

    @Option(name: .customLong("hsts"), help: "The Strict-Transport-Security value to check (default: Rampart's, max-age=63072000; includeSubDomains).")
    var hsts: String?

    @Option(name: .customLong("csp"), help: "The Content-Security-Policy value to check (default: Rampart's strict preset).")
    var csp: String?

    /// The settings to check. `environment` is only asked whether `RAMPART_KEYS` is set, and
    /// the file system whether the key file's folder is memory-backed.
    func makeSettings(environment: [String: String]) -> DeploymentSettings {
        let keyFile = DevCertCommand.join(dataDirectory, "keys")
        return DeploymentSettings(
            hostname: hostname,
            port: port,
            trustedProxies: trustedProxies,
            allowsInsecureHTTP: allowInsecureHTTP,
            tlsCertificatePath: tlsCertificate,
            tlsKeyPath: tlsKey,
            keysFromEnvironment: !(environment[KeyRing.environmentVariable] ?? "").isEmpty,
            keyFilePath: keyFile,
            keyFileIsOnTemporaryFilesystem: DeploymentCheck.isOnTemporaryFilesystem(keyFile),
            strictTransportSecurity: hsts ?? DeploymentSettings.defaultStrictTransportSecurity,
            contentSecurityPolicy: csp ?? DeploymentSettings.defaultContentSecurityPolicy
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
        let findings = DeploymentCheck.run(makeSettings(environment: KeyRing.processEnvironment))
        for line in Self.report(findings) {
            print(line)
        }
        if DeploymentCheck.hasErrors(findings) {
            throw ExitCode.failure
        }
    }
}
