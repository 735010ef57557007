import HTTPTypes

/// Why a request failed the CSRF defence. A failure is answered with 403 and this reason.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: String, Hashable, Sendable {
        case crossSite, originMismatch, nullOrigin, missingToken, badToken, tokenExpired, tokenReused, wrongAction
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// `Sec-Fetch-Site` says `same-site` or `cross-site`, and `Origin` is not trusted.
    public static let crossSite = CSRFError(.crossSite)
    /// `Origin` is neither the application's own origin nor a trusted one.
    public static let originMismatch = CSRFError(.originMismatch)
    /// `Origin: null` (sandboxed frames, some redirects, `data:` pages).
    public static let nullOrigin = CSRFError(.nullOrigin)
    /// No token in the `_csrf` field or the `X-CSRF-Token` header.
    public static let missingToken = CSRFError(.missingToken)
    /// The token is malformed, too long, repeated, or does not match the session.
    public static let badToken = CSRFError(.badToken)
    /// A one-time token past its expiry.
    public static let tokenExpired = CSRFError(.tokenExpired)
    /// A one-time token already used.
    public static let tokenReused = CSRFError(.tokenReused)
    /// A one-time token made for another action.
    public static let wrongAction = CSRFError(.wrongAction)

    /// The stable reason code, safe to log and to show.
    public var reason: String { base.rawValue }
    public var description: String { base.rawValue }
    /// Always 403 Forbidden.
    public var status: HTTPResponse.Status { .forbidden }
}
