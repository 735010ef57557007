import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import Rampart
import Synchronization

/// How ``CSRFMiddleware`` protects unsafe requests.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFConfiguration: Sendable {
    /// A path that skips the CSRF checks, with the reason why that is safe.
    public struct Exemption: Sendable, Hashable {
        /// The exact path, or the prefix.
        public let path: String
        /// Whether ``path`` is a prefix.
        public let isPrefix: Bool
        /// Why the path is exempt, for reviewers and the log.
        public let reason: String

        /// One exact path, such as a webhook that carries its own signature.
        public static func path(_ path: String, reason: String) -> Exemption { Exemption(path: path, isPrefix: false, reason: reason) }
        /// Every path under a prefix (a route group), such as `/webhooks/`.
        public static func prefix(_ prefix: String, reason: String) -> Exemption { Exemption(path: prefix, isPrefix: true, reason: reason) }

        /// Whether a request path is exempt. Paths are compared segment by segment, the way
        /// Hummingbird's router reads them (empty segments skipped, case kept, no decoding), so
        /// `.prefix("/webhooks")` covers `/webhooks/github` and `//webhooks/` but never
        /// `/webhooks-admin/…`. A path the router would reach some other way (a case-insensitive
        /// router, say) is not exempt: the checks then run, which fails closed.
        public func matches(_ requestPath: Substring) -> Bool {
            let want = RoutePath.segments(path[...])
            let have = RoutePath.segments(requestPath)
            return isPrefix ? have.starts(with: want) : have == want
        }
    }

    /// Which checks run.
    public struct Mode: Sendable, Hashable {
        enum Base: Hashable, Sendable { case tokens, headersOnly }
        let base: Base
        /// The origin checks, then a masked or one-time token. The default for apps with sessions.
        public static let tokens = Mode(base: .tokens)
        /// The origin checks only: for JSON APIs called by non-browser clients, where there is no
        /// session cookie to ride on.
        public static let headersOnly = Mode(base: .headersOnly)
    }

    /// A route whose unsafe requests need a one-time token for an action.
    public struct OneTimeRoute: Sendable, Hashable {
        /// The method, `POST` by default.
        public let method: HTTPRequest.Method
        /// The exact path.
        public let path: String
        /// The action the one-time token must be issued for.
        public let action: String
        /// Creates a route requirement.
        public init(_ method: HTTPRequest.Method = .post, _ path: String, action: String) {
            self.method = method
            self.path = path
            self.action = action
        }

        /// Whether a request is for this route. Every spelling a router could send to the same
        /// handler matches: empty segments (`//`, a trailing `/`) are skipped, `%XX` escapes are
        /// decoded and case is ignored. Matching more than the router does only ever asks for a
        /// one-time token where a masked one would have done, never the other way round.
        public func matches(method: HTTPRequest.Method, path requestPath: Substring) -> Bool {
            method == self.method && RoutePath.looseSegments(requestPath) == RoutePath.looseSegments(path[...])
        }
    }

    /// The origin checks.
    public var crossOrigin: CrossOriginProtection
    /// Which checks run.
    public var mode: Mode
    /// Paths that skip the checks.
    public var exemptions: [Exemption]
    /// One-time tokens for sensitive actions, if any.
    public var oneTimeTokens: OneTimeTokens?
    /// Routes that need a one-time token instead of the masked session token.
    public var oneTimeRoutes: [OneTimeRoute]
    /// The largest form body read to find the `_csrf` field; a larger one gets 413.
    public var maximumFormBytes: Int

    /// Creates a configuration.
    /// - Throws: ``SecurityConfigurationError`` when an exemption has no reason, a one-time route
    ///   names an action the issuer does not know, or the body limit is not positive.
    public init(
        crossOrigin: CrossOriginProtection = try! CrossOriginProtection(),
        mode: Mode = .tokens,
        exemptions: [Exemption] = [],
        oneTimeTokens: OneTimeTokens? = nil,
        oneTimeRoutes: [OneTimeRoute] = [],
        maximumFormBytes: Int = 1024 * 1024
    ) throws {
        for exemption in exemptions {
            guard exemption.path.utf8.first == UInt8(ascii: "/") else {
                throw SecurityConfigurationError(setting: "csrfExemptions", value: exemption.path, reason: .invalidValue, message: "an exempt path starts with '/'")
            }
            guard !exemption.reason.utf8.allSatisfy({ $0 == 0x20 }) else {
                throw SecurityConfigurationError(setting: "csrfExemptions", value: exemption.path, reason: .empty, message: "say why this path is safe without CSRF checks")
            }
        }
        for route in oneTimeRoutes {
            guard let oneTimeTokens, oneTimeTokens.actions.contains(route.action) else {
                throw SecurityConfigurationError(setting: "oneTimeRoutes", value: route.action, reason: .missingDirective, message: "the action is not registered with oneTimeTokens")
            }
        }
        guard maximumFormBytes > 0 else {
            throw SecurityConfigurationError(setting: "maximumFormBytes", value: String(maximumFormBytes), reason: .invalidValue, message: "must be positive")
        }
        self.crossOrigin = crossOrigin
        self.mode = mode
        self.exemptions = exemptions
        self.oneTimeTokens = oneTimeTokens
        self.oneTimeRoutes = oneTimeRoutes
        self.maximumFormBytes = maximumFormBytes
    }
}

