import Foundation
import HTTPTypes
import Logging
import NIOCore
import Rampart
import RampartMultipart
import RampartMustache

/// A request as the board sees it, whichever framework serves it: each adapter (Hummingbird in
/// `RampartApp`, Vapor in `RampartVaporBoard`) fills one in from its own request, after
/// Rampart's middleware ran (headers, sessions, CSRF).
///
/// See [RFC 9110 §9: methods](https://www.rfc-editor.org/rfc/rfc9110#section-9).
public struct BoardRequest: Sendable {
    /// Reads the request's body, under a limit, in the adapter's own way.
    public struct Body: Sendable {
        let collect: @Sendable (_ limit: Int, _ what: String) async throws -> ByteBuffer
        let multipart: @Sendable (_ policy: UploadPolicy) async throws -> MultipartForm

        /// Creates a body reader.
        /// - Parameters:
        ///   - collect: Collects at most `limit` bytes, refusing more with `RequestRefusal`
        ///     `tooLarge` (413); `what` names the body in the refusal.
        ///   - multipart: Reads a `multipart/form-data` body under an `UploadPolicy`.
        public init(
            collect: @escaping @Sendable (_ limit: Int, _ what: String) async throws -> ByteBuffer,
            multipart: @escaping @Sendable (_ policy: UploadPolicy) async throws -> MultipartForm
        ) {
            self.collect = collect
            self.multipart = multipart
        }
    }

    /// The method.
    public let method: HTTPRequest.Method
    /// The path, without the query.
    public let path: String
    /// The query, without `?`, if any.
    public let query: String?
    /// The header fields.
    public let headers: HTTPFields
    /// The route's parameters by name (`id` in `/uploads/{id}`).
    public let parameters: [String: String]
    /// The socket's peer (the client or a proxy), as the adapter read it from the connection.
    public let peerAddress: IPAddress?
    /// The CSP nonce of this response, drawn on first read (a page that stamps it); `nil` when
    /// the adapter's security middleware did not run.
    public var nonce: CSPNonce? { lazyNonce?.nonce }
    let lazyNonce: LazyCSPNonce?
    /// The CSRF helpers, when the CSRF middleware ran on this request.
    public let csrf: CSRFHelpers?
    /// The request's logger.
    public let logger: Logger
    let loadSession: @Sendable () async throws -> SessionHandle
    let body: Body

    /// Creates the board's view of a request.
    public init(
        method: HTTPRequest.Method,
        path: String,
        query: String?,
        headers: HTTPFields,
        parameters: [String: String] = [:],
        peerAddress: IPAddress?,
        nonce: LazyCSPNonce?,
        csrf: CSRFHelpers?,
        logger: Logger,
        session: @escaping @Sendable () async throws -> SessionHandle,
        body: Body
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.parameters = parameters
        self.peerAddress = peerAddress
        self.lazyNonce = nonce
        self.csrf = csrf
        self.logger = logger
        self.loadSession = session
        self.body = body
    }

    /// The request's session (loaded on first use by the adapter's session middleware).
    public var session: SessionHandle {
        get async throws { try await loadSession() }
    }

    /// What templates get from this request: the nonce and CSRF fields.
    var templateValues: SafeMustache.RequestValues { SafeMustache.RequestValues(lazyNonce: lazyNonce, csrf: csrf) }

    /// The first value of a query parameter, decoded as browsers encode GET forms (`+` is a space).
    ///
    /// See [URL Standard §5.1](https://url.spec.whatwg.org/#urlencoded-parsing).
    public func queryValue(_ name: String) -> String? {
        guard let query else { return nil }
        return URLEncodedForm.values(named: name, in: query.utf8).first
    }

    /// The media type of `Content-Type`, without parameters, lower-cased.
    var contentMediaType: String? { headers[.contentType].map(MediaType.essence(of:)) }

    /// Collects the body under `limit` bytes.
    func collectBody(limit: Int, what: String) async throws -> ByteBuffer { try await body.collect(limit, what) }

    /// Reads a JSON body under `JSONLimits`: 415 for another media type, 413 past the size, 400
    /// past the depth or for bytes that are not JSON or do not fit `T`.
    func decodeJSON<T: Decodable>(as type: T.Type, limits: JSONLimits = .standard) async throws -> T {
        try JSONLimits.requireJSONMediaType(headers[.contentType])
        let bytes = try await collectBody(limit: limits.maximumBytes, what: "the JSON body")
        return try limits.decode(T.self, from: bytes.readableBytesView, decoder: JSONDecoder())
    }

    /// Reads a `multipart/form-data` body under `policy`.
    func multipartForm(policy: UploadPolicy) async throws -> MultipartForm { try await body.multipart(policy) }

    /// The CSRF helpers, or a 500 when the adapter did not run the CSRF middleware.
    func requireCSRF() throws -> CSRFHelpers {
        guard let csrf else { throw RequestRefusal.internalError }
        return csrf
    }
}

