import Foundation
import Logging
import NIOCore
import PostgresNIO
import Rampart

/// Sessions in PostgreSQL, shared by every instance.
///
/// A save is atomic: an update locks the row (`SELECT … FOR UPDATE` in a transaction), applies
/// only the keys this request changed, and writes it back, so two concurrent requests on one
/// session both keep their changes (last write wins per key).
///
/// See [PostgreSQL: SELECT FOR UPDATE](https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE).
public final class PostgresSessionStore: SessionStore {
    let database: RampartPostgresDatabase
    let logger: Logger

    /// Uses a migrated database.
    public init(database: RampartPostgresDatabase, logger: Logger = Logger(label: "rampart.postgres")) {
        self.database = database
        self.logger = logger
    }

    public func load(_ key: SessionStoreKey) async throws -> SessionRecord? {
        try await database.perform { [logger] client in
            let rows = try await client.query("""
                SELECT user_id, csrf_secret, "values", created_at, last_seen_at FROM rampart_sessions WHERE key = \(key.rawValue)
                """, logger: logger)
            for try await row in rows.decode((String?, ByteBuffer, ByteBuffer, Int64, Int64).self) {
                return try Self.record(row)
            }
            return nil
        }
    }

    static func record(_ row: (String?, ByteBuffer, ByteBuffer, Int64, Int64)) throws -> SessionRecord {
        SessionRecord(userID: row.0, csrfSecret: Array(row.1.readableBytesView),
                      values: try SessionValueCoding.decode(Data(row.2.readableBytesView)), createdAt: row.3, lastSeenAt: row.4)
    }

    @discardableResult
    public func save(_ key: SessionStoreKey, _ write: SessionWrite) async throws -> Bool {
        switch write {
        case .create(let record, let expiresAt):
            let secret = ByteBuffer(bytes: record.csrfSecret)
            let values = ByteBuffer(bytes: try SessionValueCoding.encode(record.values))
            try await database.perform { [logger] client in
                _ = try await client.query("""
                INSERT INTO rampart_sessions (key, user_id, csrf_secret, "values", created_at, last_seen_at, expires_at)
                VALUES (\(key.rawValue), \(record.userID), \(secret), \(values), \(record.createdAt), \(record.lastSeenAt), \(expiresAt))
                ON CONFLICT (key) DO UPDATE SET user_id = EXCLUDED.user_id, csrf_secret = EXCLUDED.csrf_secret, "values" = EXCLUDED."values",
                    created_at = EXCLUDED.created_at, last_seen_at = EXCLUDED.last_seen_at, expires_at = EXCLUDED.expires_at
                """, logger: logger)
            }
            return true
        case .update(let changes, let lastSeenAt, let expiresAt):
            let logger = self.logger
            return try await database.perform { client in try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query("""
                    SELECT user_id, csrf_secret, "values", created_at, last_seen_at FROM rampart_sessions WHERE key = \(key.rawValue) FOR UPDATE
                    """, logger: logger)
                var found: SessionRecord?
                for try await row in rows.decode((String?, ByteBuffer, ByteBuffer, Int64, Int64).self) { found = try Self.record(row) }
                guard var record = found else { return false }
                record.apply(values: changes, lastSeenAt: lastSeenAt)
                let values = ByteBuffer(bytes: try SessionValueCoding.encode(record.values))
                try await connection.query("""
                    UPDATE rampart_sessions SET "values" = \(values), last_seen_at = \(record.lastSeenAt), expires_at = GREATEST(expires_at, \(expiresAt))
                    WHERE key = \(key.rawValue)
                    """, logger: logger)
                return true
            } }
        }
    }

    public func delete(_ key: SessionStoreKey) async throws {
        try await database.perform { [logger] client in
            _ = try await client.query("DELETE FROM rampart_sessions WHERE key = \(key.rawValue)", logger: logger)
        }
    }

    @discardableResult
    public func deleteAll(forUser userID: String) async throws -> Int {
        try await database.perform { [logger] client in
            try await count(client.query("DELETE FROM rampart_sessions WHERE user_id = \(userID) RETURNING key", logger: logger))
        }
    }

    @discardableResult
    public func purgeExpired(now: Int64) async throws -> Int {
        try await database.purge(table: "rampart_sessions", "DELETE FROM rampart_sessions WHERE expires_at <= \(now) RETURNING key")
    }
}

/// Used one-time tokens in PostgreSQL: `INSERT … ON CONFLICT DO NOTHING RETURNING`, one atomic
/// statement, so of any number of instances racing on one token exactly one sees a row back.
///
/// See [PostgreSQL: INSERT … ON CONFLICT](https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT).
public final class PostgresUsedTokenStore: UsedTokenStore {
    let database: RampartPostgresDatabase
    let logger: Logger

    /// Uses a migrated database.
    public init(database: RampartPostgresDatabase, logger: Logger = Logger(label: "rampart.postgres")) {
        self.database = database
        self.logger = logger
    }

    public func markUsed(_ id: String, expiresAt: Int64) async throws -> Bool {
        try await database.perform { [logger] client in
            try await count(client.query(
                "INSERT INTO rampart_used_tokens (id, expires_at) VALUES (\(id), \(expiresAt)) ON CONFLICT (id) DO NOTHING RETURNING id",
                logger: logger)) == 1
        }
    }

    @discardableResult
    public func purgeExpired(now: Int64) async throws -> Int {
        try await database.purge(table: "rampart_used_tokens", "DELETE FROM rampart_used_tokens WHERE expires_at <= \(now) RETURNING id")
    }
}

/// How many rows a statement returned (shared with the app's repository).
package func count(_ rows: PostgresRowSequence) async throws -> Int {
    var n = 0
    for try await _ in rows { n += 1 }
    return n
}
