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
public struct SessionRecord: Sendable, Equatable {
    /// The signed-in user, or `nil` for an anonymous session.
    public var userID: String?
    /// The 32-byte secret behind masked CSRF tokens. It changes whenever the session rotates.
    public var csrfSecret: [UInt8]
    /// The session's values, each encoded as JSON.
    public var values: [String: [UInt8]]
    /// When the session was created (Unix seconds); the absolute timeout counts from here.
    public var createdAt: Int64
    /// When the session was last used (Unix seconds); the idle timeout counts from here.
    public var lastSeenAt: Int64

    /// Creates a record.
    public init(userID: String?, csrfSecret: [UInt8], values: [String: [UInt8]], createdAt: Int64, lastSeenAt: Int64) {
        self.userID = userID
        self.csrfSecret = csrfSecret
        self.values = values
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// One request's view of its session: typed values, the user, and the CSRF secret.
///
/// Changes are recorded per key, and stores apply them on top of what is stored ("last write
/// wins per key"), so two concurrent requests that set different keys both keep their write.
public struct Session: Sendable {
    /// The session's id; `nil` until the session is first saved.
    public internal(set) var id: SessionID?
    /// The stored state as loaded, plus this request's changes.
    public internal(set) var record: SessionRecord
    /// The keys this request changed (set or removed).
    public internal(set) var changedKeys: Set<String> = []
    /// Whether the id must change when saved (login, logout, privilege change).
    public internal(set) var needsRotation = false
    /// Whether the session must be deleted when saved.
    public internal(set) var isDestroyed = false
    /// Whether the record must be written even with no value changed (the CSRF secret was handed out).
    public internal(set) var needsPersistence = false
    /// The id this session had when loaded, if any.
    public internal(set) var loadedID: SessionID?
    /// The store key it was loaded under, which may belong to an older master key.
    var loadedStoreKey: SessionStoreKey?

    init(id: SessionID?, record: SessionRecord, storeKey: SessionStoreKey?) {
        self.id = id
        self.loadedID = id
        self.record = record
        self.loadedStoreKey = storeKey
    }

    /// A new, empty, anonymous session, not yet stored.
    public static func fresh(now: Int64) -> Session {
        Session(id: nil, record: SessionRecord(userID: nil, csrfSecret: SecureRandom.bytes(32), values: [:], createdAt: now, lastSeenAt: now), storeKey: nil)
    }

    /// The signed-in user.
    public var userID: String? { record.userID }

    /// The session's CSRF secret. Reading it makes sure the session is stored, because a token
    /// derived from it will come back.
    public var csrfSecret: [UInt8] {
        mutating get {
            needsPersistence = true
            return record.csrfSecret
        }
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

    /// Gives the session a new id and a new CSRF secret when it is saved, deleting the old row.
    /// Call it on any privilege change.
    public mutating func rotate() {
        needsRotation = true
        record.csrfSecret = SecureRandom.bytes(32)
    }

    /// Whether anything must be written.
    var hasChanges: Bool { !changedKeys.isEmpty || needsRotation || isDestroyed || needsPersistence }
}
