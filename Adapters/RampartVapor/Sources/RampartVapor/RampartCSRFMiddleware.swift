import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Rampart
import RampartMultipart
import Vapor

/// Rampart's hybrid CSRF defence for Vapor: the same checks, tokens and reason codes as on
/// Hummingbird, from the core's `CSRFConfiguration`.
///
/// For every unsafe request (not `GET`, `HEAD`, `OPTIONS` or `TRACE`) whose path is not exempt:
/// 1. the cross-origin check: `Sec-Fetch-Site`, then `Origin` against this site and the trusted
///    origins (as Go's `CrossOriginProtection`);
/// 2. in token mode (the default), a token from `X-CSRF-Token` or the `_csrf` form field
///    (URL-encoded or multipart): a one-time token on a one-time route, redeemed once, a masked
///    session token elsewhere.
///
/// A refusal is a 403 `RequestRefusal` with the `CSRFError` reason (`crossSite`,
/// `originMismatch`, `nullOrigin`, `missingToken`, `badToken`, `tokenExpired`, `tokenReused`,
/// `wrongAction`), written by ``RampartSecurityMiddleware``. A response that carries a token gets
/// `Cache-Control: no-store` and `Vary: Cookie`.
///
/// Add it after ``RampartSessionMiddleware``; templates get tokens from ``Vapor/Request/csrf``.
///
/// A URL-encoded form body is read here, up to `CSRFConfiguration.maximumFormBytes` (413 past
/// it), and left collected for the route. A multipart body is streamed: it is read only as far
/// as the end of the `_csrf` field (which must come within the first `maximumFormBytes`; put
/// it first in the form), and the route reads the whole body, of any size its own policy allows,
/// through `Request.multipartForm(policy:limits:)` or `Request.collectBody(limit:what:)`: read it
/// through those, not through `req.body` directly, on a `body: .stream` route.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
///
/// Safe methods pass on the event loop with no `Task`; only an unsafe request, whose check may
/// read the body, runs the check in one.
public struct RampartCSRFMiddleware: Middleware {
    let configuration: CSRFConfiguration

