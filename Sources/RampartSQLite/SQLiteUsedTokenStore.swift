import GRDB
import Rampart

/// Used one-time CSRF tokens in SQLite: `INSERT … ON CONFLICT DO NOTHING`, then the row count,
/// in one statement, so exactly one of two concurrent uses succeeds.
///
/// See [SQLite: UPSERT](https://www.sqlite.org/lang_upsert.html).
public final class SQLiteUsedTokenStore: UsedTokenStore {
    let database: RampartDatabase

    /// Uses an open database.
    public init(database: RampartDatabase) {
        self.database = database
    }

    public func markUsed(_ id: String, expiresAt: Int64) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO rampart_used_tokens (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                arguments: [id, expiresAt]
            )
            return db.changesCount == 1
        }
    }

    @discardableResult
    public func purgeExpired(now: Int64) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM rampart_used_tokens WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }
}
