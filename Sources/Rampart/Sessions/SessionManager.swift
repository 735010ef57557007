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
    /// How long without a request a session lasts (30 minutes by default). Whole seconds count.
    public let idleTimeout: Duration
    /// How long after creation a session ends, however active (8 hours by default).
    public let absoluteTimeout: Duration
    /// The cookie's `SameSite`.
    public let sameSite: SetCookie.SameSite
    /// The back-end.
    public let backend: Backend
    /// The shortest interval between two writes that only refresh the idle deadline (1 minute
    /// by default).
    public let touchInterval: Duration
    /// The same three settings in whole seconds, as the stores keep time.
    let idleSeconds: Int64
    let absoluteSeconds: Int64
    let touchSeconds: Int64

    /// Creates and validates a configuration.
    /// - Throws: ``SecurityConfigurationError`` naming the bad setting.
    public init(
        backend: Backend,
        cookieName: String = "__Host-session",
        idleTimeout: Duration = .seconds(30 * 60),
        absoluteTimeout: Duration = .seconds(8 * 60 * 60),
        sameSite: SetCookie.SameSite = .lax,
        touchInterval: Duration = .seconds(60)
    ) throws {
        let idle = idleTimeout.components.seconds
        let absolute = absoluteTimeout.components.seconds
        let touch = touchInterval.components.seconds
        guard idle > 0 else {
            throw SecurityConfigurationError(
                setting: "idleTimeout",
                value: "\(idleTimeout)",
                reason: .invalidValue,
                message: "must be at least 1 second"
            )
        }
        guard absolute >= idle else {
            throw SecurityConfigurationError(
                setting: "absoluteTimeout",
                value: "\(absoluteTimeout)",
                reason: .invalidValue,
                message: "must be at least idleTimeout (\(idleTimeout))"
            )
        }
        guard touchInterval >= .zero, touch < idle else {
            throw SecurityConfigurationError(
                setting: "touchInterval",
                value: "\(touchInterval)",
                reason: .invalidValue,
                message: "must be at least 0 and below idleTimeout"
            )
        }
        do {
            _ = try SetCookie(name: cookieName, value: "x", sameSite: sameSite)
        } catch {
            throw SecurityConfigurationError(setting: "cookieName", value: cookieName, reason: .invalidValue, message: error.message)
        }
        if case .sealedCookie(let maximumBytes) = backend.base, !(256...4096).contains(maximumBytes) {
            throw SecurityConfigurationError(
                setting: "maximumBytes",
                value: String(maximumBytes),
                reason: .invalidValue,
                message: "must be 256 to 4096"
            )
        }
        self.backend = backend
        self.cookieName = cookieName
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.sameSite = sameSite
        self.touchInterval = touchInterval
        self.idleSeconds = idle
        self.absoluteSeconds = absolute
        self.touchSeconds = touch
    }
}

