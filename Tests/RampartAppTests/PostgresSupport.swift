import Foundation
import Logging
import PostgresNIO
import Rampart
import RampartApp
import RampartPostgres
import Testing

/// The PostgreSQL server the app tests share: `RAMPART_TEST_POSTGRES_URL`, exported by `.ci/run`.
/// Each test works in a schema of its own, selected with the URL's `search_path`.
enum AppTestPostgres {
    static let url: String? = ProcessInfo.processInfo.environment["RAMPART_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static var logger: Logger {
        var logger = Logger(label: "rampart.test.postgres")
        // PostgresNIO warns when a query is queued before the pool's run() task has started;
        // here that is expected (the pool starts in a task just before the first query).
        logger.logLevel = .error
        return logger
    }

    /// Creates an empty schema and returns a URL that selects it.
    static func freshSchemaURL(base: String? = nil) async throws -> String {
        let url = try #require(base ?? Self.url)
        let schema = "rampart_app_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try RampartPostgresDatabase(url: url, maximumConnections: 1, logger: logger)
        let pool = Task { _ = try? await admin.run() }
        defer { pool.cancel() }
        // The schema name is generated here from a UUID, never from input.
        try await admin.client.query(.init(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        return url + (url.contains("?") ? "&" : "?") + "search_path=" + schema
    }

    /// A migrated database (Rampart's and the app's tables) in a fresh schema, its pool running.
    static func freshDatabase() async throws -> RampartPostgresDatabase {
        // Small pools: the whole suite runs in parallel against one server (max_connections).
        let database = try RampartPostgresDatabase(url: try await freshSchemaURL(), maximumConnections: 4, logger: logger)
        Task { _ = try? await database.run() }
        try await database.migrate(RampartPostgresDatabase.rampartMigrations + PostgresAppRepository.migrations)
        return database
    }
}
