import HTTPTypes

/// `X-XSS-Protection: 0`: turns off the legacy XSS auditor of old browsers, whose filtering
/// could itself be abused to leak data or disable scripts. CSP replaces it.
///
/// See [MDN: X-XSS-Protection](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-XSS-Protection).
public struct XXSSProtection: SecurityHeaderPolicy, Hashable {
    public let headerField: HTTPField
    private init(_ value: String) { headerField = HTTPField(name: .xXSSProtection, value: value) }
    /// `0`, the default and the only recommended value.
    public static let disabled = XXSSProtection("0")
}
