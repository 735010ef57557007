import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Rampart
import ServiceLifecycle

/// A PostgreSQL database for Rampart's stores, shared by several app instances: a PostgresNIO
/// connection pool, and versioned schema migrations run under an advisory lock so two instances
/// starting together do not race.
///
/// Run it as a service (`run()` drives the pool). Every query is sent with bound parameters
/// (PostgresNIO's extended protocol); no SQL is built from data.
///
/// See [PostgreSQL advisory locks](https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
public final class RampartPostgresDatabase: Service, Sendable {
    /// The connection pool.
    public let client: PostgresClient
    let logger: Logger

    /// The advisory lock key held while migrating ("rampart" in ASCII).
    static let migrationLock: Int64 = 0x72_61_6D_70_61_72_74

    /// A schema migration: a stable identifier and its SQL (constant text, no data).
    public struct Migration: Sendable {
        /// Recorded in `rampart_schema_migrations`.
        public let identifier: String
        /// The statements, run in one transaction.
        public let statements: [String]

        /// Creates a migration.
        public init(_ identifier: String, _ statements: [String]) {
            self.identifier = identifier
            self.statements = statements
        }
    }

    /// Rampart's own tables: sessions and used one-time tokens.
    public static let rampartMigrations: [Migration] = [
        Migration("v1: sessions", [
            """
            CREATE TABLE rampart_sessions (
                key TEXT PRIMARY KEY,
                user_id TEXT,
                csrf_secret BYTEA NOT NULL,
                "values" BYTEA NOT NULL,
                created_at BIGINT NOT NULL,
                last_seen_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX rampart_sessions_user ON rampart_sessions (user_id)",
            "CREATE INDEX rampart_sessions_expiry ON rampart_sessions (expires_at)",
        ]),
        Migration("v2: used one-time tokens", [
            "CREATE TABLE rampart_used_tokens (id TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)",
            "CREATE INDEX rampart_used_tokens_expiry ON rampart_used_tokens (expires_at)",
        ]),
    ]

    /// Connects to `postgres://user:password@host:port/database?sslmode=…`.
    ///
    /// TLS is required unless the host is a loopback address or `sslmode=disable` is given.
    /// - Parameter searchPath: A schema to use instead of `public` (tests use one each).
    /// - Throws: ``SecurityConfigurationError`` naming `database`, with the password removed.
    public init(url: String, searchPath: String? = nil, logger: Logger) throws {
        var configuration = try Self.configuration(url: url)
        if let searchPath { configuration.options.additionalStartupParameters.append(("search_path", searchPath)) }
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Parses a PostgreSQL URL into a pool configuration.
    public static func configuration(url text: String) throws -> PostgresClient.Configuration {
        func refuse(_ message: String) -> SecurityConfigurationError {
            SecurityConfigurationError(setting: "database", value: redacted(text), reason: .invalidValue, message: message)
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw refuse("expected postgres://user:password@host:port/database")
        }
        guard let host = url.host, !host.isEmpty else { throw refuse("the URL names no host") }
        guard let user = url.user, !user.isEmpty else { throw refuse("the URL names no user") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw refuse("the URL names no database") }
        let sslmode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "require"
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host)
        let tls: PostgresClient.Configuration.TLS
        switch sslmode {
        case "disable": tls = .disable
        case "require", "verify-full": tls = loopback && url.queryItems?.contains(where: { $0.name == "sslmode" }) != true ? .disable : .require(.makeClientConfiguration())
        default: throw refuse("sslmode must be disable, require or verify-full")
        }
        return PostgresClient.Configuration(host: host, port: url.port ?? 5432, username: user, password: url.password, database: database, tls: tls)
    }

    /// The URL with any password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "…"
        return url.string ?? "postgres://…"
    }

    /// Drives the connection pool until cancelled.
    public func run() async throws {
        await client.run()
    }

    /// Applies every migration not yet recorded, in order, under an advisory lock held on one
    /// connection: a second instance waits, then finds nothing left to do.
    public func migrate(_ migrations: [Migration] = rampartMigrations) async throws {
        try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
            do {
                _ = try await connection.query("CREATE TABLE IF NOT EXISTS rampart_schema_migrations (identifier TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger)
                var applied: Set<String> = []
                for try await identifier in try await connection.query("SELECT identifier FROM rampart_schema_migrations", logger: logger).decode(String.self) {
                    applied.insert(identifier)
                }
                for migration in migrations where !applied.contains(migration.identifier) {
                    try await connection.withTransaction(logger: logger) { transaction in
                        for statement in migration.statements {
                            _ = try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        let now = Int64(Date().timeIntervalSince1970)
                        _ = try await transaction.query("INSERT INTO rampart_schema_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(now))", logger: logger)
                    }
                    logger.info("Rampart applied a PostgreSQL migration", metadata: ["rampart.migration": .string(migration.identifier)])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                throw error
            }
            _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
        }
    }
}
