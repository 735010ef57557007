import HTTPTypes

/// `X-Permitted-Cross-Domain-Policies: none`: Adobe clients (Flash, Acrobat) may not load
/// cross-domain policy files from this site.
///
/// See [OWASP Secure Headers: X-Permitted-Cross-Domain-Policies](https://owasp.org/www-project-secure-headers/#x-permitted-cross-domain-policies)
/// and [MDN: HTTP headers](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers).
public struct XPermittedCrossDomainPolicies: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .xPermittedCrossDomainPolicies, value: value) }
    /// `none`, the default.
    public static let none = XPermittedCrossDomainPolicies("none")
    /// `master-only`: only the policy file at the site root.
    public static let masterOnly = XPermittedCrossDomainPolicies("master-only")
}
