#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A typed key for a value kept in a session.
///
/// ```swift
/// extension SessionKey where Value == [String] {
///     static let recentSearches = SessionKey("recentSearches")
/// }
/// session[.recentSearches] = ["swift"]
/// ```
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct SessionKey<Value: Codable & Sendable>: Hashable, Sendable {
    /// The name the value is stored under.
    public let name: String
    /// Creates a key.
    public init(_ name: String) { self.name = name }
}

/// What a store holds for one session.
///
/// There is no CSRF secret here: it is derived from the session id (``CSRFSecrets``), so the
/// database holds nothing a token could be forged from.
public struct SessionRecord: Sendable, Equatable {
    /// The signed-in user, or `nil` for an anonymous session.
    public var userID: String?
    /// The session's values, each encoded as JSON.
    public var values: [String: [UInt8]]
    /// When the session was created (Unix seconds); the absolute timeout counts from here.
    public var createdAt: Int64
    /// When the session was last used (Unix seconds); the idle timeout counts from here.
    public var lastSeenAt: Int64

    /// Creates a record.
    public init(userID: String?, values: [String: [UInt8]], createdAt: Int64, lastSeenAt: Int64) {
        self.userID = userID
        self.values = values
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }

    /// Creates a record; the CSRF secret is no longer stored, so `csrfSecret` is ignored.
    @available(*, deprecated, message: "the CSRF secret is derived from the session id and no longer stored; drop the argument")
    public init(userID: String?, csrfSecret: [UInt8], values: [String: [UInt8]], createdAt: Int64, lastSeenAt: Int64) {
        self.init(userID: userID, values: values, createdAt: createdAt, lastSeenAt: lastSeenAt)
    }

    /// Whether the record holds anything worth a row: a user or a value.
    var hasContent: Bool { userID != nil || !values.isEmpty }

    /// The approximate memory the record takes, for cache accounting.
    package var approximateByteCount: Int {
        64 + (userID?.utf8.count ?? 0) + values.reduce(0) { $0 + 32 + $1.key.utf8.count + $1.value.count }
    }
}

/// One request's view of its session: typed values, the user, and the CSRF secret.
///
/// Changes are recorded per key, and stores apply them on top of what is stored ("last write
/// wins per key"), so two concurrent requests that set different keys both keep their write.
///
/// An anonymous visitor's session has an id (once a CSRF token is issued) but no stored row:
/// the CSRF secret is derived from the id, and a row is written only when something is stored
/// (a login, or a value).
public struct Session: Sendable {
    /// The session's id; `nil` until it is needed (a token issued, a value stored, a login).
    public internal(set) var id: SessionID?
    /// The stored state as loaded, plus this request's changes.
    public internal(set) var record: SessionRecord
    /// The keys this request changed (set or removed).
    public internal(set) var changedKeys: Set<String> = []
    /// Whether the id changes when saved (login, logout, privilege change). The new id is drawn
    /// at once, so tokens issued later in the same request already belong to it.
    public internal(set) var needsRotation = false
    /// Whether the session must be deleted when saved.
    public internal(set) var isDestroyed = false
    /// Whether the store holds a row for this session (as loaded).
    public internal(set) var isStored = false
    /// The id this session's cookie carried, if it was valid.
    public internal(set) var loadedID: SessionID?
    /// The store key it was loaded under, which may belong to an older master key.
    var loadedStoreKey: SessionStoreKey?
    /// The id was drawn during this request, so the cookie must be sent.
    var idIsNew = false
    /// The cookie named a stored session that is gone (timed out, deleted): clear it.
    var cookieIsStale = false
    /// Derives the CSRF secret from the id.
    package let secrets: CSRFSecrets

    init(id: SessionID?, record: SessionRecord, secrets: CSRFSecrets) {
        self.id = id
        self.loadedID = id
        self.record = record
        self.secrets = secrets
    }

    /// A new, empty, anonymous session, not yet stored, whose CSRF secrets come from a random
    /// per-process key (for a session outside any ``SessionManager``).
    public static func fresh(now: Int64) -> Session {
        Session(id: nil, record: SessionRecord(userID: nil, values: [:], createdAt: now, lastSeenAt: now), secrets: .detached)
    }

    /// The signed-in user.
    public var userID: String? { record.userID }

    /// The session's CSRF secret, `HMAC(csrf key, id)`. Reading it gives an anonymous session
    /// its id (and so its cookie), because a token derived from it will come back.
    public var csrfSecret: [UInt8] {
        mutating get { secrets.secret(for: ensureID()) }
    }

    /// The id, drawn now if the session has none yet.
    package mutating func ensureID() -> SessionID {
        if let id { return id }
        let id = SessionID()
        self.id = id
        idIsNew = true
        return id
    }

    /// Reads and writes a typed value. A stored value that no longer decodes reads as `nil`.
    public subscript<Value>(key: SessionKey<Value>) -> Value? {
        get {
            guard let bytes = record.values[key.name] else { return nil }
            return try? JSONDecoder().decode(Value.self, from: Data(bytes))
        }
        set {
            if let newValue, let data = try? JSONEncoder().encode(newValue) {
                record.values[key.name] = Array(data)
            } else {
                record.values[key.name] = nil
            }
            changedKeys.insert(key.name)
        }
    }

    /// Signs the user in: sets the user and rotates the id and CSRF secret (session fixation defence).
    public mutating func logIn(userID: String) {
        record.userID = userID
        rotate()
    }

    /// Signs the user out: the stored session is deleted and a fresh anonymous one starts.
    public mutating func logOut() {
        isDestroyed = true
    }

    /// Deletes the session at the end of the request.
    public mutating func destroy() {
        isDestroyed = true
    }

    /// Gives the session a new id, and so a new CSRF secret, deleting the old row when saved.
    /// Call it on any privilege change. Tokens issued after this call belong to the new id.
    public mutating func rotate() {
        needsRotation = true
        id = SessionID()
        idIsNew = true
    }
}
