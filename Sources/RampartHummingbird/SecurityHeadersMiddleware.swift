import HTTPTypes
import Hummingbird
import Logging
import Rampart

/// The first middleware of a Rampart app: host allow-list, HTTPS enforcement, the per-request
/// CSP nonce, and every security header on every response.
///
/// For each request it:
/// 1. refuses a missing, malformed or unlisted `Host` with 400 (never a redirect to it);
/// 2. works out whether the request is HTTPS, believing `X-Forwarded-Proto` / `Forwarded`
///    only from a trusted proxy, and redirects plain HTTP when the policy says so;
/// 3. with a `ResourceIsolationPolicy`, refuses another site's request for a resource with
///    `403 crossSiteResource` (before sessions and handlers), and adds
///    `Vary: Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest` to every checked answer;
/// 4. draws a fresh 128-bit nonce when a handler or template first reads
///    ``SecurityContext/cspNonce`` (a response that never reads it, such as JSON or a stylesheet,
///    gets a CSP without `'nonce-…'`; one that does gets `Cache-Control: no-store`, so no shared
///    cache hands its nonce to another visitor);
/// 5. adds the pre-rendered headers to the response, including 404s and errors the handler
///    throws, with HSTS on HTTPS only and no CSP on a 304, and removes `Server` and
///    `X-Powered-By`;
/// 6. writes every refusal thrown inside it (`RequestRefusal`, a CSRF failure, an unreachable
///    store, Hummingbird's `HTTPError`, the router's 404) with its `RefusalPages`, and any
///    other error as a 500 that says nothing about its cause (logged at `error` with its type).
///
/// A route group can change the policy for its routes with ``SecurityHeadersOverrideMiddleware``.
///
/// ```swift
/// router.add(middleware: try SecurityHeadersMiddleware(
///     headers: .strict,
///     transport: TransportSecurity(allowedHosts: try HostAllowList(["example.com"]))
/// ))
/// ```
///
/// See [MDN: HTTP security](https://developer.mozilla.org/en-US/docs/Web/Security/Practical_implementation_guides).
public struct SecurityHeadersMiddleware<Context: RampartRequestContext>: RouterMiddleware {
    let headers: RenderedSecurityHeaders
    let transport: TransportSecurity
    let cookieHardening: CookieHardening
    let pages: RefusalPages
    let isolation: ResourceIsolationPolicy?

    /// Validates and pre-renders the header set.
    /// - Parameters:
    ///   - headers: The security headers; `SecurityHeaders.strict` by default.
    ///   - transport: Host allow-list, trusted proxies and HTTPS policy.
    ///   - cookieHardening: Adds `Secure`, `HttpOnly` and `SameSite=Lax` to any `Set-Cookie` a
    ///     handler wrote without them (Hummingbird's `Cookie` has none of them by default).
    ///   - refusalPages: How every refusal and error page is written (HTML, JSON or text by
    ///     `RefusalFormat`); Rampart's standard pages by default.
    ///   - resourceIsolation: Fetch-metadata resource isolation: other sites' pages may not load
    ///     these resources (`403 crossSiteResource`), and checked answers vary on `Sec-Fetch-*`.
    ///     Off (`nil`) by default.
    /// - Throws: `SecurityConfigurationError` for contradicting policies.
    public init(
        headers: SecurityHeaders = .strict,
        transport: TransportSecurity,
        cookieHardening: CookieHardening = .upgrade(),
        refusalPages: RefusalPages = .standard,
        resourceIsolation: ResourceIsolationPolicy? = nil
    ) throws {
        self.headers = try headers.rendered()
        self.transport = transport
        self.cookieHardening = cookieHardening
        self.pages = refusalPages
        self.isolation = resourceIsolation
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let probe = WiringProbe.current {
            probe.record(.headers)
            return try await next(request, context)
        }
        if context.security.sessionHandle != nil { RampartMisuse.report(.headersInsideSessions, logger: context.logger) }
        switch transport.evaluate(request.head, peer: context.security.peerAddress) {
        case .reject(let rejection):
            context.logger.notice("Rampart refused request", metadata: ["rampart.reason": .string(rejection.reason)])
            let nonce = CSPNonce()
            var response = RequestRefusal(rejection).response(for: request.head, pages: pages, nonce: nonce)
            headers.apply(to: &response.headers, nonce: nonce, isSecure: false, status: response.status)
            return response

        case .redirect(let location, let status):
            var response = Response(status: status, headers: [.location: location, .contentLength: "0"])
            headers.apply(to: &response.headers, nonce: nil, isSecure: false, status: status)
            return response

        case .proceed(let isSecure):
            var varyFetchMetadata = false
            if let isolation {
                switch isolation.evaluate(request.head) {
                case .allowed:
                    varyFetchMetadata = true
                case .exempt(let reason):
                    context.logger.debug("Rampart resource isolation exemption", metadata: ["rampart.reason": .string(reason)])
                case .refused:
                    let refusal = RequestRefusal.crossSiteResource
                    context.logger.notice("Rampart refused request", metadata: ["rampart.reason": .string(refusal.reason)])
                    let nonce = CSPNonce()
                    var response = refusal.response(for: request.head, pages: pages, nonce: nonce)
                    headers.apply(to: &response.headers, nonce: nonce, isSecure: isSecure, status: response.status)
                    response.headers.append(HTTPField(name: .vary, value: ResourceIsolationPolicy.varyFieldValue))
                    return response
                }
            }
            let nonce = LazyCSPNonce()
            let slot = PolicySlot()
            var context = context
            context.security.isSecure = isSecure
            context.security.lazyNonce = nonce
            context.security.policySlot = slot
            do {
                var response = try await next(request, context)
                (slot.headers ?? headers).apply(to: &response.headers, slot: nonce, isSecure: isSecure, status: response.status)
                cookieHardening.apply(to: &response.headers)
                if varyFetchMetadata { response.headers.append(HTTPField(name: .vary, value: ResourceIsolationPolicy.varyFieldValue)) }
                return response
            } catch {
                if !(error is any HTTPResponseError), !(error is CSRFError), !(error is UploadRefusal), !(error is StoreUnavailable) {
                    context.logger.error("Unhandled error; answered 500", metadata: ["error.type": .string(String(describing: type(of: error)))])
                }
                throw SecuredError(
                    original: error,
                    headers: slot.headers ?? headers,
                    nonce: nonce,
                    isSecure: isSecure,
                    cookieHardening: cookieHardening,
                    pages: pages,
                    varyFetchMetadata: varyFetchMetadata
                )
            }
        }
    }
}

