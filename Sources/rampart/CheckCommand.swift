import ArgumentParser
import Rampart
import RampartApp
import RampartAudit

/// `rampart check`: lints the settings a deployment would run with, in the style of Django's
/// `check --deploy`, and exits non-zero when any finding is an error.
///
/// It takes the flags of `rampart serve` (and their `RAMPART_*` variables), plus the header
/// values you would deploy. It lints exactly what `rampart serve` would be built from
/// (``ServeOptions/settings(environment:onBadValue:)``): the header rules live in `RampartAudit`
/// (``DeploymentCheck``) and the server, key-file, database and admin rules next to the app's
/// configuration, in `RampartApp`. Settings that `rampart serve` would refuse outright are
/// reported as `config.invalid`, and the other rules still run on the values as given.
///
/// See [Django: check --deploy](https://docs.djangoproject.com/en/stable/ref/django-admin/#cmdoption-check-deploy).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check deployment settings for security mistakes (exits non-zero on errors)."
    )

    @OptionGroup var options: ServeOptions

    @Option(
        name: .customLong("hsts"),
        help: "The Strict-Transport-Security value to check (default: the one rampart serve sends, max-age=63072000; includeSubDomains)."
    )
    var hsts: String?

    @Option(
        name: .customLong("csp"),
        help: "The Content-Security-Policy value to check (default: the one rampart serve sends, Rampart's strict preset)."
    )
    var csp: String?

    /// Every finding for these flags. `environment` supplies the `RAMPART_*` variables,
    /// `RAMPART_KEYS` and `RAMPART_ADMIN`; the file system says whether the key file's folder
    /// is memory-backed.
    func findings(environment: [String: String]) -> [DeploymentFinding] {
        var findings: [DeploymentFinding] = []
        do {
            // Exactly what `rampart serve` would do.
            _ = try options.configuration(environment: environment)
        } catch {
            let message = (error as? ValidationError)?.message ?? String(describing: error)
            findings.append(DeploymentFinding(severity: .error, id: "config.invalid", message: "rampart serve would refuse to start: \(message)"))
        }
        // The same settings, with any value that could not be read left at its default.
        let settings = options.settings(environment: environment, onBadValue: { _ in })
        return findings + DeploymentCheck.run(settings, strictTransportSecurity: hsts, contentSecurityPolicy: csp)
    }

    /// One line per finding, then a summary line.
    static func report(_ findings: [DeploymentFinding]) -> [String] {
        var lines = findings.map(\.description)
        func count(_ severity: DeploymentFinding.Severity, _ noun: String) -> String {
            let n = findings.filter { $0.severity == severity }.count
            return "\(n) \(noun)\(n == 1 || noun == "info" ? "" : "s")"
        }
        lines.append(
            findings.isEmpty
                ? "rampart check: no issues found."
                : "rampart check: \(count(.error, "error")), \(count(.warning, "warning")), \(count(.info, "info"))."
        )
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
