import HTTPTypes

/// Every refusal Rampart makes, in one shape: a status, a stable reason code, one safe sentence
/// for people, and the header fields the status needs (`Allow`, `Retry-After`).
///
/// The host check (400), CSRF (403), JSON and upload limits (413, 415), the connection limits
/// (400, 408, 414, 431) and an unreachable store (503) all refuse with this type, and
/// ``RefusalPages`` renders all of them, so an app restyles every refusal in one place. The
/// message never echoes the request's bytes and never names a secret.
///
/// The framework adapters make it an error the framework renders (in RampartHummingbird, an
/// `HTTPResponseError`), always with the security headers.
///
/// See [MDN: HTTP response status codes](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status)
/// and [RFC 9110 §15](https://www.rfc-editor.org/rfc/rfc9110#section-15).
public struct RequestRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status sent.
    public let status: HTTPResponse.Status
    /// The stable reason code, such as `tooLarge`, `originMismatch` or `headerTooLarge`. Safe to
    /// log, to show and to branch on.
    public let reason: String
    /// One short sentence for people.
    public let message: String
    /// Fields the status needs, sent with every rendering (`Allow` on a 405, `Retry-After` on a
    /// 503). Rendering sets `Content-Type`, `Content-Length` and `Cache-Control` itself.
    public let headerFields: HTTPFields

    /// Creates a refusal.
    /// - Parameters:
    ///   - status: A 4xx or 5xx status.
    ///   - reason: A stable code in lowerCamelCase ASCII.
    ///   - message: One sentence, safe to show anyone: no request bytes, no secrets.
    ///   - headerFields: Fields the status needs, such as `Allow` or `Retry-After`.
    public init(status: HTTPResponse.Status, reason: String, message: String, headerFields: HTTPFields = [:]) {
        self.status = status
        self.reason = reason
        self.message = message
        self.headerFields = headerFields
    }

    public var description: String { "\(status.code) \(reason): \(message)" }

    /// The general code for the status, the `error` member of the JSON rendering: `badRequest`,
    /// `forbidden`, `notFound`, `tooLarge`, `unavailable` and so on.
    public var statusCode: String { Self.statusCode(for: status) }

    /// The general code for a status (``statusCode``); the reason code of a refusal made from a
    /// bare status, such as a framework's own HTTP error.
    public static func statusCode(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "notFound"
        case 405: "methodNotAllowed"
        case 408: "requestTimeout"
        case 409: "conflict"
        case 413: "tooLarge"
        case 414: "uriTooLong"
        case 415: "unsupportedMediaType"
        case 429: "tooManyRequests"
        case 431: "headerTooLarge"
        case 500: "internalError"
        case 503: "unavailable"
        default: "error\(status.code)"
        }
    }

    // MARK: Refusals Rampart makes

    /// 413: a body over its size limit.
    public static func tooLarge(_ message: String) -> RequestRefusal {
        RequestRefusal(status: .contentTooLarge, reason: "tooLarge", message: message)
    }

    /// 431: more header bytes than ``HTTPLimits/maxHeaderBytes``.
    public static func headerSectionTooLarge(limit: Int) -> RequestRefusal {
        .init(status: .requestHeaderFieldsTooLarge, reason: "headerTooLarge", message: "the header section is over \(limit) bytes")
    }
    /// 431: more fields than ``HTTPLimits/maxHeaderFields``.
    public static func tooManyHeaderFields(limit: Int) -> RequestRefusal {
        .init(status: .requestHeaderFieldsTooLarge, reason: "tooManyHeaders", message: "the request has more than \(limit) header fields")
    }
    /// 414: a target over ``HTTPLimits/maxTargetBytes``.
    public static func targetTooLong(limit: Int) -> RequestRefusal {
        .init(status: .uriTooLong, reason: "uriTooLong", message: "the request target is over \(limit) bytes")
    }
    /// 408: the header section did not arrive within ``HTTPLimits/headerTimeout``.
    public static let headerTimeout = RequestRefusal(
        status: .requestTimeout,
        reason: "headerTimeout",
        message: "the request's header section did not arrive in time"
    )
    /// 408: the body stalled or trickled below ``HTTPLimits/minimumBodyRate``.
    public static let bodyTimeout = RequestRefusal(
        status: .requestTimeout,
        reason: "bodyTimeout",
        message: "the request body stalled or arrived too slowly"
    )
    /// 400: the body ended before its declared length, or its framing was malformed.
    public static let incompleteBody = RequestRefusal(
        status: .badRequest,
        reason: "incompleteBody",
        message: "the request body ended early or is malformed"
    )
    /// 400: the request could not be parsed as HTTP/1.1.
    public static let malformed = RequestRefusal(status: .badRequest, reason: "malformedRequest", message: "the request is not valid HTTP/1.1")
    /// 404: nothing is served at this path.
    public static let notFound = RequestRefusal(status: .notFound, reason: "notFound", message: "There is nothing here.")
    /// 500: something failed on the server's side. Says nothing about the cause.
    public static let internalError = RequestRefusal(
        status: .internalServerError,
        reason: "internalError",
        message: "Something went wrong on our side."
    )

    /// 405 with `Allow`: the path exists for other methods.
    /// - Parameters:
    ///   - method: The method that was used (only the method's token is shown).
    ///   - allowed: The methods the path answers.
    public static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [String]) -> RequestRefusal {
        let list = allowed.joined(separator: ", ")
        return RequestRefusal(
            status: .methodNotAllowed,
            reason: "methodNotAllowed",
            message: "\(method.rawValue) is not allowed here; use \(list).",
            headerFields: [.allow: list]
        )
    }

    /// A host refused by ``TransportSecurity``: 400.
    public init(_ rejection: TransportSecurity.Rejection) {
        let message =
            switch rejection {
            case .missingHost: "the request has no Host"
            case .conflictingHost: "the request names two different hosts"
            case .hostNotAllowed: "this server does not answer for that host"
            default: "the request's Host is not a valid host name"
            }
        self.init(status: rejection.status, reason: rejection.reason, message: message)
    }

    /// A request refused by the CSRF defence: 403 with the ``CSRFError`` reason.
    public init(_ failure: CSRFError) {
        let message =
            switch failure {
            case .crossSite: "the request came from another site"
            case .originMismatch: "the request's Origin is not this site or a trusted origin"
            case .nullOrigin: "the request came from an opaque origin"
            case .missingToken: "the form has no CSRF token; reload the page and try again"
            case .tokenExpired: "the form's one-time token expired; reload the page and try again"
            case .tokenReused: "the form's one-time token was used already; reload the page and try again"
            case .wrongAction: "the form's one-time token is for another action"
            default: "the form's CSRF token is not valid; reload the page and try again"
            }
        self.init(status: failure.status, reason: failure.reason, message: message)
    }

    /// An upload refused by ``UploadPolicy``.
    public init(_ refusal: UploadRefusal) {
        let message =
            switch refusal {
            case .tooLarge: "the file is over the size limit"
            case .empty: "the file is empty"
            case .polyglot: "the file holds markup a browser could run"
            default: "the file is not one of the accepted types"
            }
        self.init(status: refusal.status, reason: refusal.reason, message: message)
    }

    /// A store that cannot be reached: 503 with `Retry-After`. Says nothing about the cause.
    public init(_ unavailable: StoreUnavailable) {
        self = .unavailable(retryAfter: unavailable.retryAfter)
    }

    /// 503 with `Retry-After`: the service is briefly unavailable.
    public static func unavailable(retryAfter seconds: Int) -> RequestRefusal {
        RequestRefusal(
            status: .serviceUnavailable,
            reason: "storeUnavailable",
            message: "The service is briefly unavailable; try again shortly.",
            headerFields: [.retryAfter: String(max(1, seconds))]
        )
    }
}
