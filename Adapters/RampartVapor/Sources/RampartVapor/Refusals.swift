import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Rampart
import Vapor

extension RequestRefusal {
    /// The refusal as a Vapor response, written by `pages` in the format the request asked for
    /// (HTML, JSON or text; see `RefusalFormat`), with the refusal's own fields (`Allow`,
    /// `Retry-After`, `Accept`) and `Cache-Control: no-store`. The security headers are added
    /// by ``RampartSecurityMiddleware`` on the way out.
    ///
    /// See [RFC 9110 §15](https://www.rfc-editor.org/rfc/rfc9110#section-15).
    public func vaporResponse(for request: Request, pages: RefusalPages = .standard) -> Response {
        response(head: request.rampartHead, pages: pages, nonce: request.cspNonce)
    }

    func response(head: HTTPRequest?, pages: RefusalPages, nonce: CSPNonce?) -> Response {
        let page = pages.page(for: self, request: RefusalRequest(head: head, cspNonce: nonce))
        var fields = headerFields
        fields[.contentType] = page.contentType
        fields[.cacheControl] = "no-store"
        return Response(status: status.vaporStatus, headers: HTTPHeaders(fields), body: .init(string: page.body))
    }

    /// The refusal an error thrown inside ``RampartSecurityMiddleware`` stands for, or `nil`
    /// for an error that is none (answered as a 500 that says nothing about it).
    ///
    /// Rampart's own refusals are themselves; Vapor's `AbortError`s (`Abort`, the router's
    /// `RouteNotFound`, a body that does not decode) keep their status, their `reason` as the
    /// message, and their `Allow`, `Retry-After` and `WWW-Authenticate` fields.
    init?(renderingVapor error: any Error) {
        switch error {
        case let refusal as RequestRefusal: self = refusal
        case let failure as CSRFError: self.init(failure)
        case let refusal as UploadRefusal: self.init(refusal)
        case let unavailable as StoreUnavailable: self.init(unavailable)
        // A body cut short or broken mid-way (the parser's framing error, an early EOF, a reset):
        // the client's doing, never a 500 (issue 13). The connection is usually gone already.
        case is HTTPParserError, is IOError, is ChannelError: self = .incompleteBody
        case let abort as any AbortError:
            var fields = HTTPFields()
            for name in [HTTPField.Name.allow, .retryAfter, .wwwAuthenticate] {
                if let value = abort.headers.first(name: name.rawName) { fields.append(HTTPField(name: name, value: value)) }
            }
            let status = abort.status.rampartStatus
            // Vapor's default reason is the status's own phrase; say what Rampart says instead.
            let message =
                abort.reason == abort.status.reasonPhrase
                ? (status == .notFound ? RequestRefusal.notFound.message : abort.reason) : abort.reason
            self.init(status: status, reason: RequestRefusal.statusCode(for: status), message: message, headerFields: fields)
        default:
            return nil
        }
    }
}
