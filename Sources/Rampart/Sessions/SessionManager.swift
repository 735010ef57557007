import Crypto
import HTTPTypes

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How sessions are kept: the cookie, the timeouts, and the back-end.
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#session-expiration).
public struct SessionConfiguration: Sendable {
    /// Where session state lives.
    public struct Backend: Sendable {
        enum Base: Sendable {
            case store(any SessionStore)
            case sealedCookie(maximumBytes: Int)
        }
        let base: Base

        /// Sessions in a ``SessionStore``; the cookie carries only the signed id.
        public static func store(_ store: any SessionStore) -> Backend { Backend(base: .store(store)) }

        /// Stateless sessions: the whole session sealed (AES-GCM) into the cookie, with no store.
        /// Such a session cannot be revoked from the server (no "log out everywhere"), and its
        /// cookie may not exceed `maximumBytes` (4096 by default, the smallest limit browsers keep).
        public static func sealedCookie(maximumBytes: Int = 4096) -> Backend { Backend(base: .sealedCookie(maximumBytes: maximumBytes)) }
    }

    /// The session cookie's name: `__Host-session`.
    public let cookieName: String
    /// Seconds without a request after which a session ends (30 minutes by default).
    public let idleTimeout: Int64
    /// Seconds after creation after which a session ends, however active (8 hours by default).
    public let absoluteTimeout: Int64
    /// The cookie's `SameSite`.
    public let sameSite: SetCookie.SameSite
    /// The back-end.
    public let backend: Backend
    /// The shortest interval between two writes that only refresh the idle deadline.
    public let touchInterval: Int64

    /// Creates and validates a configuration.
    /// - Throws: ``SecurityConfigurationError`` naming the bad setting.
    public init(
        backend: Backend,
        cookieName: String = "__Host-session",
        idleTimeout: Int64 = 30 * 60,
        absoluteTimeout: Int64 = 8 * 60 * 60,
        sameSite: SetCookie.SameSite = .lax,
        touchInterval: Int64 = 60
    ) throws {
        guard idleTimeout > 0 else {
            throw SecurityConfigurationError(setting: "idleTimeout", value: String(idleTimeout), reason: .invalidValue, message: "must be positive")
        }
        guard absoluteTimeout >= idleTimeout else {
            throw SecurityConfigurationError(setting: "absoluteTimeout", value: String(absoluteTimeout), reason: .invalidValue, message: "must be at least idleTimeout (\(idleTimeout))")
        }
        guard touchInterval >= 0, touchInterval < idleTimeout else {
            throw SecurityConfigurationError(setting: "touchInterval", value: String(touchInterval), reason: .invalidValue, message: "must be at least 0 and below idleTimeout")
        }
        do {
            _ = try SetCookie(name: cookieName, value: "x", sameSite: sameSite)
        } catch {
            throw SecurityConfigurationError(setting: "cookieName", value: cookieName, reason: .invalidValue, message: error.message)
        }
        if case .sealedCookie(let maximumBytes) = backend.base, !(256...4096).contains(maximumBytes) {
            throw SecurityConfigurationError(setting: "maximumBytes", value: String(maximumBytes), reason: .invalidValue, message: "must be 256 to 4096")
        }
        self.backend = backend
        self.cookieName = cookieName
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.sameSite = sameSite
        self.touchInterval = touchInterval
    }
}