    /// Creates the middleware.
    public init(configuration: CSRFConfiguration) {
        self.configuration = configuration
    }

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let state = CSRFState(oneTimeTokens: configuration.oneTimeTokens)
        request.storage[CSRFKey.self] = state
        if request.rampartSessionHandle == nil, configuration.mode == .tokens {
            RampartMisuse.reportVapor(.csrfBeforeSessions, logger: request.logger)
        }
        let checked: EventLoopFuture<Void>
        if CrossOriginProtection.isSafe(request.method.rampartMethod) {
            checked = request.eventLoop.makeSucceededVoidFuture()
        } else {
            let configuration = self.configuration
            checked = request.eventLoop.makeFutureWithTask { try await Self.check(request, configuration: configuration) }
        }
        return checked.flatMap { next.respond(to: request) }.map { response in
            if state.tokenIssued { response.withRampartFields { state.markResponse(&$0) } }
            return response
        }
    }

    /// The check of an unsafe request: `Sec-Fetch-Site`/`Origin`, then the token, unless the
    /// path is exempt.
    static func check(_ request: Request, configuration: CSRFConfiguration) async throws {
        // A request the core cannot read is refused, not waved through.
        guard let head = request.rampartHead else { throw RequestRefusal.malformed }
        let path = Substring((head.path ?? "/").prefix { $0 != "?" })
        if let exemption = configuration.exemption(for: path) {
            request.logger.debug(
                "Rampart CSRF exemption",
                metadata: ["rampart.path": .string(String(path)), "rampart.reason": .string(exemption.reason)]
            )
            return
        }
        let session = request.rampartSessionHandle ?? SessionHandle(detached: .fresh(now: WallClock.system.now()))
        let limit = configuration.maximumFormBytes
        if let failure = try await configuration.check(
            head,
            isSecure: request.rampartIsSecure,
            session: session,
            token: {
                try await Self.token(in: request, limit: limit)
            }
        ) {
            request.logger.notice(
                "Rampart refused a cross-site request",
                metadata: [
                    "rampart.reason": .string(failure.reason),
                    "rampart.method": .string(request.method.rawValue),
                    "rampart.path": .string(String(path)),
                ]
            )
            throw RequestRefusal(failure)
        }
    }

    /// The token: `X-CSRF-Token`, else the `_csrf` field of a URL-encoded or multipart body.
    static func token(in request: Request, limit: Int) async throws -> Result<String?, CSRFError> {
        let fields = request.rampartFields
        if let header = CSRFConfiguration.headerToken(in: fields) { return header.map { $0 } }
        guard let contentType = fields[.contentType] else { return .success(nil) }
        let media = MediaType.essence(of: contentType)
        guard media == "application/x-www-form-urlencoded" || media == "multipart/form-data" else { return .success(nil) }
        if media == "multipart/form-data" {
            guard let boundary = MediaType.parameter("boundary", in: contentType), MultipartHeaderGuard.isValidBoundary(boundary) else {
                return .failure(.badToken)
            }
            // Streamed: only as far as the end of the `_csrf` field (within `limit` bytes); the
            // chunks read are kept for Rampart's readers (`multipartForm`, `collectBody`), which
            // then read the whole body, so an upload of any size under its own policy works.
            let (value, body) = try await MultipartFieldScan.firstValue(
                of: CSRFConfiguration.formField,
                boundary: boundary,
                limit: limit,
                in: request.body.makeAsyncIterator()
            )
            request.storage[ScannedBodyKey.self] = body
            return value
        }
        if let declared = fields[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw RequestRefusal.tooLarge("the form is over \(limit) bytes")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(max: limit).get() ?? ByteBuffer()
        } catch let abort as any AbortError where abort.status == .payloadTooLarge {
            throw RequestRefusal.tooLarge("the form is over \(limit) bytes")
        }
        return CSRFConfiguration.formToken(in: body.readableBytesView)
    }

    struct CSRFKey: StorageKey { typealias Value = CSRFState }
    /// A multipart body the token scan began to read: its chunks read, then the rest.
    struct ScannedBodyKey: StorageKey { typealias Value = PrefixedBody<Request.Body.AsyncIterator> }
}

extension Request {
    /// CSRF token helpers for this request's templates: `req.csrf.hiddenField()`,
    /// `req.csrf.metaTag()`, `req.csrf.oneTimeField(action:)`. Needs
    /// ``RampartSessionMiddleware`` and ``RampartCSRFMiddleware``; without the session
    /// middleware the tokens can never verify, and the mistake is reported as
    /// `RampartMisuse.csrfWithoutMiddleware` (an assertion in debug builds, one `error` line).
    ///
    /// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
    public var csrf: CSRFHelpers {
        let state = storage[RampartCSRFMiddleware.CSRFKey.self]
        guard let session = rampartSessionHandle else {
            RampartMisuse.reportVapor(.csrfWithoutMiddleware, logger: logger)
            return CSRFHelpers(session: SessionHandle(detached: .fresh(now: WallClock.system.now())), state: state)
        }
        return CSRFHelpers(session: session, state: state)
    }
}

extension Request {
    /// The CSRF helpers when ``RampartCSRFMiddleware`` ran on this request, else `nil` (with no
    /// misuse report): for code that renders pages on routes with and without CSRF.
    public var rampartCSRFIfChecked: CSRFHelpers? {
        guard let state = storage[RampartCSRFMiddleware.CSRFKey.self], let session = rampartSessionHandle else { return nil }
        return CSRFHelpers(session: session, state: state)
    }
}

extension HTTPMethod {
    /// The same method in HTTPTypes.
    var rampartMethod: HTTPRequest.Method {
        (try? HTTPRequest.Method(self)) ?? HTTPRequest.Method("UNKNOWN")!
    }
}
