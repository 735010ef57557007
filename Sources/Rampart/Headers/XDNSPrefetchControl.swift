import HTTPTypes

/// `X-DNS-Prefetch-Control: off`: the browser does not resolve the hosts of links on the page
/// ahead of time, which would leak what the page links to.
///
/// See [MDN: X-DNS-Prefetch-Control](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-DNS-Prefetch-Control).
public struct XDNSPrefetchControl: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .xDNSPrefetchControl, value: value) }
    /// `off`, the default.
    public static let off = XDNSPrefetchControl("off")
    /// `on`: allow prefetching, for speed at the cost of privacy.
    public static let on = XDNSPrefetchControl("on")
}
