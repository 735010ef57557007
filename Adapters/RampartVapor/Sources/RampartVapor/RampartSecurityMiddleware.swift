import HTTPTypes
import Logging
import Rampart
import Synchronization
import Vapor

/// The first Rampart middleware of a Vapor app: host allow-list, HTTPS enforcement, the
/// per-request CSP nonce, and every security header on every response.
///
/// For each request it:
/// 1. refuses a missing, malformed or unlisted `Host` with 400 (never a redirect to it);
/// 2. works out whether the request is HTTPS, believing `X-Forwarded-Proto` / `Forwarded` only
///    from a trusted proxy (the socket's peer, not Vapor's `peerAddress`, which believes any
///    client), and redirects plain HTTP when the policy says so;
/// 3. with a `ResourceIsolationPolicy`, refuses another site's request for a resource with
///    `403 crossSiteResource` (before sessions and handlers), and adds
///    `Vary: Sec-Fetch-Site, Sec-Fetch-Mode, Sec-Fetch-Dest` to every checked answer;
/// 4. draws a fresh 128-bit nonce when a handler or template first reads
///    ``Vapor/Request/cspNonce`` (a response that never reads it gets a CSP without `'nonce-…'`;
///    one that does gets `Cache-Control: no-store`);
/// 5. adds the pre-rendered headers to the response, whatever made it: a handler, the router's
///    404, an error thrown inside it, or an `ErrorMiddleware` inside it; with HSTS on HTTPS
///    only and no CSP on a 304, and without `Server` and `X-Powered-By`;
/// 6. writes every error thrown inside it with its `RefusalPages`: Rampart's refusals and
///    Vapor's `AbortError`s keep their status, anything else is a 500 that says nothing about
///    its cause (logged at `error` with the error's type only).
///
/// Add it with `app.middleware.use(_:)`, before any other Rampart middleware. Vapor's own
/// `ErrorMiddleware` stays outside it and no longer sees errors, since this one answers them.
///
/// ```swift
/// app.middleware.use(try RampartSecurityMiddleware(
///     transport: TransportSecurity(allowedHosts: try HostAllowList(["example.com"]))
/// ))
/// ```
///
/// See [MDN: HTTP security](https://developer.mozilla.org/en-US/docs/Web/Security/Practical_implementation_guides).
///
/// It is an `EventLoopFuture` middleware, not an `AsyncMiddleware`: everything it does is
/// synchronous, and an `AsyncMiddleware` costs every request a `Task` and two thread hops.
public struct RampartSecurityMiddleware: Middleware {
    let headers: RenderedSecurityHeaders
    let transport: TransportSecurity
    let cookieHardening: CookieHardening
    let pages: RefusalPages
    let limits: HTTPLimits
    let isolation: ResourceIsolationPolicy?

    /// Validates and pre-renders the header set.
    /// - Parameters:
    ///   - headers: The security headers; `SecurityHeaders.strict` by default.
    ///   - transport: Host allow-list, trusted proxies and HTTPS policy.
    ///   - cookieHardening: Adds `Secure`, `HttpOnly` and `SameSite=Lax` to any `Set-Cookie`
    ///     written without them (Vapor's `HTTPCookies.Value` has `Secure` and `HttpOnly` off by
    ///     default).
    ///   - refusalPages: How every refusal and error page is written; Rampart's standard pages
    ///     by default.
    ///   - limits: The header-section and target limits (431, 414, then the connection is
    ///     closed), checked on the parsed head before anything else; `HTTPLimits.standard` by
    ///     default. Vapor's HTTP parser has already read the head by then (it stops at 80 KiB),
    ///     and timeouts are not a middleware's: ``RampartVapor/install(on:_:)`` sets Vapor's
    ///     idle timeout.
    ///   - resourceIsolation: Fetch-metadata resource isolation: other sites' pages may not load
    ///     these resources (`403 crossSiteResource`). Off (`nil`) by default.
    /// - Throws: `SecurityConfigurationError` for contradicting policies or a limit out of range.
    public init(
        headers: SecurityHeaders = .strict,
        transport: TransportSecurity,
        cookieHardening: CookieHardening = .upgrade(),
        refusalPages: RefusalPages = .standard,
        limits: HTTPLimits = .standard,
        resourceIsolation: ResourceIsolationPolicy? = nil
    ) throws {
        self.headers = try headers.rendered()
        self.transport = transport
        self.cookieHardening = cookieHardening
        self.pages = refusalPages
        self.limits = try limits.validated()
        self.isolation = resourceIsolation
    }

