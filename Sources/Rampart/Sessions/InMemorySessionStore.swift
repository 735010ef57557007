import Synchronization

/// A session store in process memory, for tests and single-process development.
///
/// Sessions vanish when the process ends. Use the SQLite or PostgreSQL store in production.
public final class InMemorySessionStore: SessionStore {
    private struct Row {
        var record: SessionRecord
        var expiresAt: Int64
    }

    private let rows = Mutex<[SessionStoreKey: Row]>([:])

    /// Creates an empty store.
    public init() {}

    public func load(_ key: SessionStoreKey) async throws -> SessionRecord? {
        rows.withLock { rows in
            rows[key]?.record
        }
    }

    @discardableResult
    public func save(_ key: SessionStoreKey, _ write: SessionWrite) async throws -> Bool {
        rows.withLock { rows in
            switch write {
            case .create(let record, let expiresAt):
                if var row = rows[key] {
                    row.record.merge(created: record)
                    row.expiresAt = max(row.expiresAt, expiresAt)
                    rows[key] = row
                } else {
                    rows[key] = Row(record: record, expiresAt: expiresAt)
                }
                return true
            case .update(let values, let lastSeenAt, let expiresAt):
                guard var row = rows[key] else { return false }
                row.record.apply(values: values, lastSeenAt: lastSeenAt)
                row.expiresAt = max(row.expiresAt, expiresAt)
                rows[key] = row
                return true
            }
        }
    }

    public func delete(_ key: SessionStoreKey) async throws {
        _ = rows.withLock { $0.removeValue(forKey: key) }
    }

    @discardableResult
    public func move(_ old: SessionStoreKey, to new: SessionStoreKey, lastSeenAt: Int64, expiresAt: Int64) async throws -> Bool {
        rows.withLock { rows in
            guard var row = rows.removeValue(forKey: old) else { return false }
            row.record.lastSeenAt = max(row.record.lastSeenAt, lastSeenAt)
            row.expiresAt = max(row.expiresAt, expiresAt)
            if rows[new] == nil { rows[new] = row }
            return true
        }
    }

    @discardableResult
    public func deleteAll(forUser userID: String) async throws -> Int {
        rows.withLock { rows in
            let keys = rows.filter { $0.value.record.userID == userID }.map(\.key)
            for key in keys { rows[key] = nil }
            return keys.count
        }
    }

    @discardableResult
    public func purgeExpired(now: Int64) async throws -> Int {
        rows.withLock { rows in
            let keys = rows.filter { $0.value.expiresAt <= now }.map(\.key)
            for key in keys { rows[key] = nil }
            return keys.count
        }
    }

    /// How many sessions are stored, expired or not.
    public var count: Int { rows.withLock { $0.count } }
}
