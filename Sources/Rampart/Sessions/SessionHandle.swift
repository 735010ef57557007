import HTTPTypes
import Synchronization

/// A request's session, shared by reference between the handler and the adapter's session
/// middleware (`SessionMiddleware` on Hummingbird, `RampartSessionMiddleware` on Vapor), so the
/// middleware sees what the handler changed.
///
/// It is loaded lazily: ``load()`` reads the stored row the first time a handler asks for the
/// session, and CSRF tokens need only the cookie's id, so a request that touches
/// neither (a stylesheet, a health check) costs nothing, and an anonymous visitor shown a form
/// costs no store access at all.
///
/// ```swift
/// router.post("/login") { request, context in
///     // … check the password …
///     try await context.session.logIn(userID: user.id)   // rotates the id and the CSRF secret
///     return Response(status: .seeOther, headers: [.location: "/"])
/// }
/// ```
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public final class SessionHandle: Sendable {
    struct State: Sendable {
        /// What the cookie said, once it was read.
        var identification: SessionManager.Identification?
        /// The session: the cookie's id only until loaded, then the stored state too.
        var session: Session?
        var isLoaded = false
        /// A CSRF token was derived from the session's id in this request.
        var tokenIssued = false
        /// The CSRF secret of the id it was derived for, so a page with several tokens derives once.
        var secret: (id: SessionID, bytes: [UInt8])?

        /// The session's CSRF secret, drawing an id if it has none.
        mutating func csrfSecret() -> [UInt8] {
            let id = session!.ensureID()
            if let secret, secret.id == id { return secret.bytes }
            let bytes = session!.secrets.secret(for: id)
            secret = (id, bytes)
            return bytes
        }
    }

    private let state: Mutex<State>
    private let shared: SharedSessionManager?
    private let requestFields: HTTPFields
    private let report: (@Sendable (SessionManager.LoadOutcome) -> Void)?
    /// Whether this handle belongs to no middleware (its changes are never saved).
    public let isDetached: Bool

    /// A handle for one request, reading its session cookie from `requestFields` when first
    /// needed.
    /// - Parameters:
    ///   - manager: The session manager.
    ///   - requestFields: The request's header fields (only `Cookie` is read).
    ///   - report: Told what the cookie turned out to be (refused and why, timed out, unknown),
    ///     for the adapter to log; never given the cookie itself.
    public convenience init(
        manager: SessionManager,
        requestFields: HTTPFields,
        report: (@Sendable (SessionManager.LoadOutcome) -> Void)? = nil
    ) {
        self.init(shared: SharedSessionManager(manager), requestFields: requestFields, report: report)
    }

    /// The same, with the manager behind a reference the middleware made once.
    package init(
        shared: SharedSessionManager,
        requestFields: HTTPFields,
        report: (@Sendable (SessionManager.LoadOutcome) -> Void)?
    ) {
        self.shared = shared
        self.requestFields = requestFields
        self.report = report
        self.state = Mutex(State())
        self.isDetached = false
    }

    /// A handle that belongs to no middleware: its changes are never saved (what a handler
    /// gets when the session middleware is missing).
    public init(detached session: Session) {
        self.shared = nil
        self.requestFields = [:]
        self.report = nil
        self.state = Mutex(State(identification: nil, session: session, isLoaded: true))
        self.isDetached = true
    }

    /// Reads the cookie (one MAC, no store access) if that has not happened yet.
    private func identified(_ state: inout State) {
        guard state.session == nil, let shared else { return }
        let identification = shared.manager.identify(requestFields)
        state.identification = identification
        state.session = shared.manager.unloadedSession(identification)
        state.isLoaded = !identification.namesStoredSession
        log(identification.outcome)
    }

    private func log(_ outcome: SessionManager.LoadOutcome) {
        switch outcome {
        case .refused, .timedOut, .unknown: report?(outcome)
        case .noCookie, .loaded, .anonymous: break
        }
    }

    /// Reads the stored row, if the cookie names one and it was not read yet.
    public func load() async throws {
        let pending: (SessionManager.Identification, Bool)? = state.withLock { state in
            identified(&state)
            guard !state.isLoaded, let identification = state.identification else { return nil }
            return (identification, state.tokenIssued)
        }
        guard let (identification, keepingID) = pending, let shared else { return }
        let (session, outcome) = try await shared.manager.load(identification, keepingID: keepingID)
        state.withLock { state in
            guard !state.isLoaded else { return }
            state.session = session
            state.isLoaded = true
        }
        log(outcome)
    }

    /// The session to save at the end of the request, or `nil` if the handler never touched it.
    public var sessionToCommit: Session? {
        state.withLock { $0.session }
    }

    private func withSession<Result>(_ body: (inout Session) -> Result) -> Result {
        state.withLock { state in
            identified(&state)
            return body(&state.session!)
        }
    }

    /// A fresh masked CSRF token for this session, drawing its id if it has none.
    public func maskedToken() -> String {
        let secret = state.withLock { state in
            identified(&state)
            state.tokenIssued = true
            return state.csrfSecret()
        }
        return MaskedToken.make(secret: secret)
    }

    /// Verifies a masked token against this session's id (under every key of the ring).
    public func verify(maskedToken token: String) -> CSRFError? {
        state.withLock { state in
            identified(&state)
            guard let id = state.session!.id else { return token.isEmpty ? .missingToken : .badToken }
            return state.session!.secrets.verify(maskedToken: token, for: id)
        }
    }

    /// The CSRF secret of the session's id, for checking a one-time token; `nil` without an id.
    public func verificationSecret() -> [UInt8]? {
        state.withLock { state in
            identified(&state)
            return state.session!.id.map { state.session!.secrets.secret(for: $0) }
        }
    }

    /// A copy of the session as it stands.
    public var session: Session { withSession { $0 } }

    /// The signed-in user.
    public var userID: String? { withSession { $0.userID } }

    /// The CSRF secret, derived from the session id (drawing one if the session has none).
    public var csrfSecret: [UInt8] {
        state.withLock { state in
            identified(&state)
            state.tokenIssued = true
            return state.csrfSecret()
        }
    }

    /// Reads and writes a typed value.
    public subscript<Value>(key: SessionKey<Value>) -> Value? {
        get { withSession { $0[key] } }
        set { withSession { $0[key] = newValue } }
    }

    /// Signs a user in, rotating the id and the CSRF secret.
    public func logIn(userID: String) { withSession { $0.logIn(userID: userID) } }
    /// Signs the user out: the session is deleted and its cookie cleared.
    public func logOut() { withSession { $0.logOut() } }
    /// Deletes the session.
    public func destroy() { withSession { $0.destroy() } }
    /// Rotates the id and the CSRF secret (call on any privilege change).
    public func rotate() { withSession { $0.rotate() } }

    /// Signs the user out of every session they have ("log out everywhere", after a password
    /// change or a lost device): deletes each of the user's stored sessions, this one included,
    /// and clears this session's cookie. Other browsers' next requests are anonymous.
    /// - Returns: how many stored sessions were deleted (0 when no one is signed in).
    /// - Throws: ``SessionError/notRevocable`` with sealed-cookie sessions, or the store's error.
    ///
    /// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#session-expiration).
    public func logOutEverywhere() async throws -> Int {
        try await load()
        guard let userID else { return 0 }
        guard let shared, case .store(let store) = shared.manager.configuration.backend.base else {
            throw SessionError.notRevocable
        }
        let count = try await store.deleteAll(forUser: userID)
        logOut()
        return count
    }

    /// Ends the request for the session: marks the response `Vary: Cookie` (it depends on the
    /// cookie whether or not the handler used it), and if the handler touched the session,
    /// saves it and adds its `Set-Cookie` with `Cache-Control: no-store` when the cookie changed.
    ///
    /// Call it once, after the handler returned; when the handler throws, skip it, so a failed
    /// request saves nothing.
    /// - Throws: `SessionError` when the session cannot be saved, or the store's error
    ///   (`StoreUnavailable` when it cannot be reached).
    ///
    /// See [RFC 9111 §5.2.2.5](https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.5) and
    /// [MDN: Vary](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Vary).
    public func finish(_ fields: inout HTTPFields) async throws {
        fields.appendVary("Cookie")
        guard let session = sessionToCommit, let shared else { return }
        if let cookie = try await shared.manager.commit(session) {
            fields.append(cookie.headerField)
            fields[.cacheControl] = "no-store"
        }
    }
}

