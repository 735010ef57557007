import ArgumentParser
import Foundation
import Logging
import Rampart
import RampartBoard
import RampartVaporBoard
import Vapor

/// `rampart-vapor`: the reference board on Vapor 4, with the same flags, `RAMPART_*`
/// variables, templates and storage as `rampart serve` (which serves it on Hummingbird).
@main
struct RampartVaporCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart-vapor",
        abstract: "The Rampart reference board on Vapor 4.",
        subcommands: [Serve.self, Routes.self],
        defaultSubcommand: Serve.self
    )

    /// `rampart-vapor serve`.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the reference board on Vapor (the default command).",
            discussion: "The same flags and RAMPART_* variables as `rampart serve`. Stops gracefully on SIGINT and SIGTERM."
        )

        @OptionGroup var options: ServeOptions

        func run() async throws {
            let configuration = try options.configuration()
            let level = try options.level()
            var environment = Environment(name: "production", arguments: ["rampart-vapor", "serve"])
            try LoggingSystem.bootstrap(from: &environment) { _ in { label in StreamLogHandler.standardError(label: label) } }
            let app = try await Application.make(environment)
            app.logger.logLevel = level
            do {
                try await VaporBoard.configure(app, configuration)
                let host = configuration.hostname.contains(":") ? "[\(configuration.hostname)]" : configuration.hostname
                print(
                    "Rampart board (Vapor) on \(configuration.tls == nil ? "http" : "https")://\(host):\(configuration.port)/ (\(configuration.database)); Ctrl-C stops it"
                )
                fflush(nil)
                try await app.execute()
            } catch {
                try? await app.asyncShutdown()
                if let error = error as? SecurityConfigurationError { throw ValidationError(error.description) }
                throw error
            }
            try await app.asyncShutdown()
        }
    }

    /// `rampart-vapor routes`: what `rampart routes` lists, as registered on Vapor.
    struct Routes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the board's routes on Vapor with their CSRF mode and CSP, as JSON.")

        func run() async throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-vapor-routes-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let configuration = try AppConfiguration(
                dataDirectory: scratch,
                environment: [KeyRing.environmentVariable: SecretKey.generate().exportBase64URL()]
            )
            let app = try await Application.make(.testing)
            app.logger.logLevel = .error
            let routes = try await VaporBoard.configure(app, configuration)
            try await app.asyncShutdown()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(routes), as: UTF8.self))
        }
    }
}
