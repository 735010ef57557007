/// Upgrades `Set-Cookie` values that a framework or handler wrote without the secure attributes.
///
/// Adds whichever of `Secure`, `HttpOnly` and `SameSite=Lax` is missing, keeping every attribute
/// already present (an explicit `SameSite=Strict` or `None` stays). Cookies that page scripts
/// must read can be exempted from `HttpOnly` by name. Unparseable values are left as they are.
///
/// See [RFC 6265 §4.1.2](https://www.rfc-editor.org/rfc/rfc6265#section-4.1.2) and
/// [MDN: Set-Cookie](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Set-Cookie).
public struct CookieHardening: Sendable, Hashable {
    /// Cookie names that keep script access (no `HttpOnly` added).
    public let scriptReadableCookies: Set<String>
    let isEnabled: Bool

    /// Upgrades every cookie, except that `scriptReadableCookies` get no `HttpOnly`.
    public static func upgrade(scriptReadableCookies: Set<String> = []) -> CookieHardening {
        CookieHardening(scriptReadableCookies: scriptReadableCookies, isEnabled: true)
    }

    /// Leaves cookies exactly as handlers wrote them.
    public static let dangerouslyDisabled = CookieHardening(scriptReadableCookies: [], isEnabled: false)

    /// Returns the hardened header value.
    public func harden(_ value: String) -> String {
        guard isEnabled else { return value }
        let parts = value.utf8.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).map { HeaderGrammar.trimOWS(Substring($0)) }
        guard let first = parts.first, let equals = first.utf8.firstIndex(of: UInt8(ascii: "=")) else { return value }
        let name = String(HeaderGrammar.trimOWS(first[..<equals]))
        var hasSecure = false, hasHTTPOnly = false, hasSameSite = false
        for attribute in parts.dropFirst() {
            let key = HeaderGrammar.asciiLowercased(attribute.utf8.firstIndex(of: UInt8(ascii: "=")).map { attribute[..<$0] } ?? attribute)
            switch HeaderGrammar.trimOWS(Substring(key)) {
            case "secure": hasSecure = true
            case "httponly": hasHTTPOnly = true
            case "samesite": hasSameSite = true
            default: break
            }
        }
        if hasSecure && hasSameSite && (hasHTTPOnly || scriptReadableCookies.contains(name)) { return value }
        var out = value
        if !hasSecure { out += "; Secure" }
        if !hasHTTPOnly && !scriptReadableCookies.contains(name) { out += "; HttpOnly" }
        if !hasSameSite { out += "; SameSite=Lax" }
        return out
    }
}
