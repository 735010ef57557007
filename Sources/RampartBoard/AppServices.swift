import Foundation
import HTTPTypes
import Logging
import Rampart
import RampartPostgres
import RampartSQLite

/// What the reference application runs on: keys, database, stores and the CSRF configuration.
public struct AppServices: Sendable {
    /// The open database.
    public enum Storage: Sendable {
        /// Embedded SQLite: sessions, used tokens and the board's tables in one file.
        case sqlite(RampartDatabase)
        /// A PostgreSQL server shared by every instance.
        case postgres(RampartPostgresDatabase)
    }

    /// The master keys.
    public let keyRing: KeyRing
    /// The database.
    public let storage: Storage
    /// The session store.
    public let sessionStore: any SessionStore
    /// The session manager.
    public let sessions: SessionManager
    /// The used one-time token store.
    public let usedTokens: any UsedTokenStore
    /// The board's data.
    public let repository: any AppRepository
    /// The CSRF configuration.
    public let csrf: CSRFConfiguration
    /// The stores whose expired rows are purged on a schedule (sessions, used tokens, the board's).
    public let purgeableStores: [any PurgeableStore]
    /// The PostgreSQL pool's run loop (when PostgreSQL is used): it runs until cancelled, which the
    /// adapter does after the server has finished its requests.
    public let postgresPool: Task<Void, Never>?
    /// The logger the services were opened with.
    public let logger: Logger

    /// Loads the keys (from `RAMPART_KEYS`, else the key file, creating it on first run) and
    /// opens the database: SQLite, or PostgreSQL after waiting for it to answer (with backoff,
    /// up to ``AppConfiguration/startupRetry``) and migrating under an advisory lock.
    /// - Throws: ``SecurityConfigurationError`` naming `dataDirectory` when the folder cannot be
    ///   created or written, a key error naming the bad entry, or ``DatabaseUnreachableError``.
    public init(_ configuration: AppConfiguration, logger: Logger) async throws {
        try Self.checkWritable(directory: configuration.dataDirectory)
        let (ring, source) = try KeyRing.load(environment: configuration.environment, keyFile: configuration.keyFilePath)
        switch source {
        case .environment:
            logger.info("Rampart keys loaded from RAMPART_KEYS", metadata: ["rampart.keys": "\(ring.all.count)"])
        case .existingFile(let path):
            logger.info("Rampart keys loaded from key file", metadata: ["rampart.keyFile": .string(path)])
        case .createdFile(let path):
            logger.notice("Rampart generated a key and created the key file (mode 0600)", metadata: ["rampart.keyFile": .string(path)])
        }
        keyRing = ring
        self.logger = logger
        switch configuration.database {
        case .sqlite(let path):
            let database = try RampartDatabase(path: path, migrations: SQLiteAppRepository.migrations)
            storage = .sqlite(database)
            postgresPool = nil
            sessionStore = SQLiteSessionStore(database: database)
            usedTokens = SQLiteUsedTokenStore(database: database)
            repository = SQLiteAppRepository(database: database)
        case .postgres(let url):
            let database = try RampartPostgresDatabase(url: url, maximumConnections: configuration.databasePoolSize, logger: logger)
            let pool = Task { _ = try? await database.run() }
            do {
                try await database.waitUntilReachable(retry: configuration.startupRetry, logger: logger)
                try await database.migrate(RampartPostgresDatabase.rampartMigrations + PostgresAppRepository.migrations)
            } catch {
                pool.cancel()
                throw error
            }
            logger.info("Rampart storage: \(configuration.database)")
            storage = .postgres(database)
            sessionStore = PostgresSessionStore(database: database, logger: logger)
            usedTokens = PostgresUsedTokenStore(database: database, logger: logger)
            repository = PostgresAppRepository(database: database, logger: logger)
            postgresPool = pool
        }
        sessions = SessionManager(configuration: try SessionConfiguration(backend: .store(sessionStore)), keyRing: ring)
        csrf = try CSRFConfiguration(
            exemptions: [
                .path("/csp-reports", reason: "browsers send CSP reports without cookies or tokens; it only stores capped, deduplicated reports")
            ],
            oneTimeTokens: try OneTimeTokens(keyRing: ring, actions: ["profile.delete", "profile.export"], store: usedTokens),
            oneTimeRoutes: [.init(.post, "/profile/delete", action: "profile.delete"), .init(.post, "/profile/export", action: "profile.export")],
            maximumFormBytes: 64 * 1024
        )
        purgeableStores = [sessionStore, usedTokens, repository]
    }

    /// Creates the data directory (mode 0700) if needed and checks that it can be written.
    static func checkWritable(directory: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SecurityConfigurationError(
                    setting: "dataDirectory",
                    value: directory,
                    reason: .invalidValue,
                    message: "exists but is not a folder"
                )
            }
        } else {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SecurityConfigurationError(
                    setting: "dataDirectory",
                    value: directory,
                    reason: .invalidValue,
                    message: "cannot be created (check the parent folder's permissions)"
                )
            }
        }
        guard manager.isWritableFile(atPath: directory) else {
            throw SecurityConfigurationError(
                setting: "dataDirectory",
                value: directory,
                reason: .invalidValue,
                message: "is not writable by this user"
            )
        }
    }
}
