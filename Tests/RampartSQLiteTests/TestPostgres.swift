import Foundation
import Logging
import PostgresNIO
import Rampart
import RampartPostgres
import Testing

/// The PostgreSQL server the tests run against: `RAMPART_TEST_POSTGRES_URL`, which `.ci/run`
/// exports after starting Debian's PostgreSQL on loopback. Each store gets a schema of its own.
enum TestPostgres {
    static let url: String? = ProcessInfo.processInfo.environment["RAMPART_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// A fresh schema with Rampart's tables (the given migrations), its pool running for the rest
    /// of the test process.
    static func freshDatabase(
        migrations: [RampartPostgresDatabase.Migration] = RampartPostgresDatabase.rampartMigrations
    ) async throws -> RampartPostgresDatabase {
        let url = try #require(url)
        let schema = "rampart_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        var logger = Logger(label: "rampart.test.postgres")
        logger.logLevel = .warning
        let admin = try RampartPostgresDatabase(url: url, maximumConnections: 1, logger: logger)
        let adminTask = Task { try await admin.run() }
        // The schema name is generated here from a UUID, never from input.
        try await admin.client.query(.init(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        adminTask.cancel()
        // Small pools: the whole suite runs in parallel against one server (max_connections).
        let database = try RampartPostgresDatabase(url: url, searchPath: schema, maximumConnections: 4, logger: logger)
        Task { try await database.run() }
        try await database.migrate(migrations)
        return database
    }
}

@Suite("PostgreSQL availability")
struct PostgresAvailabilityTests {
    /// Visible in the test log: on a developer machine without PostgreSQL the PostgreSQL cases
    /// are skipped; in CI the variable must be set.
    @Test(
        "PostgreSQL store tests run (RAMPART_TEST_POSTGRES_URL is set)",
        .enabled(
            if: TestPostgres.url != nil || ProcessInfo.processInfo.environment["CI"] != nil,
            "RAMPART_TEST_POSTGRES_URL is unset: the PostgreSQL store cases are skipped"
        )
    )
    func configured() {
        #expect(TestPostgres.url != nil, "CI must export RAMPART_TEST_POSTGRES_URL")
    }

    @Test(
        "URLs: TLS unless loopback or sslmode=disable; bad URLs name the setting without the password",
        arguments: [
            ("postgres://rampart:secret@db.example:6543/board", true),
            ("postgres://rampart:secret@127.0.0.1/board", false),
            ("postgresql://rampart@db.example/board?sslmode=disable", false),
        ]
    )
    func urls(_ url: String, _ tls: Bool) throws {
        let configuration = try RampartPostgresDatabase.configuration(url: url)
        #expect(configuration.username == "rampart")
        #expect(configuration.database == "board")
        #expect(String(describing: configuration.tls).contains("disable") != tls)
    }

    @Test("PostgresURL: parts, TLS by default off loopback, search_path, password never shown")
    func parsedURL() throws {
        let remote = try PostgresURL("postgres://rampart:s3cret@db.internal:6543/board?search_path=tenant_1")
        #expect(remote.host == "db.internal" && remote.port == 6543 && remote.username == "rampart" && remote.database == "board")
        #expect(remote.searchPath == "tenant_1")
        #expect(remote.usesTLS && !remote.isLoopback)
        #expect(remote.description == "postgres://rampart:***@db.internal:6543/board?search_path=tenant_1")
        #expect(!String(reflecting: remote).contains("s3cret"))
        let local = try PostgresURL("postgresql://rampart@localhost/board")
        #expect(local.port == 5432 && local.isLoopback && !local.usesTLS)
        #expect(try PostgresURL("postgres://rampart@127.0.0.1/board?sslmode=require").usesTLS)
        #expect(try !PostgresURL("postgres://rampart@db.internal/board?sslmode=disable").usesTLS)
        #expect(throws: SecurityConfigurationError.self) { try PostgresURL("postgres://rampart@db/board?search_path=a;drop") }
        #expect(throws: SecurityConfigurationError.self) { try PostgresURL("postgres://rampart@db/board?application_name=x") }
    }

    @Test(
        "a bad URL is a configuration error naming database, without the password",
        arguments: [
            "mysql://u:secret@h/d", "postgres://u:secret@h/", "postgres://:secret@h/d", "postgres://u:secret@h/d?sslmode=maybe",
        ]
    )
    func badURLs(_ url: String) {
        let error = #expect(throws: SecurityConfigurationError.self) { try RampartPostgresDatabase.configuration(url: url) }
        #expect(error?.setting == "database")
        #expect(error?.description.contains("secret") == false)
    }
}

@Suite("PostgreSQL migrations and purges")
struct PostgresMigrationTests {
    @Test(
        "a schema from before v3 migrates: values become jsonb, the stored CSRF secret goes, sessions stay",
        .enabled(if: TestPostgres.url != nil, "RAMPART_TEST_POSTGRES_URL is unset")
    )
    func migratesFromV2() async throws {
        let database = try await TestPostgres.freshDatabase(migrations: Array(RampartPostgresDatabase.rampartMigrations.prefix(2)))
        var logger = Logger(label: "rampart.test.postgres")
        logger.logLevel = .warning
        let schema =
            try await database.client.query("SELECT current_schema()").decode(String.self).reduce(into: [String]()) { $0.append($1) }.first ?? ""
        let values = ByteBuffer(string: #"{"x":"AQI="}"#)
        let secret = ByteBuffer(bytes: [UInt8](repeating: 9, count: 32))
        try await database.client.query(
            """
            INSERT INTO rampart_sessions (key, user_id, csrf_secret, "values", created_at, last_seen_at, expires_at)
            VALUES ('old', 'u', \(secret), \(values), 1000, 1000, 9000)
            """,
            logger: logger
        )
        try await database.migrate()
        let store = PostgresSessionStore(database: database, logger: logger)
        #expect(
            try await store.load(SessionStoreKey(rawValue: "old"))
                == SessionRecord(userID: "u", values: ["x": [1, 2]], createdAt: 1000, lastSeenAt: 1000)
        )
        // One statement now updates it, keeping the old value.
        #expect(try await store.save(SessionStoreKey(rawValue: "old"), .update(values: ["y": [3]], lastSeenAt: 1100, expiresAt: 9000)))
        #expect(try await store.load(SessionStoreKey(rawValue: "old"))?.values == ["x": [1, 2], "y": [3]])
        let columns = try await database.client.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = \(schema) AND table_name = 'rampart_sessions'"
        )
        .decode(String.self).reduce(into: [String]()) { $0.append($1) }
        #expect(!columns.contains("csrf_secret"))
    }

    @Test(
        "two instances migrating at once apply each migration exactly once (advisory lock)",
        .enabled(if: TestPostgres.url != nil, "RAMPART_TEST_POSTGRES_URL is unset")
    )
    func concurrentMigrations() async throws {
        let first = try await TestPostgres.freshDatabase()
        // Same schema, a second pool: find the schema through the first one.
        let schema = try await first.client.query("SELECT current_schema()").decode(String.self).reduce(into: [String]()) { $0.append($1) }.first
        var logger = Logger(label: "rampart.test.postgres")
        logger.logLevel = .warning
        let second = try RampartPostgresDatabase(
            url: try #require(TestPostgres.url),
            searchPath: try #require(schema),
            maximumConnections: 2,
            logger: logger
        )
        Task { try await second.run() }
        let extra = [RampartPostgresDatabase.Migration("x1: test table", ["CREATE TABLE rampart_test_once (id INT)"])]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await first.migrate(RampartPostgresDatabase.rampartMigrations + extra) }
            group.addTask { try await second.migrate(RampartPostgresDatabase.rampartMigrations + extra) }
            try await group.waitForAll()
        }
        let applied = try await first.client.query("SELECT identifier FROM rampart_schema_migrations ORDER BY identifier")
            .decode(String.self).reduce(into: [String]()) { $0.append($1) }
        #expect(applied == ["v1: sessions", "v2: used one-time tokens", "v3: jsonb session values, no stored CSRF secret", "x1: test table"])
    }

