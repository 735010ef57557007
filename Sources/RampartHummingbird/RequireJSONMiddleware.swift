import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import Rampart
import Synchronization

/// Refuses request bodies that are not `application/json` with 415 (a `RequestRefusal`
/// `unsupportedMediaType`, with `Accept: application/json`), so a cross-site form
/// cannot post `text/plain` JSON to an API.
///
/// See [RFC 9110 §15.5.16](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.16) and
/// [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct RequireJSONMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !CrossOriginProtection.isSafe(request.method) {
            let media = request.headers[.contentType].map(MediaType.essence(of:))
            let hasBody = request.headers[.contentLength].map { $0 != "0" } ?? (request.headers[.transferEncoding] != nil)
            if media != "application/json" && (hasBody || media != nil) {
                throw RequestRefusal(
                    status: .unsupportedMediaType,
                    reason: "unsupportedMediaType",
                    message: "send Content-Type: application/json",
                    headerFields: [.accept: "application/json"]
                )
            }
        }
        return try await next(request, context)
    }
}
