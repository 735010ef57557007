import HTTPTypes
import Hummingbird
import NIOCore
import Rampart

/// Every refusal Rampart makes is a ``Rampart/RequestRefusal``; in a Hummingbird app it is an
/// `HTTPResponseError`, so a refusal thrown anywhere (a handler, a middleware, a body read)
/// becomes its status, never a 500.
///
/// Inside ``SecurityHeadersMiddleware`` it is written by the middleware's `RefusalPages` and
/// carries the security headers; outside it, by the standard pages.
///
/// Thrown by the CSRF check, ``RequireJSONMiddleware``, ``SessionMiddleware`` (503),
/// `Request.decodeJSON(as:limits:decoder:)`, `Request.multipartForm(policy:limits:)`,
/// `Request.collectUpload(policy:)` and the connection guard.
///
/// See [MDN: HTTP response status codes](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status).
extension RequestRefusal: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let nonce = (context as? any RampartRequestContext)?.security.cspNonce
        return response(for: request.head, pages: .standard, nonce: nonce)
    }

    /// The response for this refusal written by `pages`: status, the refusal's own fields,
    /// `Content-Type`, `Content-Length` and `Cache-Control: no-store`. The caller adds the
    /// security headers.
    func response(for head: HTTPRequest, pages: RefusalPages, nonce: CSPNonce?) -> Response {
        let page = pages.page(for: self, request: RefusalRequest(head: head, cspNonce: nonce))
        let buffer = ByteBuffer(string: page.body)
        var headers = headerFields
        headers[.contentType] = page.contentType
        headers[.contentLength] = String(buffer.readableBytes)
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}

extension RequestRefusal {
    /// The refusal an error thrown past Rampart's middleware is written as: itself, a CSRF or
    /// upload refusal, an unreachable store (503), or a Hummingbird `HTTPError` (its status,
    /// its message and its `Allow`/`Retry-After`). `nil` for any other `HTTPResponseError`,
    /// which writes its own response, and for errors that are not HTTP errors (a 500).
    init?(rendering error: any Error) {
        switch error {
        case let refusal as RequestRefusal: self = refusal
        case let failure as CSRFError: self.init(failure)
        case let refusal as UploadRefusal: self.init(refusal)
        case let unavailable as StoreUnavailable: self.init(unavailable)
        case let httpError as HTTPError:
            var fields = HTTPFields()
            for name in [HTTPField.Name.allow, .retryAfter, .wwwAuthenticate] {
                if let value = httpError.headers[name] { fields[name] = value }
            }
            let message = httpError.body ?? (httpError.status == .notFound ? RequestRefusal.notFound.message : httpError.status.reasonPhrase)
            self.init(status: httpError.status, reason: RequestRefusal.statusCode(for: httpError.status), message: message, headerFields: fields)
        default: return nil
        }
    }
}
