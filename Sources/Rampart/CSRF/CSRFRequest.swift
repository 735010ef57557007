import HTTPTypes
import Synchronization

/// One request's CSRF state, shared by reference between an adapter's CSRF middleware and the
/// template helpers (``CSRFHelpers``): whether a token was issued, so the middleware marks the
/// response `Cache-Control: no-store` with `Vary: Cookie`.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public final class CSRFState: Sendable {
    /// The one-time tokens the configuration registered, if any.
    public let oneTimeTokens: OneTimeTokens?
    private let issued = Mutex(false)

    /// State for one request.
    public init(oneTimeTokens: OneTimeTokens?) { self.oneTimeTokens = oneTimeTokens }

    /// Notes that a token was put in this response.
    public func markIssued() { issued.withLock { $0 = true } }

    /// Whether a token was put in this response.
    public var tokenIssued: Bool { issued.withLock { $0 } }

    /// Marks a response that carries a token as private to its session: `Cache-Control:
    /// no-store` and `Vary: Cookie` (a shared cache must never hand one visitor's token to
    /// another). Does nothing when no token was issued.
    ///
    /// See [RFC 9111 §5.2.2.5](https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.5).
    public func markResponse(_ fields: inout HTTPFields) {
        guard tokenIssued else { return }
        fields[.cacheControl] = "no-store"
        fields.appendVary("Cookie")
    }
}

/// Template helpers for the current request's CSRF tokens, the same on every adapter
/// (`context.csrf` on Hummingbird, `req.csrf` on Vapor).
///
/// ```swift
/// let form: Markup = "<form method=post action=/comments>\(csrf.hiddenField())…</form>"
/// ```
/// Issuing a token makes sure the session is stored, and marks the response
/// `Cache-Control: no-store` with `Vary: Cookie`.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFHelpers: Sendable {
    let session: SessionHandle
    let state: CSRFState?

    /// Helpers over one request's session and CSRF state.
    public init(session: SessionHandle, state: CSRFState?) {
        self.session = session
        self.state = state
    }

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
            throw SecurityConfigurationError(
                setting: "oneTimeTokens",
                value: action,
                reason: .missingDirective,
                message: "the CSRF middleware has no one-time tokens configured"
            )
        }
        state?.markIssued()
        return try tokens.issue(action: action, sessionSecret: session.csrfSecret)
    }

    /// A hidden `_csrf` field holding a one-time token for `action`.
    public func oneTimeField(action: String) throws -> Markup {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(try oneTimeToken(action: action))\">"
    }
}

extension CSRFConfiguration {
    /// The form field that carries the token.
    public static let formField = "_csrf"

    /// The request header that carries the token (for `fetch` and other scripts).
    public static let headerName = HTTPField.Name("X-CSRF-Token")!

    /// The exemption that covers `path`, if any.
    public func exemption(for path: Substring) -> Exemption? {
        exemptions.first { $0.matches(path) }
    }

    /// The token in the `X-CSRF-Token` header: `nil` when there is none, a `badToken` failure
    /// when there are several (which one would the server check?).
    public static func headerToken(in fields: HTTPFields) -> Result<String, CSRFError>? {
        let values = fields[values: headerName]
        if values.count > 1 { return .failure(.badToken) }
        return values.first.map { .success($0) }
    }

    /// The `_csrf` field of a URL-encoded form body: `nil` inside the success when there is
    /// none, a `badToken` failure when there are several.
    public static func formToken(in body: some Collection<UInt8>) -> Result<String?, CSRFError> {
        let values = URLEncodedForm.values(named: formField, in: body)
        if values.count > 1 { return .failure(.badToken) }
        return .success(values.first)
    }

    /// The whole check of one unsafe request (not `GET`, `HEAD`, `OPTIONS` or `TRACE`), after
    /// its path was found not to be exempt:
    /// 1. the cross-origin check (`Sec-Fetch-Site`, then `Origin` against this site and the
    ///    trusted origins);
    /// 2. in ``Mode/tokens``, the token, read by `token` (the header, then the form body, which
    ///    only the adapter can read): a one-time token on a one-time route, redeemed once, a
    ///    masked token everywhere else, verified against the session's id.
    ///
    /// - Parameters:
    ///   - request: The request as the core reads it (method, authority, path, fields).
    ///   - isSecure: Whether the request came over HTTPS (this site's own origin depends on it).
    ///   - session: The request's session handle; a detached one when the adapter has none.
    ///   - token: Reads the token: a failure for several tokens or an unreadable body, `nil`
    ///     inside the success for none.
    /// - Returns: `nil` when the request may proceed, otherwise why it is refused.
    /// - Throws: what `token` or the used-token store throws.
    ///
    /// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
    public func check(
        _ request: HTTPRequest,
        isSecure: Bool,
        session: SessionHandle,
        token: () async throws -> Result<String?, CSRFError>
    ) async throws -> CSRFError? {
        let ownOrigin = WebOrigin(ownOriginOf: request, isSecure: isSecure)
        if let failure = crossOrigin.check(request, ownOrigin: ownOrigin) { return failure }
        guard mode == .tokens else { return nil }

        let found: String
        switch try await token() {
        case .failure(let failure): return failure
        case .success(nil): return .missingToken
        case .success(let value?): found = value
        }
        // The session's id is all either token needs: its CSRF secret is derived from the id,
        // so no stored row is read here.
        let path = Substring(request.path.map { String($0.prefix { $0 != "?" }) } ?? "/")
        if let route = oneTimeRoutes.first(where: { $0.matches(method: request.method, path: path) }), let tokens = oneTimeTokens {
            guard let secret = session.verificationSecret() else { return .badToken }
            return try await tokens.redeem(found, action: route.action, sessionSecret: secret)
        }
        return session.verify(maskedToken: found)
    }
}
