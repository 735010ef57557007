import HTTPTypes

/// The `Cross-Origin-Opener-Policy` header: isolates this page's browsing context group from
/// cross-origin windows it opens or is opened by (XS-Leaks, Spectre).
///
/// See [HTML §7.1.3](https://html.spec.whatwg.org/multipage/browsers.html#cross-origin-opener-policies) and
/// [MDN: Cross-Origin-Opener-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Opener-Policy).
public struct CrossOriginOpenerPolicy: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .crossOriginOpenerPolicy, value: value) }

    /// `same-origin`, the default: only same-origin documents share the browsing context group.
    public static let sameOrigin = CrossOriginOpenerPolicy("same-origin")
    /// `same-origin-allow-popups`: keeps references to popups this page opens (OAuth, payments).
    public static let sameOriginAllowPopups = CrossOriginOpenerPolicy("same-origin-allow-popups")
    /// `noopener-allow-popups`: always a new group, even from same-origin openers.
    public static let noopenerAllowPopups = CrossOriginOpenerPolicy("noopener-allow-popups")
    /// `unsafe-none`: no isolation, the browsers' default.
    public static let unsafeNone = CrossOriginOpenerPolicy("unsafe-none")
}
