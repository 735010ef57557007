import Foundation
import Logging
import NIOCore
import PostgresNIO
import Rampart

/// Sessions in PostgreSQL, shared by every instance. Nothing is cached: every instance sees
/// another's revocation at once.
///
/// Every operation is one statement, so a logged-in request costs at most two round trips (the
/// load, and an update at most once a minute or when a value changes):
/// - values are a `jsonb` object, and an update is
///   `UPDATE … SET values = (values - removed) || changes`: only the keys this request changed,
///   applied atomically on top of the row, so two concurrent requests on one session both keep
///   their changes (last write wins per key), and an update to a deleted row changes nothing;
/// - a create is an `INSERT … ON CONFLICT DO UPDATE` that merges the same way.
///
/// See [PostgreSQL: jsonb operators](https://www.postgresql.org/docs/current/functions-json.html#FUNCTIONS-JSONB-OP-TABLE).
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
            for try await (user, values, createdAt, lastSeenAt) in try await client.execute(LoadSession(key: key.rawValue), logger: logger) {
                return SessionRecord(
                    userID: user,
                    values: try SessionValueCoding.decode(Data(values.utf8)),
                    createdAt: createdAt,
                    lastSeenAt: lastSeenAt
                )
            }
            return nil
        }
    }

    /// The two statements of every logged-in request, prepared once per connection (no parse or
    /// plan per request).
    struct LoadSession: PostgresPreparedStatement {
        static let sql = #"SELECT user_id, "values"::text, created_at, last_seen_at FROM rampart_sessions WHERE key = $1"#
        typealias Row = (String?, String, Int64, Int64)
        let key: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(key)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    struct UpdateSession: PostgresPreparedStatement {
        static let sql = #"""
            UPDATE rampart_sessions SET "values" = ("values" - $1::text[]) || $2::jsonb,
                last_seen_at = GREATEST(last_seen_at, $3), expires_at = GREATEST(expires_at, $4)
            WHERE key = $5 RETURNING 1
            """#
        typealias Row = Int32
        let removed: [String]
        let changes: String
        let lastSeenAt: Int64
        let expiresAt: Int64
        let key: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 5)
            bindings.append(removed)
            bindings.append(changes)
            bindings.append(lastSeenAt)
            bindings.append(expiresAt)
            bindings.append(key)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int32.self) }
    }

    @discardableResult
    public func save(_ key: SessionStoreKey, _ write: SessionWrite) async throws -> Bool {
        switch write {
        case .create(let record, let expiresAt):
            let values = String(decoding: try SessionValueCoding.encode(record.values), as: UTF8.self)
            try await database.perform { [logger] client in
                _ = try await client.query(
                    """
                    INSERT INTO rampart_sessions (key, user_id, "values", created_at, last_seen_at, expires_at)
                    VALUES (\(key.rawValue), \(record.userID), \(values)::jsonb, \(record.createdAt), \(record.lastSeenAt), \(expiresAt))
                    ON CONFLICT (key) DO UPDATE SET user_id = EXCLUDED.user_id, "values" = rampart_sessions."values" || EXCLUDED."values",
                        last_seen_at = GREATEST(rampart_sessions.last_seen_at, EXCLUDED.last_seen_at),
                        expires_at = GREATEST(rampart_sessions.expires_at, EXCLUDED.expires_at)
                    """,
                    logger: logger
                )
            }
            return true
        case .update(let changes, let lastSeenAt, let expiresAt):
            let removed = changes.filter { $0.value == nil }.map(\.key).sorted()
            let set = String(decoding: try SessionValueCoding.encode(changes.compactMapValues { $0 }), as: UTF8.self)
            let statement = UpdateSession(removed: removed, changes: set, lastSeenAt: lastSeenAt, expiresAt: expiresAt, key: key.rawValue)
            return try await database.perform { [logger] client in
                var updated = 0
                for try await _ in try await client.execute(statement, logger: logger) { updated += 1 }
                return updated == 1
            }
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

    /// One `UPDATE` of the row's key. A concurrent "log out everywhere" that waits on the row
    /// follows it to its new key (PostgreSQL re-checks an updated row) and deletes it there; one
    /// that deleted it first leaves nothing to move.
    @discardableResult
    public func move(_ old: SessionStoreKey, to new: SessionStoreKey, lastSeenAt: Int64, expiresAt: Int64) async throws -> Bool {
        try await database.perform { [logger] client in
            try await count(
                client.query(
                    """
                    UPDATE rampart_sessions SET key = \(new.rawValue), last_seen_at = GREATEST(last_seen_at, \(lastSeenAt)),
                        expires_at = GREATEST(expires_at, \(expiresAt))
                    WHERE key = \(old.rawValue)
                    RETURNING key
                    """,
                    logger: logger
                )
            ) > 0
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
            try await count(
                client.query(
                    "INSERT INTO rampart_used_tokens (id, expires_at) VALUES (\(id), \(expiresAt)) ON CONFLICT (id) DO NOTHING RETURNING id",
                    logger: logger
                )
            ) == 1
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
