import GRDB

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Rampart

/// The embedded default session store: SQLite through GRDB, in WAL mode.
///
/// Rows are keyed by ``SessionStoreKey`` (an HMAC of the id). Values are stored as one JSON
/// object per session; updates apply only the keys a request changed, inside one write
/// transaction, so concurrent requests lose no write (last write wins per key). An update to a
/// deleted session is dropped. The schema is migrated on open.
///
/// See [SQLite: Write-Ahead Logging](https://www.sqlite.org/wal.html) and
/// [GRDB: DatabasePool](https://swiftpackageindex.com/groue/grdb.swift/documentation/grdb/databasepool).
public final class SQLiteSessionStore: SessionStore {
    let database: RampartDatabase

    /// Opens (creating if needed) the store in the database at `path`, for example
    /// `.rampart/rampart.sqlite`.
    public convenience init(path: String) throws {
        self.init(database: try RampartDatabase(path: path))
    }

    /// Uses an already open database.
    public init(database: RampartDatabase) {
        self.database = database
    }

    public func load(_ key: SessionStoreKey) async throws -> SessionRecord? {
        try await database.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT user_id, csrf_secret, "values", created_at, last_seen_at FROM rampart_sessions
                WHERE key = ?
                """, arguments: [key.rawValue])
            else { return nil }
            return try Self.record(from: row)
        }
    }

    @discardableResult
    public func save(_ key: SessionStoreKey, _ write: SessionWrite) async throws -> Bool {
        try await database.pool.write { db in
            switch write {
            case .create(let record, let expiresAt):
                try db.execute(sql: """
                    INSERT OR REPLACE INTO rampart_sessions (key, user_id, csrf_secret, "values", created_at, last_seen_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [key.rawValue, record.userID, Data(record.csrfSecret), try SessionValueCoding.encode(record.values), record.createdAt, record.lastSeenAt, expiresAt])
                return true
            case .update(let values, let lastSeenAt, let expiresAt):
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT user_id, csrf_secret, "values", created_at, last_seen_at FROM rampart_sessions WHERE key = ?
                    """, arguments: [key.rawValue])
                else { return false }
                var record = try Self.record(from: row)
                record.apply(values: values, lastSeenAt: lastSeenAt)
                try db.execute(sql: """
                    UPDATE rampart_sessions SET "values" = ?, last_seen_at = ?, expires_at = MAX(expires_at, ?) WHERE key = ?
                    """, arguments: [try SessionValueCoding.encode(record.values), record.lastSeenAt, expiresAt, key.rawValue])
                return true
            }
        }
    }

    public func delete(_ key: SessionStoreKey) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM rampart_sessions WHERE key = ?", arguments: [key.rawValue])
        }
    }

    @discardableResult
    public func deleteAll(forUser userID: String) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM rampart_sessions WHERE user_id = ?", arguments: [userID])
            return db.changesCount
        }
    }

    @discardableResult
    public func purgeExpired(now: Int64) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM rampart_sessions WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }

    static func record(from row: Row) throws -> SessionRecord {
        let secret: Data = row["csrf_secret"]
        let values: Data = row["values"]
        return SessionRecord(
            userID: row["user_id"],
            csrfSecret: Array(secret),
            values: try SessionValueCoding.decode(values),
            createdAt: row["created_at"],
            lastSeenAt: row["last_seen_at"]
        )
    }
}
