import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Rampart
import ServiceLifecycle
import Synchronization

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
    /// The deadlines of operations and the `Retry-After` of a 503.
    public let timeouts: PostgresTimeouts
    /// The URL with its password removed, for logs.
    public let redactedURL: String
    /// Whether the last operation reached the server.
    let health = Mutex(true)
    /// One direct connection's settings, for the startup check: it reports why a connection
    /// fails at once, where the pool would keep the request queued.
    let probe: PostgresConnection.Configuration

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
        Migration(
            "v1: sessions",
            [
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
            ]
        ),
        Migration(
            "v2: used one-time tokens",
            [
                "CREATE TABLE rampart_used_tokens (id TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)",
                "CREATE INDEX rampart_used_tokens_expiry ON rampart_used_tokens (expires_at)",
            ]
        ),
        // Values become a jsonb object, so an update is one statement (`values - removed ||
        // changes`); the CSRF secret is derived from the session id and no longer stored.
        Migration(
            "v3: jsonb session values, no stored CSRF secret",
            [
                #"ALTER TABLE rampart_sessions ALTER COLUMN "values" TYPE jsonb USING convert_from("values", 'UTF8')::jsonb"#,
                "ALTER TABLE rampart_sessions DROP COLUMN csrf_secret",
            ]
        ),
    ]

    /// Connects to `postgres://user:password@host:port/database?sslmode=…`.
    ///
    /// TLS is required unless the host is a loopback address or `sslmode=disable` is given.
    /// - Parameters:
    ///   - searchPath: A schema to use instead of `public` (tests use one each).
    ///   - timeouts: Operation deadlines (5 s, 1 s while unreachable) and the 503's `Retry-After`.
    ///   - maximumConnections: The pool's size: 20. Every instance opens up to this many, so keep
    ///     instances × size under the server's `max_connections` (100 by default).
    /// - Throws: ``SecurityConfigurationError`` naming `database` (with the password removed) or
    ///   `databasePoolSize`.
    public init(
        url: String,
        searchPath: String? = nil,
        timeouts: PostgresTimeouts = PostgresTimeouts(),
        maximumConnections: Int = 20,
        logger: Logger
    ) throws {
        try Self.validatePoolSize(maximumConnections)
        var parsed = try PostgresURL(url)
        if let searchPath { parsed.searchPath = searchPath }
        var configuration = Self.configuration(parsed)
        configuration.options.maximumConnections = maximumConnections
        self.probe = try Self.probeConfiguration(parsed)
        // A dead connection is noticed within seconds, not at the next query.
        configuration.options.connectTimeout = .seconds(3)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.timeouts = timeouts
        self.redactedURL = Self.redacted(url)
    }

    /// Parses a PostgreSQL URL into a pool configuration.
    ///
    /// `postgres://user:password@host:port/database?sslmode=…&search_path=…`:
    /// - `sslmode`: `disable`, `require` or `verify-full`; both of the latter verify the server's
    ///   certificate and name. Off loopback the default is to require TLS.
    /// - `search_path`: a schema other than `public` (a plain identifier), for several apps in
    ///   one database.
    ///
    /// Any other parameter is refused rather than ignored.
    public static func configuration(url text: String) throws -> PostgresClient.Configuration {
        configuration(try PostgresURL(text))
    }

    /// The pool's settings for a parsed URL.
    static func configuration(_ url: PostgresURL) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: url.usesTLS ? .require(.makeClientConfiguration()) : .disable
        )
        if let schema = url.searchPath { configuration.options.additionalStartupParameters.append(("search_path", schema)) }
        return configuration
    }

    /// One direct connection's settings for a parsed URL (the startup probe).
    static func probeConfiguration(_ url: PostgresURL) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: url.usesTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        )
        configuration.options.connectTimeout = .seconds(3)
        if let schema = url.searchPath { configuration.options.additionalStartupParameters = [("search_path", schema)] }
        return configuration
    }

    /// Checks a pool size: 1 to 1000.
    /// - Throws: ``SecurityConfigurationError`` naming `databasePoolSize`.
    public static func validatePoolSize(_ size: Int) throws {
        guard (1...1000).contains(size) else {
            throw SecurityConfigurationError(setting: "databasePoolSize", value: String(size), reason: .invalidValue, message: "must be 1 to 1000")
        }
    }

    /// `[a-z_][a-z0-9_]{0,62}`: safe to pass as a schema name.
    public static func isPlainIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first,
            first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return bytes.allSatisfy {
            $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
        }
    }

    /// The URL with any password replaced, for messages and logs.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text) else { return text.contains("@") ? "postgres://…" : text }
        guard url.password != nil else { return text }
        url.percentEncodedPassword = "***"
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
                _ = try await connection.query(
                    "CREATE TABLE IF NOT EXISTS rampart_schema_migrations (identifier TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                    logger: logger
                )
                var applied: Set<String> = []
                for try await identifier in try await connection.query("SELECT identifier FROM rampart_schema_migrations", logger: logger).decode(
                    String.self
                ) {
                    applied.insert(identifier)
                }
                for migration in migrations where !applied.contains(migration.identifier) {
                    try await connection.withTransaction(logger: logger) { transaction in
                        for statement in migration.statements {
                            _ = try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        let now = Int64(Date().timeIntervalSince1970)
                        _ = try await transaction.query(
                            "INSERT INTO rampart_schema_migrations (identifier, applied_at) VALUES (\(migration.identifier), \(now))",
                            logger: logger
                        )
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

/// A parsed `postgres://user:password@host:port/database?sslmode=…&search_path=…` URL.
///
/// - `sslmode`: `disable`, `require` or `verify-full`; both of the latter verify the server's
///   certificate and name. Without it, TLS is required unless the host is a loopback address.
/// - `search_path`: a schema other than `public` (a plain identifier).
///
/// Any other parameter is refused rather than ignored. The password is kept for connecting and
/// never shown: ``description`` replaces it with `***`.
///
/// See [PostgreSQL: connection URIs](https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS).
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The server's host name or address.
    public let host: String
    /// The port: 5432 unless given.
    public let port: Int
    /// The user.
    public let username: String
    /// The database.
    public let database: String
    /// A schema to use instead of `public`.
    public var searchPath: String?
    /// Whether connections use TLS (with certificate verification).
    public let usesTLS: Bool
    /// Whether the host is a loopback address, where traffic never leaves the machine.
    public let isLoopback: Bool
    let password: String?
    let text: String

    /// Parses a URL.
    /// - Throws: ``SecurityConfigurationError`` naming `database`, with the password removed.
    public init(_ text: String) throws {
        func refuse(_ message: String) -> SecurityConfigurationError {
            SecurityConfigurationError(setting: "database", value: RampartPostgresDatabase.redacted(text), reason: .invalidValue, message: message)
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw refuse("expected postgres://user:password@host:port/database")
        }
        guard let host = url.host, !host.isEmpty else { throw refuse("the URL names no host") }
        guard let user = url.user, !user.isEmpty else { throw refuse("the URL names no user") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw refuse("the URL names no database") }
        var sslmode: String?
        var searchPath: String?
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, ["disable", "require", "verify-full"].contains(value) else {
                    throw refuse("sslmode must be disable, require or verify-full")
                }
                sslmode = value
            case "search_path":
                guard let schema = item.value, RampartPostgresDatabase.isPlainIdentifier(schema) else {
                    throw refuse("search_path must be a plain identifier (letters, digits, _; up to 63)")
                }
                searchPath = schema
            default:
                throw refuse("unknown URL parameter '\(item.name)'; only sslmode and search_path are understood")
            }
        }
        self.host = host
        self.port = url.port ?? 5432
        self.username = user
        self.password = url.password
        self.database = database
        self.searchPath = searchPath
        self.isLoopback = IPAddress.isLoopback(host: host)
        self.usesTLS = sslmode.map { $0 != "disable" } ?? !isLoopback
        self.text = text
    }

    /// The URL with its password replaced by `***`.
    public var description: String { RampartPostgresDatabase.redacted(text) }
    /// The same as ``description``.
    public var debugDescription: String { description }
}
