import HTTPTypes
import Hummingbird
import Logging
import Rampart
import Synchronization

/// A request's session, shared by reference between the handler and ``SessionMiddleware`` so
/// the middleware sees what the handler changed.
///
/// It is loaded lazily: ``RampartRequestContext/session`` reads the stored row the first time a
/// handler asks for it, and CSRF tokens need only the cookie's id, so a request that touches
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
    private let logger: Logger?
    /// Whether this handle belongs to no middleware (its changes are never saved).
    public let isDetached: Bool

    init(manager: SharedSessionManager, requestFields: HTTPFields, logger: Logger) {
        self.shared = manager
        self.requestFields = requestFields
        self.logger = logger
        self.state = Mutex(State())
        self.isDetached = false
    }

    init(detached session: Session) {
        self.shared = nil
        self.requestFields = [:]
        self.logger = nil
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
        case .refused(let refusal):
            logger?.notice("Rampart refused a session cookie", metadata: ["rampart.reason": .string(refusal.reason)])
        case .timedOut:
            logger?.info("Rampart session timed out")
        case .unknown:
            logger?.info("Rampart session cookie names no stored session")
        case .noCookie, .loaded, .anonymous:
            break
        }
    }

    /// Reads the stored row, if the cookie names one and it was not read yet.
    func load() async throws {
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
    var sessionToCommit: Session? {
        state.withLock { $0.session }
    }

    private func withSession<Result>(_ body: (inout Session) -> Result) -> Result {
        state.withLock { state in
            identified(&state)
            return body(&state.session!)
        }
    }

    /// A fresh masked CSRF token for this session, drawing its id if it has none.
    func maskedToken() -> String {
        let secret = state.withLock { state in
            identified(&state)
            state.tokenIssued = true
            return state.csrfSecret()
        }
        return MaskedToken.make(secret: secret)
    }

    /// Verifies a masked token against this session's id (under every key of the ring).
    func verify(maskedToken token: String) -> CSRFError? {
        state.withLock { state in
            identified(&state)
            guard let id = state.session!.id else { return token.isEmpty ? .missingToken : .badToken }
            return state.session!.secrets.verify(maskedToken: token, for: id)
        }
    }

    /// The CSRF secret of the session's id, for checking a one-time token; `nil` without an id.
    func verificationSecret() -> [UInt8]? {
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
}

extension RampartRequestContext {
    /// This request's session, loaded on first use: the stored row is read only when the cookie
    /// names one, and only by the first request path that asks.
    ///
    /// It needs ``SessionMiddleware``; without it, the handle is detached and nothing it holds
    /// is saved.
    /// - Throws: `RequestRefusal` `storeUnavailable` (503 with `Retry-After`) when the store cannot be read.
    public var session: SessionHandle {
        get async throws {
            guard let handle = security.sessionHandle else {
                RampartMisuse.report(.sessionWithoutMiddleware, logger: logger)
                return SessionHandle(detached: .fresh(now: WallClock.system.now()))
            }
            do {
                try await handle.load()
            } catch {
                logger.error("Rampart session store unavailable", metadata: ["rampart.error": .string(SessionMiddleware<Self>.describe(error))])
                throw RequestRefusal.unavailable(retryAfter: (error as? StoreUnavailable)?.retryAfter ?? 5)
            }
            return handle
        }
    }
}

/// Reads the session lazily and saves it after the handler, setting the `__Host-session`
/// cookie only when it changed.
///
/// - Nothing is read before the handler asks: ``RampartRequestContext/session`` loads the
///   stored row on first use, and CSRF tokens need only the cookie's id.
/// - A tampered, expired or unknown cookie starts a fresh session; the refusal reason is logged,
///   never the cookie.
/// - Responses that set the session cookie get `Cache-Control: no-store`, and every response
///   gets `Vary: Cookie`.
/// - When the handler throws, the session's changes are not saved.
/// - When the store fails, the request gets 503 with `Retry-After`, never a 500.
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct SessionMiddleware<Context: RampartRequestContext>: RouterMiddleware {
    let shared: SharedSessionManager

    /// Creates the middleware.
    public init(manager: SessionManager) {
        self.shared = SharedSessionManager(manager)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let probe = WiringProbe.current {
            probe.record(.sessions)
            return try await next(request, context)
        }
        let handle = SessionHandle(manager: shared, requestFields: request.headers, logger: context.logger)
        var context = context
        context.security.sessionHandle = handle
        var response = try await next(request, context)
        response.headers.appendVary("Cookie")
        guard let session = handle.sessionToCommit else { return response }
        let cookie: SetCookie?
        do {
            cookie = try await shared.manager.commit(session)
        } catch let error as SessionError {
            context.logger.error("Rampart could not save the session", metadata: ["rampart.error": .string(error.description)])
            throw HTTPError(.internalServerError)
        } catch {
            context.logger.error("Rampart session store unavailable", metadata: ["rampart.error": .string(Self.describe(error))])
            throw RequestRefusal.unavailable(retryAfter: (error as? StoreUnavailable)?.retryAfter ?? 5)
        }
        if let cookie {
            response.headers.append(cookie.headerField)
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}

/// The manager behind one reference, so each request's handle costs one retain to make.
final class SharedSessionManager: Sendable {
    let manager: SessionManager
    init(_ manager: SessionManager) { self.manager = manager }
}

extension SessionMiddleware {
    /// What a store error says in logs: a ``StoreUnavailable``'s own text (which carries no
    /// secrets), otherwise only the error's type.
    static func describe(_ error: any Error) -> String {
        (error as? StoreUnavailable)?.description ?? String(describing: type(of: error))
    }
}

/// A store that cannot be reached, thrown by any handler or middleware, becomes the same 503
/// with `Retry-After` as `RequestRefusal.unavailable(retryAfter:)`.
///
/// See [RFC 9110 §15.6.4](https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4).
extension StoreUnavailable: HTTPResponseError {
    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try RequestRefusal(self).response(from: request, context: context)
    }
}

extension HTTPFields {
    /// Adds a token to `Vary` unless it, or `*`, is already listed (compared as bytes, ignoring
    /// ASCII case and spaces around commas).
    mutating func appendVary(_ token: String) {
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

extension Substring {
    var trimmingASCIISpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