/// A response from the board, written by the adapter (which adds the security headers and the
/// session cookie).
///
/// See [RFC 9110 §15: status codes](https://www.rfc-editor.org/rfc/rfc9110#section-15).
public struct BoardResponse: Sendable {
    /// The status.
    public var status: HTTPResponse.Status
    /// The header fields, `Content-Type` and `Content-Length` included.
    public var headers: HTTPFields
    /// The body.
    public var body: ByteBuffer

    /// Creates a response.
    public init(status: HTTPResponse.Status, headers: HTTPFields = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// An HTML page from text the safe templates produced.
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> BoardResponse {
        let buffer = ByteBuffer(string: html)
        return BoardResponse(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: buffer
        )
    }

    /// `303 See Other` to `location`.
    ///
    /// See [MDN: 303 See Other](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status/303).
    static func redirect(_ location: String) -> BoardResponse {
        BoardResponse(status: .seeOther, headers: [.location: location, .contentLength: "0"])
    }

    /// The response with `Clear-Site-Data` set: the browser drops the site's cache and storage
    /// (and, for an account deletion, its cookies).
    ///
    /// See [MDN: Clear-Site-Data](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Clear-Site-Data).
    func clearingSiteData(_ policy: ClearSiteData) -> BoardResponse {
        var response = self
        policy.apply(to: &response.headers)
        return response
    }

    /// JSON, with `<`, `>`, `&`, U+2028 and U+2029 escaped (`JSONForHTML`).
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> BoardResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let buffer = ByteBuffer(string: JSONForHTML.escape(try encoder.encode(value)))
        return BoardResponse(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes)],
            body: buffer
        )
    }

    /// Adds a `Set-Cookie` field.
    mutating func setCookie(_ cookie: SetCookie) {
        headers.append(cookie.headerField)
    }
}

/// One route of the board: what an adapter registers, and what `rampart routes` lists.
public struct BoardRoute: Sendable {
    /// The method (a `GET` route also answers `HEAD`).
    public let method: HTTPRequest.Method
    /// The path pattern: literal segments and `{name}` parameters, as in `/uploads/{id}`.
    public let path: String
    /// Which CSP the route is served under, for the route list.
    public let csp: String
    /// What the route does, for the route list.
    public let summary: String
    /// Answers the request.
    public let handler: @Sendable (BoardRequest) async throws -> BoardResponse

    /// The path's segments, a parameter as `(name, true)`.
    public var segments: [(text: String, isParameter: Bool)] {
        path.split(separator: "/").map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? (String(part.dropFirst().dropLast()), true) : (String(part), false)
        }
    }
}

/// One route of the reference app, as `rampart routes` lists it.
public struct RouteInfo: Sendable, Hashable, Codable {
    /// The method, such as `GET`.
    public let method: String
    /// The path pattern, such as `/uploads/{id}`.
    public let path: String
    /// How CSRF is checked on it.
    public let csrf: String
    /// Which CSP it is served under.
    public let csp: String
    /// What it does.
    public let summary: String

    /// Describes a route with its CSRF mode under `csrf`.
    public init(method: HTTPRequest.Method, path: String, csp: String, summary: String, csrf: CSRFConfiguration) {
        self.method = method.rawValue
        self.path = path
        self.csp = csp
        self.summary = summary
        self.csrf = Self.csrfMode(method, path, csrf)
    }

    static func csrfMode(_ method: HTTPRequest.Method, _ path: String, _ csrf: CSRFConfiguration) -> String {
        if CrossOriginProtection.isSafe(method) { return "none (safe method)" }
        if let exemption = csrf.exemptions.first(where: { $0.matches(path[...]) }) { return "exempt: \(exemption.reason)" }
        if let route = csrf.oneTimeRoutes.first(where: { $0.matches(method: method, path: path[...]) }) { return "one-time token (\(route.action))" }
        return "origin check + masked token (_csrf field or X-CSRF-Token)"
    }
}

/// The registered route patterns, split into segments once at startup, for the per-request
/// 404/405 decision (by both adapters: a path no route has is a 404, one with other methods
/// a 405 with `Allow`).
///
/// See [MDN: 405 Method Not Allowed](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Status/405).
public struct RouteMatcher: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(Substring)
        case parameter
    }

    let patterns: [(segments: [Segment], method: String)]

    /// Compiles the patterns of `routes`.
    public init(_ routes: [RouteInfo]) {
        patterns = routes.map { route in
            (
                route.path.split(separator: "/", omittingEmptySubsequences: false).map { part in
                    part.hasPrefix("{") && part.hasSuffix("}") ? .parameter : .literal(part)
                }, route.method
            )
        }
    }

    /// The methods registered for a concrete path; `HEAD` wherever `GET` is.
    public func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var methods: [String] = []
        for pattern in patterns where pattern.segments.count == segments.count && !methods.contains(pattern.method) {
            let matches = zip(pattern.segments, segments).allSatisfy { expected, actual in
                switch expected {
                case .parameter: !actual.isEmpty
                case .literal(let literal): literal == actual
                }
            }
            if matches { methods.append(pattern.method) }
        }
        if methods.contains("GET"), !methods.contains("HEAD") { methods.append("HEAD") }
        return methods
    }
}