/// Per-request CSRF state shared with the template helpers, by reference.
final class CSRFState: Sendable {
    let oneTimeTokens: OneTimeTokens?
    private let issued = Mutex(false)

    init(oneTimeTokens: OneTimeTokens?) { self.oneTimeTokens = oneTimeTokens }

    func markIssued() { issued.withLock { $0 = true } }
    var tokenIssued: Bool { issued.withLock { $0 } }
}

/// The CSRF defence for Hummingbird: origin checks, then a token.
///
/// Order: ``SecurityHeadersMiddleware``, then ``SessionMiddleware``, then this.
/// - Safe methods and exempt paths pass.
/// - ``CrossOriginProtection`` runs on `Sec-Fetch-Site` and `Origin`.
/// - In token mode the request must carry a token in the form field `_csrf` (URL-encoded or
///   multipart; the body is read up to a limit first, 413 beyond it) or the `X-CSRF-Token` header:
///   a masked session token, or a one-time token on the routes configured for one.
/// - A failure is a 403 with the reason, as HTML or JSON by `Accept` (JSON too for a JSON body
///   sent without `Accept: text/html`), logged with the reason and
///   never the token.
/// - Responses of requests that issued a token get `Cache-Control: no-store` and `Vary: Cookie`.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFMiddleware<Context: RampartRequestContext>: RouterMiddleware {
    let configuration: CSRFConfiguration

    /// The form field that carries the token.
    public static var formField: String { "_csrf" }
    /// The header that carries the token.
    public static var headerName: HTTPField.Name { HTTPField.Name("X-CSRF-Token")! }

    /// Creates the middleware.
    public init(configuration: CSRFConfiguration) {
        self.configuration = configuration
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.security.sessionHandle == nil, configuration.mode == .tokens { RampartMisuse.report(.csrfBeforeSessions, logger: context.logger) }
        let state = CSRFState(oneTimeTokens: configuration.oneTimeTokens)
        var context = context
        context.security.csrfState = state
        var request = request

        if !CrossOriginProtection.isSafe(request.method) {
            let path = request.uri.path[...]
            if let exemption = configuration.exemptions.first(where: { $0.matches(path) }) {
                context.logger.debug("Rampart CSRF exemption", metadata: ["rampart.path": .string(String(path)), "rampart.reason": .string(exemption.reason)])
            } else if let failure = try await check(&request, context: context) {
                context.logger.notice("Rampart refused a cross-site request", metadata: [
                    "rampart.reason": .string(failure.reason),
                    "rampart.method": .string(request.method.rawValue),
                    "rampart.path": .string(String(path)),
                ])
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
        let ownOrigin: WebOrigin? = TransportSecurityOrigin.own(request.head, isSecure: context.security.isSecure)
        if let failure = configuration.crossOrigin.check(request.head, ownOrigin: ownOrigin) { return failure }
        guard configuration.mode == .tokens else { return nil }

        let token: String
        switch try await Self.token(in: &request, limit: configuration.maximumFormBytes) {
        case .failure(let failure): return failure
        case .success(nil): return .missingToken
        case .success(let found?): token = found
        }
        // The session's id is all either token needs: its CSRF secret is derived from the id, so
        // no stored row is read here.
        let handle = context.security.sessionHandle ?? SessionHandle(detached: .fresh(now: WallClock.system.now()))
        if let route = configuration.oneTimeRoutes.first(where: { $0.matches(method: request.method, path: request.uri.path[...]) }),
            let tokens = configuration.oneTimeTokens {
            guard let secret = handle.verificationSecret() else { return .badToken }
            return try await tokens.redeem(token, action: route.action, sessionSecret: secret)
        }
        return handle.verify(maskedToken: token)
    }

    /// Finds the token in the header or the form body.
    static func token(in request: inout Request, limit: Int) async throws -> Result<String?, CSRFError> {
        let headers = request.headers[values: headerName]
        if headers.count > 1 { return .failure(.badToken) }
        if let header = headers.first { return .success(header) }

        guard let contentType = request.headers[.contentType] else { return .success(nil) }
        let media = HeaderGrammar.asciiLowercased(contentType.prefix { $0 != ";" }).trimmingSpaces
        guard media == "application/x-www-form-urlencoded" || media == "multipart/form-data" else { return .success(nil) }
        if media == "multipart/form-data" {
            guard let boundary = MediaParameters.value(of: "boundary", in: contentType), MultipartReader.isValidBoundary(boundary) else {
                return .failure(.badToken)
            }
            return try await multipartToken(in: &request, boundary: boundary, limit: limit)
        }
        // Checks the size while collecting: 413 past the limit, before anything is parsed.
        let body = try await request.collectBody(limit: limit, what: "the form")
        request.body = .init(buffer: body)
        let values = URLEncodedFields.values(named: formField, in: Array(body.readableBytesView))
        if values.count > 1 { return .failure(.badToken) }
        return .success(values.first)
    }

    /// Finds `_csrf` in a multipart body by reading only as far as the end of that field, within
    /// `limit` bytes, so an upload is not buffered here: the bytes read are put back in front of
    /// the rest of the stream for the handler. Browsers send fields in document order, so the
    /// hidden field goes first in the form. The first `_csrf` field is the one checked.
    static func multipartToken(in request: inout Request, boundary: String, limit: Int) async throws -> Result<String?, CSRFError> {
        let scan = MultipartFieldScan(field: formField, boundary: boundary)
        var iterator = request.body.makeAsyncIterator()
        var consumed: [ByteBuffer] = []
        var total = 0
        var result: Result<String?, CSRFError> = .success(nil)
        while total < limit, let chunk = try await iterator.next() {
            consumed.append(chunk)
            // Only the first `limit` bytes are looked at; past them the token is missing.
            let scanned = chunk.getSlice(at: chunk.readerIndex, length: min(chunk.readableBytes, limit - total))!
            total += scanned.readableBytes
            do {
                if let value = try scan.feed(scanned) { result = .success(value); break }
            } catch {
                result = .failure(.badToken)
                break
            }
        }
        request.body = RequestBody(asyncSequence: PrefixedBody(prefix: consumed, rest: IteratorBox(iterator)))
        return result
    }
}

/// The application's own origin for a request.
enum TransportSecurityOrigin {
    static func own(_ request: HTTPRequest, isSecure: Bool) -> WebOrigin? {
        guard let authority = request.authority ?? request.headerFields[HTTPField.Name("Host")!],
            let (host, port) = HostAllowList.splitAuthority(HeaderGrammar.asciiLowercased(authority)[...])
        else { return nil }
        return WebOrigin(scheme: isSecure ? "https" : "http", host: host, port: port)
    }
}

/// Reads one parameter of a media type, such as the multipart boundary.
enum MediaParameters {
    static func value(of name: String, in contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, HeaderGrammar.asciiLowercased(pair[0]).trimmingSpaces == name else { continue }
            var value = Substring(pair[1]).trimmingASCIISpaces[...]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return value.isEmpty || value.utf8.count > 70 ? nil : String(value)
        }
        return nil
    }
}

