import HTTPTypes

/// A validated `Set-Cookie` header value with secure defaults.
///
/// The defaults are `Secure; HttpOnly; SameSite=Lax; Path=/`. Construction checks the name and
/// value bytes against RFC 6265 and the rules of the cookie prefixes, and throws
/// ``CookieConfigurationError`` when:
/// - a `__Host-` cookie lacks `Secure`, has a `Domain`, or has a `Path` other than `/`;
/// - a `__Secure-` cookie lacks `Secure`;
/// - a cookie has `SameSite=None` without `Secure`;
/// - a `Partitioned` cookie lacks `Secure`.
///
/// Serialisation is deterministic: `name=value; Domain; Path; Expires; Max-Age; Secure;
/// HttpOnly; SameSite; Partitioned`.
///
/// See [RFC 6265 §4.1](https://www.rfc-editor.org/rfc/rfc6265#section-4.1),
/// [RFC 6265bis](https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis) (prefixes,
/// SameSite) and [MDN: Set-Cookie](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Set-Cookie).
public struct SetCookie: Hashable, Sendable, CustomStringConvertible {
    /// The `SameSite` attribute.
    public struct SameSite: Hashable, Sendable, CustomStringConvertible {
        /// The attribute value as sent.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// Sent only with same-site requests.
        public static let strict = SameSite("Strict")
        /// Sent with same-site requests and top-level cross-site navigations with a safe method. The default.
        public static let lax = SameSite("Lax")
        /// Sent with every request; requires `Secure`.
        public static let none = SameSite("None")
        public var description: String { rawValue }
    }

    /// The cookie name.
    public let name: String
    /// The cookie value.
    public let value: String
    /// `Domain`, or `nil` for a host-only cookie (the safer default).
    public let domain: String?
    /// `Path`.
    public let path: String
    /// `Max-Age` in seconds; 0 or less deletes the cookie.
    public let maxAge: Int?
    /// `Expires`, in seconds since the Unix epoch.
    public let expires: Int64?
    /// `Secure`.
    public let isSecure: Bool
    /// `HttpOnly`.
    public let isHTTPOnly: Bool
    /// `SameSite`, or `nil` to leave it out.
    public let sameSite: SameSite?
    /// `Partitioned` (CHIPS).
    public let isPartitioned: Bool

    /// Creates and validates a cookie. Every default is the secure one.
    public init(
        name: String,
        value: String,
        domain: String? = nil,
        path: String = "/",
        maxAge: Int? = nil,
        expires: Int64? = nil,
        secure: Bool = true,
        httpOnly: Bool = true,
        sameSite: SameSite? = .lax,
        partitioned: Bool = false
    ) throws(CookieConfigurationError) {
        func fail(_ message: String, _ value: String? = nil) -> CookieConfigurationError {
            CookieConfigurationError(cookie: name, message: message, value: value)
        }
        guard !name.isEmpty, name.utf8.allSatisfy(HeaderGrammar.isTokenChar) else {
            throw fail("the name must be an RFC 6265 token (letters, digits and !#$%&'*+-.^_`|~)", name)
        }
        guard Self.isCookieValue(value) else {
            throw fail(
                "the value has a byte that RFC 6265 does not allow (space, quote, comma, semicolon, backslash, control or non-ASCII); encode it first"
            )
        }
        if let domain {
            let bare = domain.utf8.first == UInt8(ascii: ".") ? String(domain.dropFirst()) : domain
            guard HostAllowList.splitAuthority(HeaderGrammar.asciiLowercased(bare)[...]).map({ $0.port == nil }) == true else {
                throw fail("Domain is not a host name", domain)
            }
        }
        guard path.utf8.first == UInt8(ascii: "/"),
            path.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") })
        else {
            throw fail("Path must start with '/' and hold no ';' or control bytes", path)
        }
        if sameSite == SameSite.none && !secure {
            throw fail("SameSite=None requires Secure")
        }
        if partitioned && !secure {
            throw fail("Partitioned requires Secure")
        }
        let lowerName = HeaderGrammar.asciiLowercased(name)
        if lowerName.utf8.starts(with: "__host-".utf8) {
            guard name.utf8.starts(with: "__Host-".utf8) else { throw fail("the prefix is case-sensitive in some browsers; write __Host-", name) }
            guard secure else { throw fail("a __Host- cookie requires Secure") }
            guard domain == nil else { throw fail("a __Host- cookie must not have a Domain", domain) }
            guard path == "/" else { throw fail("a __Host- cookie must have Path=/", path) }
        } else if lowerName.utf8.starts(with: "__secure-".utf8) {
            guard name.utf8.starts(with: "__Secure-".utf8) else { throw fail("the prefix is case-sensitive in some browsers; write __Secure-", name) }
            guard secure else { throw fail("a __Secure- cookie requires Secure") }
        }
        self.name = name
        self.value = value
        self.domain = domain
        self.path = path
        self.maxAge = maxAge
        self.expires = expires
        self.isSecure = secure
        self.isHTTPOnly = httpOnly
        self.sameSite = sameSite
        self.isPartitioned = partitioned
    }

    /// A cookie that tells the browser to delete `name` now: empty, `Max-Age=0`, and an
    /// `Expires` in 1970, with the same security attributes.
    public static func deleting(
        _ name: String,
        path: String = "/",
        domain: String? = nil,
        sameSite: SameSite? = .lax
    ) throws(CookieConfigurationError) -> SetCookie {
        try SetCookie(name: name, value: "", domain: domain, path: path, maxAge: 0, expires: 0, sameSite: sameSite)
    }

    /// `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`
    /// `cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`
    static func isCookieValue(_ value: String) -> Bool {
        var bytes = Substring(value).utf8[...]
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            bytes = bytes.dropFirst().dropLast()
        }
        return bytes.allSatisfy(isCookieOctet)
    }

    static func isCookieOctet(_ b: UInt8) -> Bool {
        b == 0x21 || (0x23...0x2B).contains(b) || (0x2D...0x3A).contains(b) || (0x3C...0x5B).contains(b) || (0x5D...0x7E).contains(b)
    }

    /// The header value, attributes in a fixed order.
    public var description: String {
        var out = "\(name)=\(value)"
        if let domain { out += "; Domain=\(domain)" }
        out += "; Path=\(path)"
        if let expires { out += "; Expires=\(HTTPDate.format(expires))" }
        if let maxAge { out += "; Max-Age=\(maxAge)" }
        if isSecure { out += "; Secure" }
        if isHTTPOnly { out += "; HttpOnly" }
        if let sameSite { out += "; SameSite=\(sameSite.rawValue)" }
        if isPartitioned { out += "; Partitioned" }
        return out
    }

    /// The `Set-Cookie` field.
    public var headerField: HTTPField { HTTPField(name: .setCookie, value: description) }
}

/// A cookie that could not be built because it breaks RFC 6265 or a prefix rule.
///
/// The message names the cookie and the rule. The cookie value is never included, since it may
/// be secret.
public struct CookieConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The cookie's name.
    public let cookie: String
    /// Which rule was broken.
    public let message: String
    /// The offending attribute (never the cookie value), if there is one.
    public let value: String?

    public var description: String {
        if let value { return "cookie \(cookie): \(message) (value: \"\(SecurityConfigurationError.printable(value))\")" }
        return "cookie \(cookie): \(message)"
    }
}
