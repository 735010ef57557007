import HTTPTypes

/// A web origin: scheme, host and port, as browsers send it in the `Origin` header.
///
/// Configured origins (trusted CSRF origins, Permissions-Policy allowlists) are checked
/// strictly: `http` or `https` only, a host, an optional port, and no path, query, fragment or
/// user information, so a typo cannot widen trust. Default ports are dropped, so
/// `https://example.com:443` equals `https://example.com`.
///
/// See [RFC 6454](https://www.rfc-editor.org/rfc/rfc6454) and
/// [MDN: Origin](https://developer.mozilla.org/en-US/docs/Glossary/Origin).
public struct WebOrigin: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`, lowercase.
    public let scheme: String
    /// The host, lowercase; IPv6 literals keep their brackets.
    public let host: String
    /// The port, or `nil` for the scheme's default port.
    public let port: Int?

    /// Parses and validates an origin.
    /// - Parameters:
    ///   - text: The origin, such as `https://example.com`.
    ///   - setting: The configuration setting named in errors.
    public init(validating text: String, setting: String) throws(SecurityConfigurationError) {
        func fail(_ message: String) -> SecurityConfigurationError {
            SecurityConfigurationError(setting: setting, value: text, reason: .invalidValue, message: message)
        }
        if let control = HeaderGrammar.firstControlCharacter(in: text) {
            throw SecurityConfigurationError(setting: setting, value: text, reason: .invalidCharacter, message: "origin contains \(control)")
        }
        guard let parsed = WebOrigin(parsing: text) else {
            let lower = HeaderGrammar.asciiLowercased(text)
            if let range = lower.firstRange(of: "://") {
                let rest = lower[range.upperBound...]
                if rest.contains("/") || rest.contains("?") || rest.contains("#") {
                    throw fail("an origin is scheme://host[:port] with no path, query or fragment (not even a trailing '/')")
                }
                if rest.contains("@") { throw fail("an origin has no user information") }
                if !(lower.hasPrefix("http://") || lower.hasPrefix("https://")) { throw fail("the scheme must be http or https") }
            }
            throw fail("not an origin of the form scheme://host[:port]")
        }
        self = parsed
    }

    /// Parses an `Origin` header value, returning `nil` for anything that is not exactly
    /// `scheme://host[:port]`, including `null`.
    public init?(parsing text: some StringProtocol) {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        let lower = HeaderGrammar.asciiLowercased(text)
        let scheme: String
        var rest: Substring
        if lower.utf8.starts(with: "https://".utf8) {
            scheme = "https"
            rest = lower.dropFirst(8)
        } else if lower.utf8.starts(with: "http://".utf8) {
            scheme = "http"
            rest = lower.dropFirst(7)
        } else {
            return nil
        }
        guard let (host, port) = HostAllowList.splitAuthority(rest) else { return nil }
        self.scheme = scheme
        self.host = host
        let defaultPort = scheme == "https" ? 443 : 80
        self.port = port == defaultPort ? nil : port
        rest = ""
    }

    /// Creates an origin from parts that are already known to be valid.
    package init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme
        self.host = host
        let defaultPort = scheme == "https" ? 443 : 80
        self.port = port == defaultPort ? nil : port
    }

    /// The serialised origin, such as `https://example.com:8443`.
    public var description: String {
        port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}

extension WebOrigin {
    /// The application's own origin for a request: the scheme the request arrived on (judged
    /// with trusted proxies, passed in) and the host and port of its `:authority` or `Host`,
    /// ASCII-lowercased. `nil` when neither names a readable host.
    ///
    /// The CSRF check compares `Origin` with this.
    ///
    /// See [RFC 6454 §4](https://www.rfc-editor.org/rfc/rfc6454#section-4) and
    /// [MDN: Origin](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Origin).
    public init?(ownOriginOf request: HTTPRequest, isSecure: Bool) {
        guard let authority = request.authority ?? request.headerFields[HTTPField.Name("Host")!],
            let (host, port) = HostAllowList.splitAuthority(HeaderGrammar.asciiLowercased(authority)[...])
        else { return nil }
        self.init(scheme: isSecure ? "https" : "http", host: host, port: port)
    }
}
