import HTTPTypes

/// The `Cross-Origin-Resource-Policy` header: which sites may load this resource with
/// `no-cors` requests (images, scripts), against Spectre-style side channels.
///
/// See [Fetch §3.7](https://fetch.spec.whatwg.org/#cross-origin-resource-policy-header) and
/// [MDN: Cross-Origin-Resource-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Resource-Policy).
public struct CrossOriginResourcePolicy: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .crossOriginResourcePolicy, value: value) }

    /// `same-origin`, the default.
    public static let sameOrigin = CrossOriginResourcePolicy("same-origin")
    /// `same-site`: any origin of the same registrable domain.
    public static let sameSite = CrossOriginResourcePolicy("same-site")
    /// `cross-origin`: anyone; for public assets such as a CDN serves.
    public static let crossOrigin = CrossOriginResourcePolicy("cross-origin")
}
