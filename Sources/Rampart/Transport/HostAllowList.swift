/// The hosts this application answers for, checked against every request's `Host`.
///
/// A request whose `Host` is missing, malformed or not listed is refused with 400 before any
/// handler runs, so that a forged `Host` can never reach absolute URLs, password-reset links
/// or cache keys (Host header injection). Patterns:
/// - `example.com`: that host, on any port;
/// - `example.com:8443`: that host on that port only;
/// - `.example.com`: the host and all its subdomains (as in Django's `ALLOWED_HOSTS`);
/// - `*.example.com`: subdomains only;
/// - `127.0.0.1`, `[::1]`: IP literals.
///
/// See [RFC 9110 §7.2](https://www.rfc-editor.org/rfc/rfc9110#section-7.2) and
/// [MDN: Host](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Host).
public struct HostAllowList: Sendable, Hashable {
    struct Pattern: Hashable, Sendable {
        enum Match: Hashable, Sendable { case exact, subdomainsAndSelf, subdomainsOnly }
        let host: String
        let port: Int?
        let match: Match

        func matches(host candidate: String, port candidatePort: Int?) -> Bool {
            if let port, port != candidatePort { return false }
            switch match {
            case .exact:
                return candidate == host
            case .subdomainsAndSelf:
                return candidate == host || (candidate.utf8.count > host.utf8.count && candidate.hasSuffix("." + host))
            case .subdomainsOnly:
                return candidate.utf8.count > host.utf8.count && candidate.hasSuffix("." + host)
            }
        }
    }

    let patterns: [Pattern]
    let allowsAnyHost: Bool

    /// Creates an allow-list from host patterns.
    /// - Throws: ``SecurityConfigurationError`` naming `allowedHosts` and the bad pattern, or
    ///   when the list is empty.
    public init(_ hosts: [String]) throws(SecurityConfigurationError) {
        guard !hosts.isEmpty else {
            throw SecurityConfigurationError(
                setting: "allowedHosts",
                value: "",
                reason: .empty,
                message: "list at least one host; use .dangerouslyAllowAnyHost only behind a proxy that checks Host"
            )
        }
        var patterns: [Pattern] = []
        for text in hosts {
            guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
                throw SecurityConfigurationError(
                    setting: "allowedHosts",
                    value: text,
                    reason: .invalidValue,
                    message: "not a host pattern (host, host:port, .domain or *.domain; write internationalised names in punycode)"
                )
            }
            let lower = HeaderGrammar.asciiLowercased(text)
            var match = Pattern.Match.exact
            var body = Substring(lower)
            if body.utf8.starts(with: "*.".utf8) {
                match = .subdomainsOnly
                body = body.dropFirst(2)
            } else if body.utf8.starts(with: ".".utf8) {
                match = .subdomainsAndSelf
                body = body.dropFirst()
            }
            guard let (host, port) = Self.splitAuthority(body), !(match != .exact && host.utf8.first == UInt8(ascii: "[")) else {
                throw SecurityConfigurationError(
                    setting: "allowedHosts",
                    value: text,
                    reason: .invalidValue,
                    message: "not a host pattern (host, host:port, .domain or *.domain)"
                )
            }
            patterns.append(Pattern(host: host, port: port, match: match))
        }
        self.patterns = patterns
        self.allowsAnyHost = false
    }

    private init(anyHost: Void) {
        patterns = []
        allowsAnyHost = true
    }

    /// Accepts any syntactically valid `Host`. Use it only when a proxy in front has already
    /// checked the host; otherwise Host header injection reaches your handlers.
    public static let dangerouslyAllowAnyHost = HostAllowList(anyHost: ())

    /// The loopback names: `localhost`, `127.0.0.1` and `[::1]`, on any port.
    public static let loopback = try! HostAllowList(["localhost", "127.0.0.1", "[::1]"])

    /// Checks an authority (`host[:port]`) from a request.
    public func allows(_ authority: some StringProtocol) -> Bool {
        guard let (host, port) = Self.splitAuthority(HeaderGrammar.asciiLowercased(authority)[...]) else { return false }
        return allows(host: host, port: port)
    }

    /// Checks a host already split and normalised by ``splitAuthority(_:)``.
    func allows(host: String, port: Int?) -> Bool {
        allowsAnyHost || patterns.contains { $0.matches(host: host, port: port) }
    }

    /// Splits and validates `host[:port]` (lowercase input). The host is a DNS name (letters,
    /// digits, `-`, `_`, `.` between labels, one trailing dot removed), an IPv4 address, or a
    /// bracketed IPv6 address. Returns `nil` for anything else, including empty labels and
    /// ports outside 1–65535.
    package static func splitAuthority(_ authority: Substring) -> (host: String, port: Int?)? {
        // ASCII only (internationalised names arrive as punycode): then Characters are bytes,
        // and no combining mark can ride on a "[", "." or ":".
        guard authority.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        var hostPart = authority
        var port: Int? = nil
        if authority.utf8.first == UInt8(ascii: "[") {
            guard let close = authority.utf8.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostPart = authority[...close]
            let after = authority[authority.utf8.index(after: close)...]
            if !after.isEmpty {
                guard after.utf8.first == UInt8(ascii: ":"), let p = parsePort(after.dropFirst()) else { return nil }
                port = p
            }
            guard let address = IPAddress(hostPart), !address.isIPv4 || hostPart.contains(":") else { return nil }
            return ("[\(address)]", port)
        }
        if let colon = authority.utf8.lastIndex(of: UInt8(ascii: ":")) {
            hostPart = authority[..<colon]
            guard let p = parsePort(authority[authority.utf8.index(after: colon)...]) else { return nil }
            port = p
        }
        if hostPart.utf8.last == UInt8(ascii: ".") { hostPart = hostPart.dropLast() }
        guard !hostPart.isEmpty, hostPart.utf8.count <= 253 else { return nil }
        for label in hostPart.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63,
                label.utf8.allSatisfy({
                    HeaderGrammar.isLowerAlpha($0) || HeaderGrammar.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                })
            else { return nil }
        }
        return (String(hostPart), port)
    }

    private static func parsePort(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.count <= 5, s.utf8.allSatisfy(HeaderGrammar.isDigit), let p = Int(s), p >= 1, p <= 65535 else { return nil }
        return p
    }
}
