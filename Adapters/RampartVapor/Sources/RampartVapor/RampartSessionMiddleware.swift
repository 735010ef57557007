import HTTPTypes
import Logging
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Rampart
import Vapor

/// Rampart sessions for Vapor, in place of Vapor's `SessionsMiddleware`: the same
/// `__Host-session` cookie (`Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`, signed), the same
/// stores (SQLite, PostgreSQL, memory) and the same rules as on Hummingbird.
///
/// - Nothing is read before the handler asks: ``Vapor/Request/rampartSession`` loads the stored
///   row on first use, and CSRF tokens need only the cookie's id.
/// - A tampered, expired or unknown cookie starts a fresh session; the refusal reason is logged,
///   never the cookie.
/// - Logging in rotates the id (no fixation); logging out deletes the row and clears the cookie.
/// - Responses that set the session cookie get `Cache-Control: no-store`, and every response
///   gets `Vary: Cookie`.
/// - When the handler throws, the session's changes are not saved.
/// - When the store fails, the request gets 503 with `Retry-After`, never a 500.
///
/// Add it after ``RampartSecurityMiddleware``, so its refusals get the security headers too:
///
/// ```swift
/// app.middleware.use(try RampartSecurityMiddleware(transport: transport))
/// app.middleware.use(RampartSessionMiddleware(manager: sessions))
/// app.post("login") { req async throws -> Response in
///     // … check the password …
///     try await req.rampartSession.logIn(userID: user.id)
///     return req.redirect(to: "/")
/// }
/// ```
///
/// Vapor 4.122's own `SessionsMiddleware` sets a cookie that is neither `Secure` nor `HttpOnly`
/// by default, keeps the id across logins unless the app rotates it, and stores sessions in
/// memory unless configured; this middleware replaces it.
///
/// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
public struct RampartSessionMiddleware: Middleware {
    let manager: SessionManager

    /// Creates the middleware.
    public init(manager: SessionManager) {
        self.manager = manager
    }

    /// Runs on the event loop: a request whose session needs no store I/O at the end (untouched,
    /// anonymous, or stored with nothing to write) is finished without a `Task`; only a store
    /// write runs in one.
    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let logger = request.logger
        let handle = SessionHandle(manager: manager, requestFields: request.rampartFields) {
            RampartSessionMiddleware.log($0, logger: logger)
        }
        request.storage[SessionKey.self] = handle
        return next.respond(to: request).flatMap { response in
            if handle.isUntouched, !response.headers.contains(name: "Vary") {
                // The usual case: only `Vary: Cookie`, with no round trip through HTTPFields.
                response.headers.add(name: "Vary", value: "Cookie")
                return request.eventLoop.makeSucceededFuture(response)
            }
            var fields = HTTPFields(response.headers, splitCookie: false)
            do {
                if try handle.finishWithoutStore(&fields) {
                    response.headers = HTTPHeaders(fields)
                    return request.eventLoop.makeSucceededFuture(response)
                }
            } catch {
                return request.eventLoop.makeFailedFuture(Self.refusal(for: error, logger: logger))
            }
            let unfinished = fields
            return request.eventLoop.makeFutureWithTask {
                var fields = unfinished
                do {
                    try await handle.finish(&fields)
                } catch {
                    throw Self.refusal(for: error, logger: logger)
                }
                response.headers = HTTPHeaders(fields)
                return response
            }
        }
    }

    /// The refusal a failed save becomes, logged: 500 for a session that cannot be saved, 503
    /// with `Retry-After` for an unreachable store.
    static func refusal(for error: any Error, logger: Logger) -> RequestRefusal {
        if let error = error as? SessionError {
            logger.error("Rampart could not save the session", metadata: ["rampart.error": .string(error.description)])
            return RequestRefusal.internalError
        }
        logger.error("Rampart session store unavailable", metadata: ["rampart.error": .string(Self.describe(error))])
        return RequestRefusal.unavailable(retryAfter: (error as? StoreUnavailable)?.retryAfter ?? 5)
    }

    /// Logs what a session cookie turned out to be: the refusal's reason, never the cookie.
    static func log(_ outcome: SessionManager.LoadOutcome, logger: Logger) {
        guard let line = outcome.logLine else { return }
        logger.log(
            level: line.isNotice ? .notice : .info,
            "\(line.message)",
            metadata: line.reason.map { ["rampart.reason": .string($0)] }
        )
    }

    /// What a store error says in logs: a `StoreUnavailable`'s own text (which carries no
    /// secrets), otherwise only the error's type.
    static func describe(_ error: any Error) -> String {
        (error as? StoreUnavailable)?.description ?? String(describing: type(of: error))
    }

    struct SessionKey: StorageKey { typealias Value = SessionHandle }
}

extension Request {
    /// This request's Rampart session, loaded on first use: the stored row is read only when the
    /// cookie names one, and only by the first caller.
    ///
    /// It needs ``RampartSessionMiddleware``; without it the handle is detached (nothing it
    /// holds is saved) and the mistake is logged at `error`.
    /// - Throws: `RequestRefusal` `storeUnavailable` (503 with `Retry-After`) when the store
    ///   cannot be read.
    ///
    /// See [OWASP Session Management Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html).
    public var rampartSession: SessionHandle {
        get async throws {
            guard let handle = rampartSessionHandle else {
                RampartMisuse.reportVapor(.sessionWithoutMiddleware, logger: logger)
                return SessionHandle(detached: .fresh(now: WallClock.system.now()))
            }
            do {
                try await handle.load()
            } catch {
                logger.error("Rampart session store unavailable", metadata: ["rampart.error": .string(RampartSessionMiddleware.describe(error))])
                throw RequestRefusal.unavailable(retryAfter: (error as? StoreUnavailable)?.retryAfter ?? 5)
            }
            return handle
        }
    }

    /// The session handle ``RampartSessionMiddleware`` made for this request, not yet loaded.
    var rampartSessionHandle: SessionHandle? {
        storage[RampartSessionMiddleware.SessionKey.self]
    }
}
