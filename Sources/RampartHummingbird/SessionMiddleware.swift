import HTTPTypes
import Hummingbird
import Logging
import Rampart
import Synchronization

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
        let logger = context.logger
        let handle = SessionHandle(shared: shared, requestFields: request.headers) { SessionMiddleware.log($0, logger: logger) }
        var context = context
        context.security.sessionHandle = handle
        var response = try await next(request, context)
        do {
            try await handle.finish(&response.headers)
        } catch let error as SessionError {
            context.logger.error("Rampart could not save the session", metadata: ["rampart.error": .string(error.description)])
            throw HTTPError(.internalServerError)
        } catch {
            context.logger.error("Rampart session store unavailable", metadata: ["rampart.error": .string(Self.describe(error))])
            throw RequestRefusal.unavailable(retryAfter: (error as? StoreUnavailable)?.retryAfter ?? 5)
        }
        return response
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

extension Substring {
    var trimmingASCIISpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
