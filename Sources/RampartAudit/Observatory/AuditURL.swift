import Rampart

/// An absolute `http` or `https` URL, split into the parts the audit looks at.
///
/// The parser is deliberately small: `scheme://host[:port][/path][?query]`, with IPv6 hosts in
/// brackets. It lowercases the scheme and host, drops any fragment, and refuses user
/// information (`user@host`) and every scheme but `http` and `https`.
///
/// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring)
/// and [RFC 3986 §3](https://www.rfc-editor.org/rfc/rfc3986#section-3).
public struct AuditURL: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// `http` or `https`, lowercase.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let scheme: String
    /// The host, lowercase; an IPv6 address keeps its brackets (`[::1]`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let host: String
    /// The port written in the URL, if any.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let port: Int?
    /// The path and query, at least `/`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public let path: String

    /// Creates a URL from its parts. Returns `nil` for a scheme other than `http` or `https`,
    /// an empty host, or a port outside 1…65535.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init?(scheme: String, host: String, port: Int? = nil, path: String = "/") {
        let scheme = HeaderGrammar.asciiLowercased(scheme)
        guard scheme == "http" || scheme == "https", !host.isEmpty,
            HeaderGrammar.isVisibleASCII(host), !host.utf8.contains(UInt8(ascii: "/"))
        else { return nil }
        if let port, !(1...65535).contains(port) { return nil }
        self.scheme = scheme
        self.host = HeaderGrammar.asciiLowercased(host)
        self.port = port
        self.path = path.isEmpty ? "/" : path
    }

    /// Parses an absolute `http:` or `https:` URL; `nil` for anything else.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init?(_ description: String) {
        let text = Substring(description)
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let scheme = text[..<colon]
        var rest = text[text.utf8.index(after: colon)...]
        guard rest.utf8.starts(with: "//".utf8) else { return nil }
        rest = rest.dropFirst(2)
        // The authority ends at the first "/", "?" or "#".
        let end = rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        let authority = rest[..<end]
        var pathAndQuery = rest[end...]
        if let hash = pathAndQuery.utf8.firstIndex(of: UInt8(ascii: "#")) { pathAndQuery = pathAndQuery[..<hash] }
        guard !authority.utf8.contains(UInt8(ascii: "@")) else { return nil }
        var host = authority
        var port: Int?
        if authority.utf8.first == UInt8(ascii: "[") {
            guard let close = authority.utf8.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = authority[...close]
            let after = authority[authority.utf8.index(after: close)...]
            if !after.isEmpty {
                guard after.utf8.first == UInt8(ascii: ":") else { return nil }
                guard let value = Int(after.dropFirst()) else { return nil }
                port = value
            }
        } else if let portColon = authority.utf8.lastIndex(of: UInt8(ascii: ":")) {
            host = authority[..<portColon]
            // A host name never holds ":" (only a bracketed IPv6 address does).
            guard !host.utf8.contains(UInt8(ascii: ":")) else { return nil }
            let digits = authority[authority.utf8.index(after: portColon)...]
            if !digits.isEmpty {
                guard digits.utf8.allSatisfy(HeaderGrammar.isDigit), let value = Int(digits) else { return nil }
                port = value
            }
        }
        var path = String(pathAndQuery)
        if path.utf8.first == UInt8(ascii: "?") { path = "/" + path }
        self.init(scheme: String(scheme), host: String(host), port: port, path: path)
    }

    /// Whether the scheme is `https`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var isSecure: Bool { scheme == "https" }

    /// Whether the host is loopback (`localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`).
    /// Browsers treat such origins as potentially trustworthy even over `http`, and accept
    /// `Secure` cookies from them.
    ///
    /// See [W3C Secure Contexts §3.2](https://w3c.github.io/webappsec-secure-contexts/#is-origin-trustworthy).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var isLoopback: Bool {
        if host == "localhost" || host.utf8.reversed().starts(with: ".localhost".utf8.reversed()) || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127"
            && octets.allSatisfy { !$0.isEmpty && $0.utf8.count <= 3 && $0.utf8.allSatisfy(HeaderGrammar.isDigit) && Int($0)! <= 255 }
    }

    /// The port in use: the explicit one, or 80 for `http` and 443 for `https`.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var effectivePort: Int { port ?? (isSecure ? 443 : 80) }

    /// The same URL over another scheme, with the port dropped (the scheme's default port).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public func with(scheme: String) -> AuditURL? {
        AuditURL(scheme: scheme, host: host, port: nil, path: path)
    }

    /// The URL, written out (`https://example.com:8443/path?q`).
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public var description: String {
        "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")\(path)"
    }

    /// Decodes the value from its string form, as written in the JSON report.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let url = AuditURL(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an http(s) URL: \(text)"))
        }
        self = url
    }

    /// Encodes the value in its string form, for the JSON report.
    ///
    /// See [MDN: HTTP Observatory, Tests & Scoring](https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
