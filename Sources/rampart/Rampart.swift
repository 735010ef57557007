import ArgumentParser
import Hummingbird
import Logging
import RampartApp

/// The `rampart` command-line tool.
@main
struct RampartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart",
        abstract: "Rampart: secure-by-default web security for Swift servers.",
        subcommands: [Serve.self, Audit.self],
        defaultSubcommand: Serve.self
    )
}

/// `rampart serve`: serves the reference application.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the reference application (the default command)."
    )

    @Option(name: .long, help: "The address to listen on.")
    var hostname: String = "127.0.0.1"

    @Option(name: .shortAndLong, help: "The port to listen on.")
    var port: Int = 5000

    @Option(name: .customLong("allowed-host"), help: "A host to answer for (repeatable): example.com, .example.com, *.example.com, host:port. Loopback names are always allowed on a loopback address.")
    var allowedHosts: [String] = []

    @Option(name: .customLong("trusted-proxy"), help: "A reverse proxy's address or CIDR range whose X-Forwarded-Proto and Forwarded headers are believed (repeatable).")
    var trustedProxies: [String] = []

    @Flag(name: .customLong("allow-insecure-http"), help: "Serve plain HTTP without redirecting to HTTPS on a non-loopback address.")
    var allowInsecureHTTP = false

    @Option(name: .customLong("https-port"), help: "The port to use in redirects to HTTPS (default 443).")
    var httpsPort: Int?

    @Option(name: .customLong("data-dir"), help: "The data directory: the SQLite database and, unless RAMPART_KEYS is set, the key file.")
    var dataDirectory: String = ".rampart"

    func makeConfiguration() throws -> AppConfiguration {
        try AppConfiguration(
            hostname: hostname,
            port: port,
            allowedHosts: allowedHosts,
            trustedProxies: trustedProxies,
            allowInsecureHTTP: allowInsecureHTTP,
            httpsPort: httpsPort,
            dataDirectory: dataDirectory
        )
    }

    func run() async throws {
        let configuration: AppConfiguration
        do {
            configuration = try makeConfiguration()
        } catch {
            throw ValidationError("\(error)")
        }
        var logger = Logger(label: "rampart")
        logger.logLevel = .info
        let app = try buildApplication(configuration, logger: logger)
        try await app.runService()
    }
}