    public func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if request.rampartSessionHandle != nil { RampartMisuse.reportVapor(.headersInsideSessions, logger: request.logger) }
        guard let head = request.convertedHead else {
            let response = secured(RequestRefusal.malformed.response(head: nil, pages: pages, nonce: nil), headers: headers, isSecure: false)
            return request.eventLoop.makeSucceededFuture(response)
        }
        if let refusal = limits.refusal(for: head) {
            request.logger.notice("Rampart refused request", metadata: ["rampart.reason": .string(refusal.reason)])
            let nonce = CSPNonce()
            let response = secured(refusal.response(head: head, pages: pages, nonce: nonce), headers: headers, nonce: nonce, isSecure: false)
            response.headers.replaceOrAdd(name: "Connection", value: "close")
            return request.eventLoop.makeSucceededFuture(response)
        }
        switch transport.evaluate(head, peer: request.rampartPeer) {
        case .reject(let rejection):
            request.logger.notice("Rampart refused request", metadata: ["rampart.reason": .string(rejection.reason)])
            let nonce = CSPNonce()
            let response = secured(
                RequestRefusal(rejection).response(head: head, pages: pages, nonce: nonce),
                headers: headers,
                nonce: nonce,
                isSecure: false
            )
            return request.eventLoop.makeSucceededFuture(response)

        case .redirect(let location, let status):
            let response = Response(status: status.vaporStatus, headers: ["Location": location, "Content-Length": "0"])
            return request.eventLoop.makeSucceededFuture(secured(response, headers: headers, isSecure: false))

        case .proceed(let isSecure):
            var varyFetchMetadata = false
            if let isolation {
                switch isolation.evaluate(head) {
                case .allowed:
                    varyFetchMetadata = true
                case .exempt(let reason):
                    request.logger.debug("Rampart resource isolation exemption", metadata: ["rampart.reason": .string(reason)])
                case .refused:
                    let refusal = RequestRefusal.crossSiteResource
                    request.logger.notice("Rampart refused request", metadata: ["rampart.reason": .string(refusal.reason)])
                    let nonce = CSPNonce()
                    let response = secured(
                        refusal.response(head: head, pages: pages, nonce: nonce),
                        headers: headers,
                        nonce: nonce,
                        isSecure: isSecure
                    )
                    response.headers.add(name: "Vary", value: ResourceIsolationPolicy.varyFieldValue)
                    return request.eventLoop.makeSucceededFuture(response)
                }
            }
            let state = RampartRequestState(isSecure: isSecure, head: head)
            request.storage[RampartRequestState.Key.self] = state
            let pages = self.pages
            let logger = request.logger
            return next.respond(to: request)
                .flatMapErrorThrowing { error in
                    if let refusal = RequestRefusal(renderingVapor: error) {
                        if refusal.reason == RequestRefusal.incompleteBody.reason {
                            logger.info(
                                "Rampart refused request",
                                metadata: ["rampart.reason": .string(refusal.reason), "error.type": .string(String(describing: type(of: error)))]
                            )
                        }
                        return refusal.response(head: head, pages: pages, nonce: state.lazyNonce.nonce)
                    }
                    logger.error("Unhandled error; answered 500", metadata: ["error.type": .string(String(describing: type(of: error)))])
                    return RequestRefusal.internalError.response(head: head, pages: pages, nonce: state.lazyNonce.nonce)
                }
                .map { response in
                    let response = secured(
                        response,
                        headers: state.override ?? headers,
                        nonce: state.lazyNonce.nonceIfUsed,
                        hashes: state.lazyNonce.hashes,
                        isSecure: isSecure
                    )
                    if varyFetchMetadata { response.headers.add(name: "Vary", value: ResourceIsolationPolicy.varyFieldValue) }
                    return response
                }
        }
    }

    private func secured(
        _ response: Response,
        headers: RenderedSecurityHeaders,
        nonce: CSPNonce? = nil,
        hashes: CSPInlineHashes = CSPInlineHashes(),
        isSecure: Bool
    ) -> Response {
        // The usual case: the handler set none of the set's headers and no cookie. Append the
        // prepared strings to Vapor's headers directly, with no round trip through HTTPFields.
        var additive = true
        for (name, _) in response.headers where headers.governs(headerNamed: name) || name.caseInsensitiveCompare("set-cookie") == .orderedSame {
            additive = false
            break
        }
        // A response that used the nonce must not be stored by any cache; when the handler set a
        // Cache-Control of its own, the slow path merges no-store into it.
        let markNoStore = nonce != nil && headers.usesNonce
        if markNoStore && response.headers.contains(name: "Cache-Control") { additive = false }
        if additive {
            response.headers.add(contentsOf: headers.fixedNameValuePairs)
            if isSecure, let hsts = headers.strictTransportSecurity {
                response.headers.add(name: hsts.name.rawName, value: hsts.value)
            }
            if response.status != .notModified {
                if let csp = headers.contentSecurityPolicy {
                    response.headers.add(
                        name: "Content-Security-Policy",
                        value: csp.headerValue(nonceIfUsed: nonce, hashes: hashes, isSecure: isSecure)
                    )
                }
                if let csp = headers.contentSecurityPolicyReportOnly {
                    response.headers.add(
                        name: "Content-Security-Policy-Report-Only",
                        value: csp.headerValue(nonceIfUsed: nonce, hashes: hashes, isSecure: isSecure)
                    )
                }
            }
            if markNoStore { response.headers.add(name: "Cache-Control", value: "no-store") }
            return response
        }
        let status = response.status.rampartStatus
        response.withRampartFields { fields in
            headers.apply(to: &fields, nonce: nonce, hashes: hashes, isSecure: isSecure, status: status)
            cookieHardening.apply(to: &fields)
        }
        return response
    }
}