    @Test(
        "a purge skips a table another instance is purging (per-table advisory lock), and runs once it is free",
        .enabled(if: TestPostgres.url != nil, "RAMPART_TEST_POSTGRES_URL is unset")
    )
    func purgesTakeTurns() async throws {
        let database = try await TestPostgres.freshDatabase()
        let store = PostgresUsedTokenStore(database: database)
        #expect(try await store.markUsed("expired", expiresAt: 10))
        #expect(try await store.markUsed("live", expiresAt: 1000))
        var logger = Logger(label: "rampart.test.postgres")
        logger.logLevel = .warning
        try await database.client.withTransaction(logger: logger) { connection in
            // "Another instance" is purging this table: it holds the table's lock.
            _ = try await connection.query(
                "SELECT pg_advisory_xact_lock(\(RampartPostgresDatabase.tableLockClass), 'rampart_used_tokens'::regclass::oid::int4)",
                logger: logger
            )
            #expect(try await store.purgeExpired(now: 100) == 0, "skipped, not blocked")
        }
        #expect(try await store.purgeExpired(now: 100) == 1)
        #expect(try await store.markUsed("live", expiresAt: 1000) == false, "the live row stayed")
        #expect(try await store.markUsed("expired", expiresAt: 1000), "the expired row was purged")
    }
}