/// Loads sessions from the request cookie and saves them at the end of the request.
///
/// - The cookie is `__Host-session` with `Secure; HttpOnly; SameSite=Lax; Path=/`, carrying the
///   signed session id (or, statelessly, the sealed session).
/// - A tampered, expired, unknown or timed-out cookie starts a fresh session; the reason is
///   reported (for logging), never the value.
/// - The cookie is written only when the session changed: created, rotated or destroyed.
/// - Rotation (login, logout, privilege change) gives a new id and CSRF secret and deletes the
///   old row, so an id planted before login is never the id after it (session fixation).
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct SessionManager: Sendable {
    /// The configuration.
    public let configuration: SessionConfiguration
    /// The session-storage sub-key of every master key, current first, derived once.
    let storageKeys: [SymmetricKey]
    let signer: SignedCookieCodec
    let sealer: SealedCookieCodec
    let clock: WallClock

    /// Creates a manager.
    public init(configuration: SessionConfiguration, keyRing: KeyRing, clock: WallClock = .system) {
        self.configuration = configuration
        self.storageKeys = keyRing.all.map { $0.derivedKey(for: .sessionStorage) }
        self.signer = SignedCookieCodec(keyRing: keyRing, clock: clock)
        self.sealer = SealedCookieCodec(keyRing: keyRing, clock: clock)
        self.clock = clock
    }

    /// What loading found.
    public enum LoadOutcome: Hashable, Sendable {
        /// No session cookie: a fresh session.
        case noCookie
        /// A valid session.
        case loaded
        /// The cookie was refused (tampered, wrong key, malformed); a fresh session.
        case refused(CookieRefusal)
        /// The cookie was valid but its session is gone (deleted or purged); a fresh session.
        case unknown
        /// The session timed out (idle or absolute); it was deleted and a fresh one started.
        case timedOut
    }

    /// Loads the session of a request.
    public func load(from fields: HTTPFields) async throws -> (Session, LoadOutcome) {
        let now = clock.now()
        guard let cookie = RequestCookies(fields)[configuration.cookieName] else {
            return (.fresh(now: now), .noCookie)
        }
        switch configuration.backend.base {
        case .sealedCookie:
            switch sealer.open(cookie, name: configuration.cookieName) {
            case .failure(let refusal):
                return (.fresh(now: now), refusal == .expired ? .timedOut : .refused(refusal))
            case .success(let bytes):
                guard let stored = try? JSONDecoder().decode(SealedSession.self, from: Data(bytes)), stored.csrfSecret.count == 32 else {
                    return (.fresh(now: now), .refused(.malformed))
                }
                let record = stored.record
                if isTimedOut(record, now: now) { return (.fresh(now: now), .timedOut) }
                return (Session(id: SessionID(), record: record, storeKey: nil), .loaded)
            }
        case .store(let store):
            let text: String
            switch signer.verifyString(cookie, name: configuration.cookieName) {
            case .failure(let refusal):
                return (.fresh(now: now), refusal == .expired ? .timedOut : .refused(refusal))
            case .success(let value):
                text = value
            }
            guard let id = SessionID(text) else { return (.fresh(now: now), .refused(.malformed)) }
            // Try the current key first, then older ones, so sessions survive key rotation.
            for key in storageKeys {
                let storeKey = SessionStoreKey(id: id, storageKey: key)
                guard let record = try await store.load(storeKey) else { continue }
                if isTimedOut(record, now: now) {
                    try await store.delete(storeKey)
                    return (.fresh(now: now), .timedOut)
                }
                return (Session(id: id, record: record, storeKey: storeKey), .loaded)
            }
            return (.fresh(now: now), .unknown)
        }
    }

    func isTimedOut(_ record: SessionRecord, now: Int64) -> Bool {
        now - record.lastSeenAt >= configuration.idleTimeout || now - record.createdAt >= configuration.absoluteTimeout
    }

    func expiresAt(_ record: SessionRecord) -> Int64 {
        min(record.lastSeenAt + configuration.idleTimeout, record.createdAt + configuration.absoluteTimeout)
    }

    /// Saves the session's changes and returns the `Set-Cookie` to send, if the cookie changes.
    public func commit(_ session: Session) async throws -> SetCookie? {
        let now = clock.now()
        switch configuration.backend.base {
        case .sealedCookie(let maximumBytes):
            if session.isDestroyed { return session.loadedID == nil ? nil : try deletionCookie() }
            let touchDue = session.loadedID != nil && now - session.record.lastSeenAt >= configuration.touchInterval
            guard session.hasChanges || touchDue else { return nil }
            var record = session.record
            record.lastSeenAt = now
            if session.needsRotation { record.createdAt = now }
            let bytes = try JSONEncoder().encode(SealedSession(record))
            let value = try sealer.seal(Array(bytes), name: configuration.cookieName, expiresAt: record.createdAt + configuration.absoluteTimeout)
            let cookie = try sessionCookie(value: value)
            guard cookie.description.utf8.count <= maximumBytes else {
                throw SessionError.tooLarge(bytes: cookie.description.utf8.count, limit: maximumBytes)
            }
            return cookie

        case .store(let store):
            let currentKey = storageKeys[0]
            if session.isDestroyed {
                if let key = session.loadedStoreKey { try await store.delete(key) }
                return session.loadedID == nil ? nil : try deletionCookie()
            }
            if session.needsRotation || session.id == nil {
                guard session.hasChanges else { return nil }
                if session.needsRotation, let old = session.loadedStoreKey { try await store.delete(old) }
                let id = SessionID()
                var record = session.record
                record.lastSeenAt = now
                if session.needsRotation { record.createdAt = now }
                try await store.save(SessionStoreKey(id: id, storageKey: currentKey), .create(record, expiresAt: expiresAt(record)))
                return try sessionCookie(value: signer.sign(id.text, name: configuration.cookieName, expiresAt: record.createdAt + configuration.absoluteTimeout))
            }
            guard let id = session.id, let loadedKey = session.loadedStoreKey else { return nil }
            let storeKey = SessionStoreKey(id: id, storageKey: currentKey)
            if storeKey != loadedKey {
                // Loaded under an older master key: move the row to the current key.
                var record = session.record
                record.lastSeenAt = now
                try await store.save(storeKey, .create(record, expiresAt: expiresAt(record)))
                try await store.delete(loadedKey)
                return nil
            }
            let touchDue = now - session.record.lastSeenAt >= configuration.touchInterval
            guard !session.changedKeys.isEmpty || touchDue else { return nil }
            var changes: [String: [UInt8]?] = [:]
            for key in session.changedKeys { changes[key] = .some(session.record.values[key]) }
            var touched = session.record
            touched.lastSeenAt = now
            let stillThere = try await store.save(storeKey, .update(values: changes, lastSeenAt: now, expiresAt: expiresAt(touched)))
            // Deleted meanwhile (logged out elsewhere): drop the write and clear the cookie.
            return stillThere ? nil : try deletionCookie()
        }
    }

    func sessionCookie(value: String) throws -> SetCookie {
        try SetCookie(name: configuration.cookieName, value: value, sameSite: configuration.sameSite)
    }

    func deletionCookie() throws -> SetCookie {
        try SetCookie.deleting(configuration.cookieName, sameSite: configuration.sameSite)
    }
}

/// A session that cannot be saved.
public enum SessionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stateless session grew past the cookie size limit.
    case tooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit):
            "the sealed session cookie would be \(bytes) bytes, over the \(limit)-byte limit; keep less in the session or use a store"
        }
    }
}

/// The JSON form of a stateless session.
struct SealedSession: Codable {
    var u: String?
    var csrfSecret: [UInt8]
    var v: [String: [UInt8]]
    var c: Int64
    var l: Int64

    init(_ record: SessionRecord) {
        u = record.userID
        csrfSecret = record.csrfSecret
        v = record.values
        c = record.createdAt
        l = record.lastSeenAt
    }

    var record: SessionRecord {
        SessionRecord(userID: u, csrfSecret: csrfSecret, values: v, createdAt: c, lastSeenAt: l)
    }
}
