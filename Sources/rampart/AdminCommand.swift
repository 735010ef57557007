import ArgumentParser
import Foundation
import Logging
import RampartApp

/// `rampart admin grant USER` / `rampart admin revoke USER`: makes an account the board's admin
/// or takes it away, on the same storage `rampart serve` would use (SQLite or PostgreSQL).
///
/// Off loopback the first account to register is not the admin (a stranger could take a fresh
/// deployment's dashboard), so admin is an explicit act: this command, or `RAMPART_ADMIN`.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Grant or revoke the board's admin role (same storage flags as serve).",
        subcommands: [Grant.self, Revoke.self]
    )

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an existing account the admin.")
        @OptionGroup var options: ServeOptions
        @Argument(help: "The user name.") var user: String
        func run() async throws { try await AdminCommand.set(user, admin: true, options: options) }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take the admin role from an account.")
        @OptionGroup var options: ServeOptions
        @Argument(help: "The user name.") var user: String
        func run() async throws { try await AdminCommand.set(user, admin: false, options: options) }
    }

    /// Opens the storage, changes the role, and prints one line; an unknown user is an error.
    static func set(_ user: String, admin: Bool, options: ServeOptions) async throws {
        let configuration = try options.configuration()
        var logger = Logger(label: "rampart")
        logger.logLevel = .warning
        let services = try await AppServices(configuration, logger: logger)
        let name = user.lowercased()
        guard try await services.repository.setAdmin(username: name, isAdmin: admin) else {
            throw ValidationError("no account named '\(name)'")
        }
        let count = try await services.repository.adminCount()
        print("\(name) is \(admin ? "now an admin" : "no longer an admin") (\(count) admin\(count == 1 ? "" : "s") in \(configuration.database))")
    }
}
