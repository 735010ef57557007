import GRDB
import Rampart

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The embedded default session store: SQLite through GRDB, in WAL mode, with a bounded
/// in-process cache of session records.
///
/// Rows are keyed by ``SessionStoreKey`` (an HMAC of the id). Values are stored as one JSON
/// object per session; updates apply only the keys a request changed, inside one write
/// transaction, so concurrent requests lose no write (last write wins per key). An update to a
/// deleted session is dropped. The schema is migrated on open.
///
/// **The cache.** One process owns an SQLite file, so a write-through cache of records in that
/// process is exact: a cache hit answers a load with no query and no thread hop; every write
/// and delete updates the cache after it commits, so "log out everywhere" and deletion stay
/// immediate; memory is bounded by ``SessionCacheLimits`` (least recently used records go
/// first). Turn it off (``SessionCacheLimits/off``) if another process writes the same file.
///
/// See [SQLite: Write-Ahead Logging](https://www.sqlite.org/wal.html) and
/// [GRDB: DatabasePool](https://swiftpackageindex.com/groue/grdb.swift/documentation/grdb/databasepool).
public final class SQLiteSessionStore: SessionStore {
    let database: RampartDatabase
    let cache: SessionCache?

    /// Opens (creating if needed) the store in the database at `path`, for example
    /// `.rampart/rampart.sqlite`.
    public convenience init(path: String, cache: SessionCacheLimits = .standard) throws {
        self.init(database: try RampartDatabase(path: path), cache: cache)
    }

    /// Uses an already open database.
    public init(database: RampartDatabase, cache: SessionCacheLimits = .standard) {
        self.database = database
        self.cache = cache.entries > 0 ? SessionCache(limits: cache) : nil
    }

    /// The cache's size and hit rate; `nil` when it is off.
    public var cacheStatistics: SessionCacheStatistics? { cache?.statistics }

    static let selectSQL = #"SELECT user_id, "values", created_at, last_seen_at, expires_at FROM rampart_sessions WHERE key = ?"#

    public func load(_ key: SessionStoreKey) async throws -> SessionRecord? {
        let generation: UInt64
        if let cache {
            let (cached, current) = cache.lookup(key)
            if let cached { return cached }
            generation = current
        } else {
            generation = 0
        }
        let found = try await database.pool.read { db in try Self.select(db, key) }
        if let cache, let (record, expiresAt) = found {
            cache.fill(key, record, expiresAt: expiresAt, generation: generation)
        }
        return found?.record
    }

    @discardableResult
    public func save(_ key: SessionStoreKey, _ write: SessionWrite) async throws -> Bool {
        try await database.pool.writeWithoutTransaction { db in
            var written: (record: SessionRecord, expiresAt: Int64)?
            try db.inTransaction(.immediate) {
                switch write {
                case .create(let record, let expiresAt):
                    if let (stored, storedExpiry) = try Self.select(db, key) {
                        // Two requests of one anonymous session storing their first values at once.
                        var merged = stored
                        merged.merge(created: record)
                        try Self.update(db, key, merged, expiresAt: max(storedExpiry, expiresAt))
                        written = (merged, max(storedExpiry, expiresAt))
                    } else {
                        try db.cachedStatement(
                            sql: """
                                INSERT INTO rampart_sessions (key, user_id, "values", created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                                """
                        ).execute(arguments: [
                            key.rawValue, record.userID, try SessionValueCoding.encode(record.values),
                            record.createdAt, record.lastSeenAt, expiresAt,
                        ])
                        written = (record, expiresAt)
                    }
                case .update(let values, let lastSeenAt, let expiresAt):
                    guard let (stored, storedExpiry) = try Self.select(db, key) else { return .commit }
                    var record = stored
                    record.apply(values: values, lastSeenAt: lastSeenAt)
                    try Self.update(db, key, record, expiresAt: max(storedExpiry, expiresAt))
                    written = (record, max(storedExpiry, expiresAt))
                }
                return .commit
            }
            // Committed: bring the cache in line while this connection is still the only writer.
            if let written { cache?.wrote(key, written.record, expiresAt: written.expiresAt) }
            return written != nil
        }
    }

    public func delete(_ key: SessionStoreKey) async throws {
        try await database.pool.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "DELETE FROM rampart_sessions WHERE key = ?").execute(arguments: [key.rawValue])
            cache?.wrote(key, nil, expiresAt: 0)
        }
    }

    @discardableResult
    public func move(_ old: SessionStoreKey, to new: SessionStoreKey, lastSeenAt: Int64, expiresAt: Int64) async throws -> Bool {
        try await database.pool.writeWithoutTransaction { db in
            var moved: (record: SessionRecord, expiresAt: Int64)?
            try db.inTransaction(.immediate) {
                guard let (stored, storedExpiry) = try Self.select(db, old) else { return .commit }
                var record = stored
                record.lastSeenAt = max(record.lastSeenAt, lastSeenAt)
                let expiry = max(storedExpiry, expiresAt)
                try db.cachedStatement(sql: "DELETE FROM rampart_sessions WHERE key = ?").execute(arguments: [old.rawValue])
                try db.cachedStatement(
                    sql: """
                        INSERT INTO rampart_sessions (key, user_id, "values", created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT(key) DO NOTHING
                        """
                ).execute(arguments: [
                    new.rawValue, record.userID, try SessionValueCoding.encode(record.values),
                    record.createdAt, record.lastSeenAt, expiry,
                ])
                moved = (record, expiry)
                return .commit
            }
            guard let moved else { return false }
            cache?.wrote(old, nil, expiresAt: 0)
            cache?.wrote(new, moved.record, expiresAt: moved.expiresAt)
            return true
        }
    }

    @discardableResult
    public func deleteAll(forUser userID: String) async throws -> Int {
        try await database.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DELETE FROM rampart_sessions WHERE user_id = ?", arguments: [userID])
            let count = db.changesCount
            cache?.removeAll { record, _ in record.userID == userID }
            return count
        }
    }

    @discardableResult
    public func purgeExpired(now: Int64) async throws -> Int {
        try await database.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DELETE FROM rampart_sessions WHERE expires_at <= ?", arguments: [now])
            let count = db.changesCount
            cache?.removeAll { _, expiresAt in expiresAt <= now }
            return count
        }
    }

    static func select(_ db: Database, _ key: SessionStoreKey) throws -> (record: SessionRecord, expiresAt: Int64)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: selectSQL), arguments: [key.rawValue]) else { return nil }
        let values: Data = row[1]
        return (SessionRecord(userID: row[0], values: try SessionValueCoding.decode(values), createdAt: row[2], lastSeenAt: row[3]), row[4])
    }

    static func update(_ db: Database, _ key: SessionStoreKey, _ record: SessionRecord, expiresAt: Int64) throws {
        try db.cachedStatement(
            sql: """
                UPDATE rampart_sessions SET user_id = ?, "values" = ?, last_seen_at = ?, expires_at = ? WHERE key = ?
                """
        ).execute(arguments: [record.userID, try SessionValueCoding.encode(record.values), record.lastSeenAt, expiresAt, key.rawValue])
    }
}
