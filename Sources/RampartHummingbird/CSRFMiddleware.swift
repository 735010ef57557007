import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import Rampart
import RampartMultipart
import Synchronization

/// The CSRF defence for Hummingbird: origin checks, then a token.
///
/// Order: ``SecurityHeadersMiddleware``, then ``SessionMiddleware``, then this.
/// - Safe methods and exempt paths pass.
/// - `CrossOriginProtection` runs on `Sec-Fetch-Site` and `Origin`.
/// - In token mode the request must carry a token in the form field `_csrf` (URL-encoded or
///   multipart; the body is read up to a limit first, 413 beyond it) or the `X-CSRF-Token` header:
///   a masked session token, or a one-time token on the routes configured for one.
/// - A failure is thrown as a `RequestRefusal` (403 with the `CSRFError` reason), written by
///   ``SecurityHeadersMiddleware``'s `RefusalPages` in the format the client asked for, and
///   logged with the reason and never the token.
/// - Responses of requests that issued a token get `Cache-Control: no-store` and `Vary: Cookie`.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFMiddleware<Context: RampartRequestContext>: RouterMiddleware {
    let configuration: CSRFConfiguration

    /// The form field that carries the token.
    public static var formField: String { CSRFConfiguration.formField }
    /// The header that carries the token.
    public static var headerName: HTTPField.Name { CSRFConfiguration.headerName }

    /// Creates the middleware.
    public init(configuration: CSRFConfiguration) {
        self.configuration = configuration
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let probe = WiringProbe.current {
            // Only the token mode needs the session before it.
            if configuration.mode == .tokens { probe.record(.csrf) }
            return try await next(request, context)
        }
        if context.security.sessionHandle == nil, configuration.mode == .tokens { RampartMisuse.report(.csrfBeforeSessions, logger: context.logger) }
        let state = CSRFState(oneTimeTokens: configuration.oneTimeTokens)
        var context = context
        context.security.csrfState = state
        var request = request

        if !CrossOriginProtection.isSafe(request.method) {
            let path = request.uri.path[...]
            if let exemption = configuration.exemptions.first(where: { $0.matches(path) }) {
                context.logger.debug(
                    "Rampart CSRF exemption",
                    metadata: ["rampart.path": .string(String(path)), "rampart.reason": .string(exemption.reason)]
                )
            } else if let failure = try await check(&request, context: context) {
                context.logger.notice(
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

        var response = try await next(request, context)
        if state.tokenIssued {
            response.headers[.cacheControl] = "no-store"
            response.headers.appendVary("Cookie")
        }
        return response
    }

    /// Runs the checks; may replace the request's body with the buffered one.
    func check(_ request: inout Request, context: Context) async throws -> CSRFError? {
        let handle = context.security.sessionHandle ?? SessionHandle(detached: .fresh(now: WallClock.system.now()))
        let head = request.head
        return try await configuration.check(head, isSecure: context.security.isSecure, session: handle) { [limit = configuration.maximumFormBytes] in
            try await Self.token(in: &request, limit: limit)
        }
    }

    static func token(in request: inout Request, limit: Int) async throws -> Result<String?, CSRFError> {
        if let header = CSRFConfiguration.headerToken(in: request.headers) { return header.map { $0 } }

        guard let contentType = request.headers[.contentType] else { return .success(nil) }
        let media = MediaType.essence(of: contentType)
        guard media == "application/x-www-form-urlencoded" || media == "multipart/form-data" else { return .success(nil) }
        if media == "multipart/form-data" {
            guard let boundary = MediaType.parameter("boundary", in: contentType), MultipartReader.isValidBoundary(boundary) else {
                return .failure(.badToken)
            }
            return try await multipartToken(in: &request, boundary: boundary, limit: limit)
        }
        // Checks the size while collecting: 413 past the limit, before anything is parsed.
        let body = try await request.collectBody(limit: limit, what: "the form")
        request.body = .init(buffer: body)
        return CSRFConfiguration.formToken(in: body.readableBytesView)
    }

    /// Finds `_csrf` in a multipart body by reading only as far as the end of that field, within
    /// `limit` bytes, so an upload is not buffered here: the bytes read are put back in front of
    /// the rest of the stream for the handler. Browsers send fields in document order, so the
    /// hidden field goes first in the form. The first `_csrf` field is the one checked.
    static func multipartToken(in request: inout Request, boundary: String, limit: Int) async throws -> Result<String?, CSRFError> {
        let (value, body) = try await MultipartFieldScan.firstValue(
            of: formField,
            boundary: boundary,
            limit: limit,
            in: request.body.makeAsyncIterator()
        )
        request.body = RequestBody(asyncSequence: body)
        return value
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(HeaderGrammar.trimOWS(Substring(self)))
    }
}