/// Loads sessions from the request cookie and saves them at the end of the request.
///
/// - The cookie is `__Host-session` with `Secure; HttpOnly; SameSite=Lax; Path=/`, carrying the
///   signed session id (or, statelessly, the sealed session).
/// - **Anonymous visitors cost no storage.** A session gets an id when it first needs one (a CSRF
///   token is issued); its cookie then says "anonymous", and its CSRF secret is derived from the
///   id (``CSRFSecrets``). A row is written only when something is stored: a login, or a value.
///   A crawler that fetches a form page a million times leaves the store as it was.
/// - **Loading is in two steps.** ``identify(_:)`` verifies the cookie (one MAC, no store
///   access), which is all a CSRF check needs; ``load(_:keepingID:)`` reads the row, and only for a cookie
///   that names a stored session.
/// - A tampered, expired or refused cookie starts a fresh session; a cookie whose row is gone
///   (timed out, logged out elsewhere) is cleared. The reason is reported (for logging), never
///   the value.
/// - The cookie is written only when it changes: an id drawn, a row created, a rotation, a
///   deletion.
/// - Rotation (login, logout, privilege change) gives a new id, and so a new CSRF secret, and
///   deletes the old row, so an id planted before login is never the id after it (session
///   fixation).
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct SessionManager: Sendable {
    /// The configuration.
    public let configuration: SessionConfiguration
    /// The session-storage HMAC of every master key, current first, keyed once.
    let storageKeys: [PreparedHMAC]
    let signer: SignedCookieCodec
    let sealer: SealedCookieCodec
    /// Derives each session's CSRF secret from its id.
    public let csrfSecrets: CSRFSecrets
    let clock: WallClock

    /// The payload prefix of a cookie whose session has no stored row.
    static let anonymousPrefix: [UInt8] = Array("a.".utf8)

    /// Creates a manager.
    public init(configuration: SessionConfiguration, keyRing: KeyRing, clock: WallClock = .system) {
        self.configuration = configuration
        self.storageKeys = keyRing.all.map { PreparedHMAC(key: $0.derivedKey(for: .sessionStorage)) }
        self.signer = SignedCookieCodec(keyRing: keyRing, clock: clock)
        self.sealer = SealedCookieCodec(keyRing: keyRing, clock: clock)
        self.csrfSecrets = CSRFSecrets(keyRing: keyRing)
        self.clock = clock
    }

    /// What loading found.
    public enum LoadOutcome: Hashable, Sendable {
        /// No session cookie: a fresh session.
        case noCookie
        /// A valid session with a stored row (or a sealed session).
        case loaded
        /// A valid cookie of an anonymous session: it has an id, and nothing stored.
        case anonymous
        /// The cookie was refused (tampered, wrong key, malformed); a fresh session.
        case refused(CookieRefusal)
        /// The cookie was valid but its session is gone (deleted or purged); a fresh session,
        /// and the cookie is cleared.
        case unknown
        /// The session timed out (idle or absolute); it was deleted and a fresh one started.
        case timedOut
    }

    /// What a request's session cookie says, found without the store.
    public struct Identification: Sendable {
        /// The id the cookie carries, when it verified.
        public let id: SessionID?
        /// Whether the cookie names a stored row (which ``load(_:keepingID:)`` will read).
        public let namesStoredSession: Bool
        /// `noCookie`, `refused`, `anonymous`, or `loaded` (for a sealed session, or a stored
        /// one still to be read).
        public let outcome: LoadOutcome
        /// The session itself, when the cookie holds it (the sealed back-end) or names nothing
        /// stored.
        let session: Session?
    }

    /// Verifies the session cookie (one MAC, or one AEAD open for sealed sessions) without
    /// touching the store.
    public func identify(_ fields: HTTPFields) -> Identification {
        let now = clock.now()
        func fresh(_ outcome: LoadOutcome, stale: Bool = false) -> Identification {
            var session = self.fresh(now: now)
            session.cookieIsStale = stale
            return Identification(id: nil, namesStoredSession: false, outcome: outcome, session: session)
        }
        guard let cookie = RequestCookies.value(named: configuration.cookieName, in: fields) else { return fresh(.noCookie) }
        switch configuration.backend.base {
        case .sealedCookie:
            switch sealer.open(cookie, name: configuration.cookieName) {
            case .failure(let refusal):
                return fresh(refusal == .expired ? .timedOut : .refused(refusal))
            case .success(let bytes):
                guard let stored = try? JSONDecoder().decode(SealedSession.self, from: Data(bytes)) else {
                    return fresh(.refused(.malformed))
                }
                let record = stored.record
                if isTimedOut(record, now: now) { return fresh(.timedOut, stale: true) }
                var session = Session(id: stored.i.flatMap(SessionID.init), record: record, secrets: csrfSecrets)
                session.isStored = true
                if session.id == nil {
                    // Sealed before ids were kept in it: draw one, and re-seal.
                    _ = session.ensureID()
                }
                return Identification(id: session.id, namesStoredSession: false, outcome: .loaded, session: session)
            }
        case .store:
            let verified = signer.verify(cookie, name: configuration.cookieName) { value -> (SessionID, Bool)? in
                let anonymous = value.starts(with: Self.anonymousPrefix)
                let idText = anonymous ? UnsafeRawBufferPointer(rebasing: value[Self.anonymousPrefix.count...]) : value
                return SessionID(utf8: idText).map { ($0, !anonymous) }
            }
            switch verified {
            case .failure(let refusal):
                return fresh(refusal == .expired ? .timedOut : .refused(refusal))
            case .success(nil):
                return fresh(.refused(.malformed))
            case .success(let (id, isStored)?):
                guard isStored else {
                    let session = Session(id: id, record: self.fresh(now: now).record, secrets: csrfSecrets)
                    return Identification(id: id, namesStoredSession: false, outcome: .anonymous, session: session)
                }
                return Identification(id: id, namesStoredSession: true, outcome: .loaded, session: nil)
            }
        }
    }

    /// Loads the session of a request: ``identify(_:)``, then the stored row if the cookie names one.
    public func load(from fields: HTTPFields) async throws -> (Session, LoadOutcome) {
        try await load(identify(fields))
    }

    /// Reads the stored row of an identified session, enforcing the timeouts (a timed-out row
    /// is deleted).
    ///
    /// - Parameters:
    ///   - identification: What ``identify(_:)`` found.
    ///   - keepingID: When the row is gone, keep the cookie's id as an anonymous session
    ///     instead of starting over (because tokens for it were already issued in this request).
    public func load(_ identification: Identification, keepingID: Bool = false) async throws -> (Session, LoadOutcome) {
        if let session = identification.session { return (session, identification.outcome) }
        guard let id = identification.id else {
            return (fresh(now: clock.now()), identification.outcome)
        }
        let now = clock.now()
        var outcome = LoadOutcome.unknown
        if case .store(let store) = configuration.backend.base {
            // Try the current key first, then older ones, so sessions survive key rotation.
            for key in storageKeys {
                let storeKey = SessionStoreKey(id: id, storage: key)
                guard let record = try await store.load(storeKey) else { continue }
                if isTimedOut(record, now: now) {
                    try await store.delete(storeKey)
                    outcome = .timedOut
                    break
                }
                var session = Session(id: id, record: record, secrets: csrfSecrets)
                session.isStored = true
                session.loadedStoreKey = storeKey
                return (session, .loaded)
            }
        }
        var session = fresh(now: now)
        if keepingID {
            session.id = id
            session.idIsNew = true
        } else {
            session.cookieIsStale = true
        }
        return (session, outcome)
    }

    /// The session a request has before anything is read: its cookie's id and nothing else.
    /// For a cookie that names a stored session, ``load(_:keepingID:)`` fills in the rest.
    public func unloadedSession(_ identification: Identification) -> Session {
        if let session = identification.session { return session }
        var session = fresh(now: clock.now())
        session.id = identification.id
        session.loadedID = identification.id
        return session
    }

    func fresh(now: Int64) -> Session {
        Session(id: nil, record: SessionRecord(userID: nil, values: [:], createdAt: now, lastSeenAt: now), secrets: csrfSecrets)
    }

    func isTimedOut(_ record: SessionRecord, now: Int64) -> Bool {
        now - record.lastSeenAt >= configuration.idleSeconds || now - record.createdAt >= configuration.absoluteSeconds
    }

    func expiresAt(_ record: SessionRecord) -> Int64 {
        min(record.lastSeenAt + configuration.idleSeconds, record.createdAt + configuration.absoluteSeconds)
    }

    /// Saves the session's changes and returns the `Set-Cookie` to send, if the cookie changes.
    public func commit(_ session: Session) async throws -> SetCookie? {
        if let decided = try commitWithoutStore(session) { return decided }
        // What is left needs the store: a deletion, a rotation, a first row, a moved or updated row.
        guard case .store(let store) = configuration.backend.base else { return nil }
        let now = clock.now()
        if session.isDestroyed {
            if let key = session.loadedStoreKey { try await store.delete(key) }
            return session.loadedID == nil && !session.cookieIsStale ? nil : try deletionCookie()
        }
        if session.needsRotation {
            if let old = session.loadedStoreKey { try await store.delete(old) }
            guard let id = session.id else { return nil }
            return try await create(session.record, id: id, in: store, now: now)
        }
        guard session.isStored, let id = session.id, let loadedKey = session.loadedStoreKey else {
            // A new session's first stored value: its row.
            var record = session.record
            record.createdAt = now
            return try await create(record, id: session.id ?? SessionID(), in: store, now: now)
        }
        let storeKey = SessionStoreKey(id: id, storage: storageKeys[0])
        if storeKey != loadedKey {
            // Loaded under an older master key: move the row to the current key, atomically,
            // so a "log out everywhere" that ran meanwhile is not undone.
            var record = session.record
            record.lastSeenAt = now
            let moved = try await store.move(loadedKey, to: storeKey, lastSeenAt: now, expiresAt: expiresAt(record))
            // Not moved: another request of this session moved it first (fine), or it was
            // deleted (logged out everywhere): clear the cookie.
            if !moved, try await store.load(storeKey) == nil { return try deletionCookie() }
            if !session.changedKeys.isEmpty {
                var changes: [String: [UInt8]?] = [:]
                for key in session.changedKeys { changes[key] = .some(session.record.values[key]) }
                let stillThere = try await store.save(storeKey, .update(values: changes, lastSeenAt: now, expiresAt: expiresAt(record)))
                return stillThere ? nil : try deletionCookie()
            }
            return nil
        }
        var changes: [String: [UInt8]?] = [:]
        for key in session.changedKeys { changes[key] = .some(session.record.values[key]) }
        var touched = session.record
        touched.lastSeenAt = now
        let stillThere = try await store.save(storeKey, .update(values: changes, lastSeenAt: now, expiresAt: expiresAt(touched)))
        // Deleted meanwhile (logged out elsewhere): drop the write and clear the cookie.
        return stillThere ? nil : try deletionCookie()
    }

    /// Decides the commit of `session` when no store I/O is needed, with no suspension: a
    /// sealed-cookie session (sealed here), an untouched or anonymous stored-backend session
    /// (at most its signed anonymous cookie or a deletion cookie), and a stored session with no
    /// changes whose touch is not due. An adapter on an event loop answers those without a
    /// task, and calls ``commit(_:)`` for the rest.
    /// - Returns: `nil` when the store is needed; otherwise the decision: `.some(nil)` for no
    ///   cookie, `.some(cookie)` for the `Set-Cookie` to send.
    /// - Throws: `SessionError` when a sealed session is too large for its cookie.
    public func commitWithoutStore(_ session: Session) throws -> SetCookie?? {
        let now = clock.now()
        switch configuration.backend.base {
        case .sealedCookie(let maximumBytes):
            if session.isDestroyed { return .some(session.loadedID == nil && !session.cookieIsStale ? nil : try deletionCookie()) }
            let touchDue = session.isStored && now - session.record.lastSeenAt >= configuration.touchSeconds
            guard !session.changedKeys.isEmpty || session.needsRotation || session.idIsNew || touchDue else {
                return .some(session.cookieIsStale ? try deletionCookie() : nil)
            }
            var record = session.record
            record.lastSeenAt = now
            if session.needsRotation || !session.isStored { record.createdAt = now }
            var sealed = SealedSession(record)
            sealed.i = session.id?.text ?? SessionID().text
            let bytes = try JSONEncoder().encode(sealed)
            let value = try sealer.seal(Array(bytes), name: configuration.cookieName, expiresAt: record.createdAt + configuration.absoluteSeconds)
            let cookie = try sessionCookie(value: value)
            guard cookie.description.utf8.count <= maximumBytes else {
                throw SessionError.tooLarge(bytes: cookie.description.utf8.count, limit: maximumBytes)
            }
            return .some(cookie)

        case .store:
            if session.isDestroyed {
                guard session.loadedStoreKey == nil else { return nil }
                return .some(session.loadedID == nil && !session.cookieIsStale ? nil : try deletionCookie())
            }
            if session.needsRotation { return nil }
            guard session.isStored, let id = session.id, let loadedKey = session.loadedStoreKey else {
                // Nothing stored yet: a row only once something is stored, else at most the
                // anonymous cookie for a new id.
                if !session.changedKeys.isEmpty && session.record.hasContent { return nil }
                if session.idIsNew, let id = session.id { return .some(try anonymousCookie(id, now: now)) }
                return .some(session.cookieIsStale ? try deletionCookie() : nil)
            }
            guard SessionStoreKey(id: id, storage: storageKeys[0]) == loadedKey else { return nil }
            let touchDue = now - session.record.lastSeenAt >= configuration.touchSeconds
            return !session.changedKeys.isEmpty || touchDue ? nil : .some(nil)
        }
    }

    /// Writes a new row (a login, or an anonymous session's first value) and returns its cookie;
    /// a session with nothing to store gets the anonymous cookie instead.
    func create(_ record: SessionRecord, id: SessionID, in store: any SessionStore, now: Int64) async throws -> SetCookie {
        guard record.hasContent else { return try anonymousCookie(id, now: now) }
        var record = record
        record.lastSeenAt = now
        if record.createdAt > now { record.createdAt = now }
        try await store.save(SessionStoreKey(id: id, storage: storageKeys[0]), .create(record, expiresAt: expiresAt(record)))
        return try sessionCookie(
            value: signer.sign(
                id.withUTF8 { Array($0) },
                name: configuration.cookieName,
                expiresAt: record.createdAt + configuration.absoluteSeconds
            )
        )
    }

    /// The cookie of a session with nothing stored: `a.` and the id, signed, valid for the
    /// absolute timeout.
    func anonymousCookie(_ id: SessionID, now: Int64) throws -> SetCookie {
        let value = signer.sign(
            Self.anonymousPrefix + id.withUTF8 { Array($0) },
            name: configuration.cookieName,
            expiresAt: now + configuration.absoluteSeconds
        )
        return try sessionCookie(value: value)
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
    /// "Log out everywhere" with sealed-cookie sessions, which live only in the browsers that
    /// hold them and cannot be deleted from the server.
    case notRevocable

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit):
            "the sealed session cookie would be \(bytes) bytes, over the \(limit)-byte limit; keep less in the session or use a store"
        case .notRevocable:
            "sealed-cookie sessions cannot be revoked from the server; use a session store to log out everywhere"
        }
    }
}

/// The JSON form of a stateless session. `i` is the session id, from which the CSRF secret is
/// derived; cookies sealed before it was kept lack it and get a new one.
struct SealedSession: Codable {
    var i: String?
    var u: String?
    var v: [String: [UInt8]]
    var c: Int64
    var l: Int64

    init(_ record: SessionRecord) {
        u = record.userID
        v = record.values
        c = record.createdAt
        l = record.lastSeenAt
    }

    var record: SessionRecord {
        SessionRecord(userID: u, values: v, createdAt: c, lastSeenAt: l)
    }
}