/// Values of one field in an `application/x-www-form-urlencoded` body.
///
/// See [URL Standard §5.1](https://url.spec.whatwg.org/#urlencoded-parsing).
enum URLEncodedFields {
    static func values(named field: String, in bytes: [UInt8]) -> [String] {
        var values: [String] = []
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            // Code points, not canonical equivalence: "\u{212A}" is not the field "K".
            guard decode(parts[0]).unicodeScalars.elementsEqual(field.unicodeScalars) else { continue }
            values.append(parts.count == 2 ? decode(parts[1]) : "")
        }
        return values
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Finds the first value of one field in a streamed `multipart/form-data` body, with
/// vapor/multipart-kit's parser, stopping as soon as that field is complete.
///
/// See [RFC 7578](https://www.rfc-editor.org/rfc/rfc7578).
final class MultipartFieldScan {
    let parser: MultipartParser
    var headerGuard: MultipartHeaderGuard
    var isField = false
    var value: [UInt8] = []
    var found: String?

    init(field: String, boundary: String) {
        parser = MultipartParser(boundary: boundary)
        headerGuard = MultipartHeaderGuard(boundary: boundary)
        parser.onHeader = { [unowned self] name, headerValue in
            guard HeaderGrammar.asciiLowercased(name) == "content-disposition" else { return }
            self.isField = ContentDisposition(headerValue).parameters["name"] == field
        }
        parser.onBody = { [unowned self] buffer in
            if self.isField, self.found == nil, self.value.count < 1024 { self.value.append(contentsOf: buffer.readableBytesView) }
        }
        parser.onPartComplete = { [unowned self] in
            if self.isField, self.found == nil { self.found = String(decoding: self.value, as: UTF8.self) }
            self.isField = false
        }
    }

