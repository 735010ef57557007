import HTTPTypes

/// The legacy `X-Frame-Options` header, which stops other sites framing the page (clickjacking).
///
/// CSP's `frame-ancestors` supersedes it, but old browsers only know this header. Rampart
/// derives it from `frame-ancestors` so the two never disagree: `'none'` gives `DENY`,
/// `'self'` alone gives `SAMEORIGIN`, and any other list sends no `X-Frame-Options`, because
/// its obsolete `ALLOW-FROM` form is ignored by browsers.
///
/// See [RFC 7034](https://www.rfc-editor.org/rfc/rfc7034) and
/// [MDN: X-Frame-Options](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Frame-Options).
public struct XFrameOptions: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .xFrameOptions, value: value) }

    /// `DENY`: no one may frame the page.
    public static let deny = XFrameOptions("DENY")
    /// `SAMEORIGIN`: only pages of the same origin may frame it.
    public static let sameOrigin = XFrameOptions("SAMEORIGIN")

    /// The value that matches a `frame-ancestors` source list, or `nil` when none can.
    static func matching(_ sources: [CSPSource]) -> XFrameOptions? {
        if sources == [.none] { return .deny }
        if sources == [.self] { return .sameOrigin }
        return nil
    }
}
