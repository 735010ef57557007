/// Where sessions live: in memory (tests), SQLite (one instance), PostgreSQL (many).
///
/// Rows are keyed by ``SessionStoreKey`` (an HMAC of the id), never the raw id. Each row has an
/// expiry, the earlier of its idle and absolute deadlines, by which ``PurgeableStore/purgeExpired(now:)`` deletes it.
///
/// **Concurrency rule: last write wins per key.** ``SessionWrite/update(values:lastSeenAt:expiresAt:)``
/// applies only the keys a request changed, atomically, on top of the stored row, so concurrent
/// requests on one session never lose each other's writes. An update to a row that was deleted
/// meanwhile (log out in another tab) is dropped, never resurrected.
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public protocol SessionStore: PurgeableStore {
    /// The session stored under `key`, expired or not: ``SessionManager`` applies the timeouts
    /// (and deletes a timed-out row), so it can tell a timeout from an unknown id.
    func load(_ key: SessionStoreKey) async throws -> SessionRecord?
    /// Writes a session. Returns `false` when an update found no row (the session was deleted).
    @discardableResult
    func save(_ key: SessionStoreKey, _ write: SessionWrite) async throws -> Bool
    /// Deletes one session.
    func delete(_ key: SessionStoreKey) async throws
    /// Deletes every session of a user ("log out everywhere"), returning how many were deleted.
    @discardableResult
    func deleteAll(forUser userID: String) async throws -> Int
    /// Moves a session to a new key (after a master-key rotation), in one atomic step: the row
    /// under `old`, as stored, goes to `new` with its last-seen time moved to `lastSeenAt`.
    /// Returns `false`, writing nothing, when `old` is gone: a session deleted meanwhile ("log out
    /// everywhere") is never brought back.
    @discardableResult
    func move(_ old: SessionStoreKey, to new: SessionStoreKey, lastSeenAt: Int64, expiresAt: Int64) async throws -> Bool
}

extension SessionStore {
    /// A default for stores written before ``move(_:to:lastSeenAt:expiresAt:)`` existed: load,
    /// create, delete. It is not atomic (a deletion between the load and the create can be
    /// undone); Rampart's own stores implement it in one transaction.
    @discardableResult
    public func move(_ old: SessionStoreKey, to new: SessionStoreKey, lastSeenAt: Int64, expiresAt: Int64) async throws -> Bool {
        guard var record = try await load(old) else { return false }
        record.lastSeenAt = max(record.lastSeenAt, lastSeenAt)
        try await save(new, .create(record, expiresAt: expiresAt))
        try await delete(old)
        return true
    }
}

/// A store whose rows expire, purged on a schedule by any instance.
///
/// A purge is one `DELETE … WHERE expires_at <= now`, so instances purging the same shared
/// store at once never undo each other's work.
public protocol PurgeableStore: Sendable {
    /// Deletes rows past their expiry, returning how many were deleted.
    @discardableResult
    func purgeExpired(now: Int64) async throws -> Int
}

/// One write to a ``SessionStore``.
public enum SessionWrite: Sendable, Equatable {
    /// Inserts a new session. If a row already exists under the key (two requests of one
    /// anonymous session storing their first values at once), the record's values are applied
    /// on top of it, last write wins per key, its user is set to the record's, and its deadlines
    /// only move later.
    case create(SessionRecord, expiresAt: Int64)
    /// Applies changed values (`nil` removes the key) to an existing session, and moves its idle
    /// deadline. Other keys keep their stored values.
    case update(values: [String: [UInt8]?], lastSeenAt: Int64, expiresAt: Int64)
}

extension SessionRecord {
    /// Applies a ``SessionWrite/create(_:expiresAt:)`` that found a row already there: the new
    /// record's values on top, its user, the later last-seen time.
    public mutating func merge(created record: SessionRecord) {
        values.merge(record.values) { _, new in new }
        userID = record.userID
        lastSeenAt = max(lastSeenAt, record.lastSeenAt)
    }

    /// Applies an update's values, last write wins per key.
    public mutating func apply(values changes: [String: [UInt8]?], lastSeenAt: Int64) {
        for (key, value) in changes {
            values[key] = value
        }
        self.lastSeenAt = max(self.lastSeenAt, lastSeenAt)
    }
}

/// A store's server cannot be reached (refused, timed out, shutting down). Adapters answer
/// `503 Service Unavailable` with `Retry-After`, never a 500; the operation was not
/// acknowledged, so the client can safely retry it.
///
/// The description names the store and a short cause, never a URL, password or query.
///
/// See [RFC 9110 §15.6.4: 503 Service Unavailable](https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4)
/// and [MDN: Retry-After](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Retry-After).
public struct StoreUnavailable: Error, Sendable, Hashable, CustomStringConvertible {
    /// The store, such as `PostgreSQL`.
    public let store: String
    /// A short cause, such as `timed out after 5 s` or `connection refused`.
    public let cause: String
    /// Seconds a client should wait before retrying.
    public let retryAfter: Int

    /// Creates the error.
    public init(store: String, cause: String, retryAfter: Int = 5) {
        self.store = store
        self.cause = cause
        self.retryAfter = retryAfter
    }

    public var description: String { "\(store) is unavailable: \(cause)" }
}