    /// Feeds a chunk; returns the value once the field is complete.
    func feed(_ chunk: ByteBuffer) throws -> String? {
        guard headerGuard.check(chunk) else { throw MultipartError.invalidHeader }
        try parser.execute(chunk)
        return found
    }

    enum MultipartError: Error { case invalidHeader }
}

/// The chunks already read, then the rest of the original body.
struct PrefixedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let prefix: [ByteBuffer]
    let rest: IteratorBox

    struct AsyncIterator: AsyncIteratorProtocol {
        var prefix: IndexingIterator<[ByteBuffer]>
        let rest: IteratorBox
        mutating func next() async throws -> ByteBuffer? {
            if let chunk = prefix.next() { return chunk }
            return try await rest.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(prefix: prefix.makeIterator(), rest: rest) }
}

/// Holds the original body's iterator after the CSRF scan. A request body is read by one task,
/// once, so the unsynchronised state is never shared.
final class IteratorBox: @unchecked Sendable {
    var iterator: RequestBody.AsyncIterator
    init(_ iterator: RequestBody.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> ByteBuffer? { try await iterator.next() }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(HeaderGrammar.trimOWS(Substring(self)))
    }
}

/// Template helpers for the current request's CSRF tokens.
///
/// ```swift
/// let form: Markup = "<form method=post action=/comments>\(context.csrf.hiddenField())…</form>"
/// ```
/// Issuing a token makes sure the session is stored, and marks the response
/// `Cache-Control: no-store` with `Vary: Cookie`.
public struct CSRFHelpers: Sendable {
    let session: SessionHandle
    let state: CSRFState?

    /// A fresh masked token for this session (different on every call).
    public func token() -> String {
        state?.markIssued()
        return session.maskedToken()
    }

    /// `<input type="hidden" name="_csrf" value="…">`.
    public func hiddenField() -> Markup {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(token())\">"
    }

    /// `<meta name="csrf-token" content="…">`, for scripts that send `X-CSRF-Token`.
    public func metaTag() -> Markup {
        "<meta name=\"csrf-token\" content=\"\(token())\">"
    }

    /// A one-time token for a sensitive action.
    /// - Throws: when no one-time tokens are configured or the action is not registered.
    public func oneTimeToken(action: String) throws -> String {
        guard let tokens = state?.oneTimeTokens else {
            throw SecurityConfigurationError(setting: "oneTimeTokens", value: action, reason: .missingDirective, message: "CSRFMiddleware has no one-time tokens configured")
        }
        state?.markIssued()
        return try tokens.issue(action: action, sessionSecret: session.csrfSecret)
    }

    /// A hidden `_csrf` field holding a one-time token for `action`.
    public func oneTimeField(action: String) throws -> Markup {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(try oneTimeToken(action: action))\">"
    }
}

extension RampartRequestContext {
    /// CSRF token helpers for templates. Needs ``SessionMiddleware`` and ``CSRFMiddleware``.
    public var csrf: CSRFHelpers {
        guard let session = security.sessionHandle else {
            RampartMisuse.report(.csrfWithoutMiddleware, logger: logger)
            return CSRFHelpers(session: security.sessionHandle ?? SessionHandle(detached: .fresh(now: WallClock.system.now())), state: security.csrfState)
        }
        return CSRFHelpers(session: session, state: security.csrfState)
    }
}

/// Refuses request bodies that are not `application/json` with 415 (a ``RequestRefusal``
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
            let media = request.headers[.contentType].map { HeaderGrammar.asciiLowercased($0.prefix { $0 != ";" }).trimmingSpaces }
            let hasBody = request.headers[.contentLength].map { $0 != "0" } ?? (request.headers[.transferEncoding] != nil)
            if media != "application/json" && (hasBody || media != nil) {
                throw RequestRefusal(status: .unsupportedMediaType, reason: "unsupportedMediaType",
                                     message: "send Content-Type: application/json", headerFields: [.accept: "application/json"])
            }
        }
        return try await next(request, context)
    }
}


/// Request paths split the way Hummingbird's router splits them.
enum RoutePath {
    /// The non-empty segments, exactly as sent.
    static func segments(_ path: Substring) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// The non-empty segments, percent-decoded and ASCII-lowercased, for requirements that must
    /// cover every spelling of a route.
    static func looseSegments(_ path: Substring) -> [String] {
        segments(path).map { segment in
            let decoded = String(segment).removingPercentEncoding ?? String(segment)
            return HeaderGrammar.asciiLowercased(decoded[...])
        }.filter { !$0.isEmpty }
    }
}
