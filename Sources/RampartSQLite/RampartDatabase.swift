import GRDB
import Rampart

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Rampart's SQLite database: one file (`.rampart/rampart.sqlite` by default) in WAL mode,
/// with a versioned schema migrated when it is opened.
///
/// See [SQLite: Write-Ahead Logging](https://www.sqlite.org/wal.html) and
/// [GRDB: Migrations](https://swiftpackageindex.com/groue/grdb.swift/documentation/grdb/migrations).
public final class RampartDatabase: Sendable {
    /// The default path, inside the data directory.
    public static let defaultPath = ".rampart/rampart.sqlite"

    let pool: DatabasePool

    /// The GRDB pool, for an application's own tables (see ``Migration``).
    public var writer: DatabasePool { pool }

    /// A schema migration an application adds after Rampart's own, run once, in order, at open.
    ///
    /// See [GRDB Migrations](https://swiftpackageindex.com/groue/grdb.swift/documentation/grdb/migrations).
    public struct Migration: Sendable {
        /// A unique, stable name (recorded in `grdb_migrations`).
        public let identifier: String
        /// The schema change.
        public let migrate: @Sendable (Database) throws -> Void

        /// Creates a migration.
        public init(_ identifier: String, migrate: @escaping @Sendable (Database) throws -> Void) {
            self.identifier = identifier
            self.migrate = migrate
        }
    }

    /// Opens the database at `path`, creating its folder (mode 0700) and file (mode 0600; SQLite
    /// gives its `-wal` and `-shm` files the same mode) if needed, and migrates the schema.
    /// - Throws: ``SecurityConfigurationError`` naming `database` when the file, or its `-wal`
    ///   or `-shm` file, can be read or written by group or others (sessions and password hashes
    ///   live there): `chmod 600` fixes it.
    public init(path: String, migrations: [Migration] = []) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Self.preparePrivateFile(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        var migrator = Self.migrator
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.migrate)
        }
        try migrator.migrate(pool)
    }

    /// Creates the file with mode 0600 if it is missing; refuses an existing file (or its WAL
    /// and shared-memory files) that group or others can access.
    static func preparePrivateFile(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            return
        }
        guard errno == EEXIST else {
            throw SecurityConfigurationError(setting: "database", value: path, reason: .invalidValue, message: "cannot be created (errno \(errno))")
        }
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            guard stat(file, &info) == 0 else { continue }
            if info.st_mode & 0o077 != 0 {
                throw SecurityConfigurationError(
                    setting: "database",
                    value: file,
                    reason: .invalidValue,
                    message: "is readable or writable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 on it"
                )
            }
        }
    }

    /// The journal mode in force, `wal` for a pool.
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: sessions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rampart_sessions (
                        key TEXT PRIMARY KEY NOT NULL,
                        user_id TEXT,
                        csrf_secret BLOB NOT NULL,
                        "values" BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        last_seen_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX rampart_sessions_user ON rampart_sessions (user_id);
                    CREATE INDEX rampart_sessions_expiry ON rampart_sessions (expires_at);
                    """
            )
        }
        migrator.registerMigration("v2: used one-time tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rampart_used_tokens (
                        id TEXT PRIMARY KEY NOT NULL,
                        expires_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX rampart_used_tokens_expiry ON rampart_used_tokens (expires_at);
                    """
            )
        }
        migrator.registerMigration("v3: CSRF secrets derived, not stored") { db in
            // The secret is now HMAC(csrf key, id); the stored copies are dropped.
            try db.execute(sql: "ALTER TABLE rampart_sessions DROP COLUMN csrf_secret")
        }
        return migrator
    }
}