/// Replaces the header policy for the routes of one group, for example another CSP for an
/// embeddable page, or a report-only rollout. The whole policy is replaced: no header is sent
/// twice.
///
/// ```swift
/// let embed = app.grouped(try RampartHeadersOverride(
///     headers: SecurityHeaders.strict.allowingFraming(by: [.host("https://partner.example")])
/// ))
/// ```
///
/// It needs ``RampartSecurityMiddleware`` outside it, which applies the chosen policy.
///
/// See [MDN: Content-Security-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy).
public struct RampartHeadersOverride: AsyncMiddleware {
    let headers: RenderedSecurityHeaders

    /// Validates and pre-renders the replacement header set.
    /// - Throws: `SecurityConfigurationError` for contradicting policies.
    public init(headers: SecurityHeaders) throws {
        self.headers = try headers.rendered()
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let state = request.storage[RampartRequestState.Key.self] {
            state.override = headers
        } else {
            request.logger.warning("RampartHeadersOverride has no RampartSecurityMiddleware outside it; no security headers are sent")
        }
        return try await next.respond(to: request)
    }
}

/// What ``RampartSecurityMiddleware`` decided for one request (kept in `Request.storage`).
final class RampartRequestState: Sendable {
    struct Key: StorageKey { typealias Value = RampartRequestState }

    let isSecure: Bool
    /// The response's nonce, drawn on first use.
    let lazyNonce = LazyCSPNonce()
    /// The request line and headers as the core reads them, converted once.
    let head: HTTPRequest?
    private let overrideBox = Mutex<RenderedSecurityHeaders?>(nil)

    init(isSecure: Bool, head: HTTPRequest? = nil) {
        self.isSecure = isSecure
        self.head = head
    }

    var override: RenderedSecurityHeaders? {
        get { overrideBox.withLock { $0 } }
        set { overrideBox.withLock { $0 = newValue } }
    }
}

extension Request {
    /// This request's CSP nonce, for `<script nonce="…">` and `<style nonce="…">`: fresh for
    /// every request, and the one the response's `Content-Security-Policy` names. `nil` without
    /// ``RampartSecurityMiddleware``.
    ///
    /// See [MDN: nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce).
    public var cspNonce: CSPNonce? {
        storage[RampartRequestState.Key.self]?.lazyNonce.nonce
    }

    /// The slot behind ``cspNonce``, to hand on without drawing the nonce.
    public var lazyCSPNonce: LazyCSPNonce? {
        storage[RampartRequestState.Key.self]?.lazyNonce
    }

    /// Whether this request came over HTTPS, directly or through a trusted proxy, as
    /// ``RampartSecurityMiddleware`` decided (`false` without it).
    ///
    /// See [MDN: Strict-Transport-Security](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Strict-Transport-Security).
    public var rampartIsSecure: Bool {
        storage[RampartRequestState.Key.self]?.isSecure ?? false
    }
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
    /// Asks the browser to clear the site's data (`Clear-Site-Data`), as a sign-out or an
    /// account deletion should: `response.clearSiteData(.logout)`.
    ///
    /// See [MDN: Clear-Site-Data](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Clear-Site-Data).
    public func clearSiteData(_ policy: ClearSiteData) {
        headers.replaceOrAdd(name: policy.headerField.name.rawName, value: policy.headerField.value)
    }
}
