import HTTPTypes
import Hummingbird
import Logging
import Rampart
import Synchronization

/// A request's session, shared by reference between the handler and ``SessionMiddleware`` so
/// the middleware sees what the handler changed.
///
/// ```swift
/// router.post("/login") { request, context in
///     // … check the password …
///     context.session.logIn(userID: user.id)   // rotates the id and the CSRF secret
///     return Response(status: .seeOther, headers: [.location: "/"])
/// }
/// ```
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public final class SessionHandle: Sendable {
    private let state: Mutex<Session>
    /// Whether this handle belongs to no middleware (its changes are never saved).
    public let isDetached: Bool

    init(_ session: Session, detached: Bool = false) {
        self.state = Mutex(session)
        self.isDetached = detached
    }

    /// A copy of the session as it stands.
    public var session: Session { state.withLock { $0 } }

    /// The signed-in user.
    public var userID: String? { state.withLock { $0.userID } }

    /// The CSRF secret; reading it makes sure the session is stored.
    public var csrfSecret: [UInt8] { state.withLock { $0.csrfSecret } }

    /// Reads and writes a typed value.
    public subscript<Value>(key: SessionKey<Value>) -> Value? {
        get { state.withLock { $0[key] } }
        set { state.withLock { $0[key] = newValue } }
    }

    /// Signs a user in, rotating the id and the CSRF secret.
    public func logIn(userID: String) { state.withLock { $0.logIn(userID: userID) } }
    /// Signs the user out: the session is deleted and its cookie cleared.
    public func logOut() { state.withLock { $0.logOut() } }
    /// Deletes the session.
    public func destroy() { state.withLock { $0.destroy() } }
    /// Rotates the id and the CSRF secret (call on any privilege change).
    public func rotate() { state.withLock { $0.rotate() } }
}

extension RampartRequestContext {
    /// This request's session. It needs ``SessionMiddleware``; without it, the handle is detached
    /// and nothing it holds is saved.
    public var session: SessionHandle {
        security.sessionHandle ?? SessionHandle(.fresh(now: WallClock.system.now()), detached: true)
    }
}

/// Loads the session before the handler and saves it after, setting the `__Host-session`
/// cookie only when it changed.
///
/// - A tampered, expired or unknown cookie starts a fresh session; the refusal reason is logged,
///   never the cookie.
/// - Responses that set the session cookie get `Cache-Control: no-store`, and every response
///   gets `Vary: Cookie`.
/// - When the handler throws, the session's changes are not saved.
/// - When the store fails, the request gets 503 with `Retry-After`, never a 500.
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct SessionMiddleware<Context: RampartRequestContext>: RouterMiddleware {
    let manager: SessionManager

    /// Creates the middleware.
    public init(manager: SessionManager) {
        self.manager = manager
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let session: Session
        do {
            let (loaded, outcome) = try await manager.load(from: request.headers)
            session = loaded
            switch outcome {
            case .refused(let refusal):
                context.logger.notice("Rampart refused a session cookie", metadata: ["rampart.reason": .string(refusal.reason)])
            case .timedOut:
                context.logger.info("Rampart session timed out")
            case .unknown:
                context.logger.info("Rampart session cookie names no stored session")
            case .noCookie, .loaded:
                break
            }
        } catch {
            context.logger.error("Rampart session store unavailable", metadata: ["rampart.error": .string(Self.describe(error))])
            throw StoreUnavailableError(retryAfter: (error as? StoreUnavailable)?.retryAfter ?? 5)
        }
        let handle = SessionHandle(session)
        var context = context
        context.security.sessionHandle = handle
        var response = try await next(request, context)
        let cookie: SetCookie?
        do {
            cookie = try await manager.commit(handle.session)
        } catch let error as SessionError {
            context.logger.error("Rampart could not save the session", metadata: ["rampart.error": .string(error.description)])
            throw HTTPError(.internalServerError)
        } catch {
            context.logger.error("Rampart session store unavailable", metadata: ["rampart.error": .string(Self.describe(error))])
            throw StoreUnavailableError(retryAfter: (error as? StoreUnavailable)?.retryAfter ?? 5)
        }
        response.headers.appendVary("Cookie")
        if let cookie {
            response.headers.append(cookie.headerField)
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}

extension SessionMiddleware {
    /// What a store error says in logs: a ``StoreUnavailable``'s own text (which carries no
    /// secrets), otherwise only the error's type.
    static func describe(_ error: any Error) -> String {
        (error as? StoreUnavailable)?.description ?? String(describing: type(of: error))
    }
}

/// 503 with `Retry-After` when a store cannot be reached.
///
/// See [RFC 9110 §15.6.4](https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4).
public struct StoreUnavailableError: HTTPResponseError {
    /// Seconds the client should wait before retrying.
    public var retryAfter: Int = 5

    public init(retryAfter: Int = 5) { self.retryAfter = retryAfter }

    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .serviceUnavailable,
            headers: [.retryAfter: String(retryAfter), .contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: "Service Unavailable: storeUnavailable\n"))
        )
    }
}

/// A store that cannot be reached, thrown by any handler or middleware, becomes the same 503
/// with `Retry-After`.
extension StoreUnavailable: HTTPResponseError {
    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try StoreUnavailableError(retryAfter: retryAfter).response(from: request, context: context)
    }
}

extension HTTPFields {
    /// Adds a token to `Vary` unless it is already listed.
    mutating func appendVary(_ token: String) {
        let existing = self[values: .vary].flatMap { $0.split(separator: ",").map { $0.trimmingASCIISpaces.lowercased() } }
        if existing.contains("*") || existing.contains(token.lowercased()) { return }
        append(HTTPField(name: .vary, value: token))
    }
}

extension Substring {
    var trimmingASCIISpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
