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
            var secure = false, httpOnly = false, sameSite = false
            var name: Range<Int>?
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
                var lower = start, upper = end
                while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
                if let equals = bytes[lower..<end].firstIndex(of: UInt8(ascii: "=")) { upper = equals }
                while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
                if name == nil {
                    guard bytes[lower..<end].contains(UInt8(ascii: "=")) else { return nil }
                    name = lower..<upper
                } else {
                    let key = bytes[lower..<upper]
                    if Self.equalsIgnoringCase(key, "secure") { secure = true }
                    else if Self.equalsIgnoringCase(key, "httponly") { httpOnly = true }
                    else if Self.equalsIgnoringCase(key, "samesite") { sameSite = true }
                }
                start = end + 1
            }
            return name.map { (secure, httpOnly, sameSite, $0) }
        }
        guard let scan else { return value }
        let exempt = !scriptReadableCookies.isEmpty && scriptReadableCookies.contains(value.withUTF8 { String(decoding: $0[scan.name], as: UTF8.self) })
        if scan.secure && scan.sameSite && (scan.httpOnly || exempt) { return value }
        if !scan.secure { value += "; Secure" }
        if !scan.httpOnly && !exempt { value += "; HttpOnly" }
        if !scan.sameSite { value += "; SameSite=Lax" }
        return value
    }

    static func equalsIgnoringCase(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return zip(bytes, expected).allSatisfy { HeaderGrammar.asciiLower($0) == $1 }
    }
}
