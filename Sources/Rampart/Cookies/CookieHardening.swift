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
        var value = value
        // One pass over the bytes: which of the three attributes are present (names compared
        // ignoring ASCII case), and the cookie's name. Nothing is allocated for a cookie that
        // already has them all, as every cookie Rampart's own SetCookie renders does.
        let scan = value.withUTF8 { bytes -> (secure: Bool, httpOnly: Bool, sameSite: Bool, name: Range<Int>)? in
            var secure = false
            var httpOnly = false
            var sameSite = false
            var name: Range<Int>?
            var parsed = true
            HeaderGrammar.forEachPiece(of: bytes, separatedBy: UInt8(ascii: ";")) { piece in
                // The part before `=` (all of it for a bare attribute), trimmed.
                let equals = bytes[piece].firstIndex(of: UInt8(ascii: "="))
                var upper = equals ?? piece.upperBound
                while upper > piece.lowerBound, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
                let key = bytes[piece.lowerBound..<upper]
                if name == nil {
                    guard equals != nil else {
                        parsed = false
                        return false
                    }
                    name = key.startIndex..<key.endIndex
                } else if HeaderGrammar.equalsIgnoringASCIICase(key, "secure".utf8) {
                    secure = true
                } else if HeaderGrammar.equalsIgnoringASCIICase(key, "httponly".utf8) {
                    httpOnly = true
                } else if HeaderGrammar.equalsIgnoringASCIICase(key, "samesite".utf8) {
                    sameSite = true
                }
                return true
            }
            guard parsed, let name else { return nil }
            return (secure, httpOnly, sameSite, name)
        }
        guard let scan else { return value }
        let exempt =
            !scriptReadableCookies.isEmpty && scriptReadableCookies.contains(value.withUTF8 { String(decoding: $0[scan.name], as: UTF8.self) })
        if scan.secure && scan.sameSite && (scan.httpOnly || exempt) { return value }
        if !scan.secure { value += "; Secure" }
        if !scan.httpOnly && !exempt { value += "; HttpOnly" }
        if !scan.sameSite { value += "; SameSite=Lax" }
        return value
    }
}