/// Replaces the header policy for the routes of one group, for example another CSP for an
/// embeddable page, or a report-only rollout. The whole policy is replaced: no header is sent
/// twice.
///
/// ```swift
/// let embed = router.group("embed")
/// embed.add(middleware: try SecurityHeadersOverrideMiddleware(
///     headers: SecurityHeaders.strict.allowingFraming(by: [.host("https://partner.example")])
/// ))
/// ```
///
/// It needs ``SecurityHeadersMiddleware`` outside it, which applies the chosen policy.
public struct SecurityHeadersOverrideMiddleware<Context: RampartRequestContext>: RouterMiddleware {
    let headers: RenderedSecurityHeaders

    /// Validates and pre-renders the replacement header set.
    public init(headers: SecurityHeaders) throws {
        self.headers = try headers.rendered()
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let slot = context.security.policySlot {
            slot.set(headers)
        } else {
            context.logger.warning("SecurityHeadersOverrideMiddleware has no SecurityHeadersMiddleware outside it; no security headers are sent")
        }
        return try await next(request, context)
    }
}

/// An error thrown past ``SecurityHeadersMiddleware``, carrying the headers it must be sent with.
///
/// Hummingbird turns errors into responses only in the outermost responder, after every
/// middleware has returned, so the headers and the refusal pages travel with the error.
/// Refusals are written by the pages (``RequestRefusal/init(rendering:)``); other
/// `HTTPResponseError`s write their own response; anything else is the pages' 500, whose text
/// says nothing about the error.
struct SecuredError: HTTPResponseError, CustomStringConvertible {
    let original: any Error
    let headers: RenderedSecurityHeaders
    let nonce: LazyCSPNonce
    let isSecure: Bool
    let cookieHardening: CookieHardening
    let pages: RefusalPages
    var varyFetchMetadata = false

    var status: HTTPResponse.Status {
        RequestRefusal(rendering: original)?.status ?? (original as? any HTTPResponseError)?.status ?? .internalServerError
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response: Response
        if let refusal = RequestRefusal(rendering: original) {
            response = refusal.response(for: request.head, pages: pages, nonce: nonce.nonce)
        } else if let original = original as? any HTTPResponseError {
            response = try original.response(from: request, context: context)
        } else {
            response = RequestRefusal.internalError.response(for: request.head, pages: pages, nonce: nonce.nonce)
        }
        headers.apply(to: &response.headers, slot: nonce, isSecure: isSecure, status: response.status)
        cookieHardening.apply(to: &response.headers)
        if varyFetchMetadata { response.headers.append(HTTPField(name: .vary, value: ResourceIsolationPolicy.varyFieldValue)) }
        return response
    }

    var description: String { String(describing: original) }
}

extension CookieHardening {
    /// Hardens every `Set-Cookie` field in place.
    func apply(to fields: inout HTTPFields) {
        guard fields[.setCookie] != nil else { return }
        let values = fields[values: .setCookie]
        let hardened = values.map(harden)
        if hardened != values { fields[values: .setCookie] = hardened }
    }
}

extension Response {
    /// Adds a `Set-Cookie` built with Rampart's validated `SetCookie` (secure defaults:
    /// `Secure; HttpOnly; SameSite=Lax; Path=/`).
    public mutating func setCookie(_ cookie: SetCookie) {
        headers.append(cookie.headerField)
    }
}

extension Response {
    /// Asks the browser to clear the site's data (`Clear-Site-Data`), as a sign-out or an
    /// account deletion should: `response.clearSiteData(.logout)`.
    ///
    /// See [MDN: Clear-Site-Data](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Clear-Site-Data).
    public mutating func clearSiteData(_ policy: ClearSiteData) {
        policy.apply(to: &headers)
    }
}