extension SessionHandle {
    /// Ends the request like ``finish(_:)`` when that needs no store I/O (nothing touched, an
    /// anonymous or sealed cookie, a stored session with nothing to write), with no suspension,
    /// so an adapter on an event loop needs no task for it.
    /// - Returns: `true` when done; `false` when the store is needed: call ``finish(_:)`` then.
    /// - Throws: `SessionError` when a sealed session is too large for its cookie.
    ///
    /// See [RFC 9111 §5.2.2.5](https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.5).
    public func finishWithoutStore(_ fields: inout HTTPFields) throws -> Bool {
        guard let session = sessionToCommit, let shared else {
            fields.appendVary("Cookie")
            return true
        }
        guard let decided = try shared.manager.commitWithoutStore(session) else { return false }
        fields.appendVary("Cookie")
        if let cookie = decided {
            fields.append(cookie.headerField)
            fields[.cacheControl] = "no-store"
        }
        return true
    }

    /// Whether ending this request needs nothing but `Vary: Cookie` (the handler did not touch
    /// the session).
    public var isUntouched: Bool { sessionToCommit == nil }
}

/// The manager behind one reference, so each request's handle costs one retain to make.
package final class SharedSessionManager: Sendable {
    package let manager: SessionManager
    package init(_ manager: SessionManager) { self.manager = manager }
}

extension HTTPFields {
    /// Adds a token to `Vary` unless it, or `*`, is already listed (compared as bytes, ignoring
    /// ASCII case and spaces around commas).
    ///
    /// See [RFC 9110 §12.5.5](https://www.rfc-editor.org/rfc/rfc9110#section-12.5.5).
    public mutating func appendVary(_ token: String) {
        let wanted = Array(token.utf8)
        for field in self where field.name == .vary {
            let listed = field.withUnsafeBytesOfValue { value -> Bool in
                var found = false
                HeaderGrammar.forEachPiece(of: value, separatedBy: UInt8(ascii: ",")) { piece in
                    let token = UnsafeBufferPointer(rebasing: value[piece])
                    found =
                        (token.count == 1 && token[0] == UInt8(ascii: "*"))
                        || wanted.withUnsafeBufferPointer { HeaderGrammar.equalsIgnoringASCIICase(token, $0) }
                    return !found
                }
                return found
            }
            if listed { return }
        }
        append(HTTPField(name: .vary, value: token))
    }
}

extension SessionManager.LoadOutcome {
    /// What an adapter logs for this outcome, the same on every adapter: whether it is a
    /// `notice` (a refused cookie) or `info`, the message, and the refusal's reason; `nil` for
    /// outcomes not worth a line. Never the cookie itself.
    public var logLine: (isNotice: Bool, message: String, reason: String?)? {
        switch self {
        case .refused(let refusal): (true, "Rampart refused a session cookie", refusal.reason)
        case .timedOut: (false, "Rampart session timed out", nil)
        case .unknown: (false, "Rampart session cookie names no stored session", nil)
        case .noCookie, .loaded, .anonymous: nil
        }
    }
}
