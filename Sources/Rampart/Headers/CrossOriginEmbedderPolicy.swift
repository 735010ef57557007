import HTTPTypes

/// The `Cross-Origin-Embedder-Policy` header: every subresource must opt in to being embedded.
/// With COOP `same-origin` it makes the page cross-origin isolated (`SharedArrayBuffer`).
///
/// Off by default, because it breaks pages that embed third-party resources without CORP.
///
/// See [HTML §7.1.4](https://html.spec.whatwg.org/multipage/browsers.html#coep) and
/// [MDN: Cross-Origin-Embedder-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Cross-Origin-Embedder-Policy).
public struct CrossOriginEmbedderPolicy: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .crossOriginEmbedderPolicy, value: value) }

    /// `require-corp`: cross-origin subresources need CORP or CORS.
    public static let requireCorp = CrossOriginEmbedderPolicy("require-corp")
    /// `credentialless`: cross-origin `no-cors` subresources are fetched without credentials.
    public static let credentialless = CrossOriginEmbedderPolicy("credentialless")
    /// `unsafe-none`: the browsers' default.
    public static let unsafeNone = CrossOriginEmbedderPolicy("unsafe-none")
}
