import HTTPTypes

/// The reverse proxies whose `X-Forwarded-Proto` and `Forwarded` headers are believed.
///
/// A request's scheme is taken from those headers only when the TCP peer is inside one of these
/// ranges; from any other peer the headers are ignored, since a client can send them too. The
/// default is ``none``: no proxy is trusted.
///
/// See [RFC 7239](https://www.rfc-editor.org/rfc/rfc7239) and
/// [MDN: X-Forwarded-Proto](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-Proto).
public struct TrustedProxies: Sendable, Hashable {
    /// The trusted ranges.
    public let networks: [IPNetwork]

    /// Trusts the peers in these CIDR ranges (a bare address is a single-address range).
    /// - Throws: ``SecurityConfigurationError`` naming `trustedProxies` and the bad range.
    public init(_ cidrs: [String]) throws(SecurityConfigurationError) {
        var networks: [IPNetwork] = []
        for cidr in cidrs {
            networks.append(try IPNetwork(cidr, setting: "trustedProxies"))
        }
        self.networks = networks
    }

    /// Trusts no proxy: forwarding headers are always ignored.
    public static let none = try! TrustedProxies([])
    /// Trusts a proxy on the same machine: `127.0.0.0/8` and `::1`.
    public static let loopback = try! TrustedProxies(["127.0.0.0/8", "::1/128"])

    /// Whether a peer is a trusted proxy.
    public func contains(_ peer: IPAddress?) -> Bool {
        guard let peer else { return false }
        return networks.contains { $0.contains(peer) }
    }

    /// The client's address: the TCP peer, or, when the peer is a trusted proxy, the nearest
    /// untrusted address in `X-Forwarded-For` read from the right (each proxy appends the address
    /// it saw, so only entries added by trusted proxies are believed). Malformed entries stop the
    /// walk at the last trusted hop.
    ///
    /// See [MDN: X-Forwarded-For](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/X-Forwarded-For).
    public func clientAddress(peer: IPAddress?, fields: HTTPFields) -> IPAddress? {
        guard contains(peer) else { return peer }
        var client = peer
        let entries = fields[values: .xForwardedFor].flatMap { $0.split(separator: ",") }
        for entry in entries.reversed() {
            guard let address = IPAddress(HeaderGrammar.trimOWS(entry)) else { return client }
            client = address
            if !contains(address) { return address }
        }
        return client
    }

    /// The scheme a trusted proxy reports, from `Forwarded` (RFC 7239) and `X-Forwarded-Proto`.
    ///
    /// The last element of each header is the one our immediate peer wrote. Returns `nil`
    /// (do not believe) when neither header is present, when either is malformed, or when the
    /// two disagree, which happens when a client injects one that the proxy passes through.
    public static func forwardedScheme(in fields: HTTPFields) -> ForwardedScheme? {
        let forwarded = fields[values: .forwarded]
        let xfp = fields[values: .xForwardedProto]
        var fromForwarded: ForwardedScheme? = nil
        var fromXFP: ForwardedScheme? = nil
        if !forwarded.isEmpty {
            guard let scheme = lastForwardedProto(forwarded) else { return nil }
            fromForwarded = scheme
        }
        if !xfp.isEmpty {
            guard let last = xfp.last, let piece = HeaderGrammar.split(Substring(last), on: UInt8(ascii: ",")).last,
                let scheme = ForwardedScheme(HeaderGrammar.asciiLowercased(piece))
            else { return nil }
            fromXFP = scheme
        }
        switch (fromForwarded, fromXFP) {
        case (let a?, let b?): return a == b ? a : nil
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (nil, nil): return nil
        }
    }

    /// The `proto` of the last `Forwarded` element, or `nil` if it is absent or anything in the
    /// header is malformed.
    ///
    /// ```
    /// Forwarded         = 1#forwarded-element
    /// forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
    /// forwarded-pair    = token "=" value
    /// value             = token / quoted-string
    /// ```
    static func lastForwardedProto(_ lines: [String]) -> ForwardedScheme? {
        var lastElement: [(String, String)] = []
        for line in lines {
            guard let elements = parseForwarded(Array(line.utf8)), let last = elements.last else { return nil }
            lastElement = last
        }
        let protos = lastElement.filter { $0.0 == "proto" }
        guard protos.count == 1 else { return nil }
        return ForwardedScheme(HeaderGrammar.asciiLowercased(protos[0].1))
    }

    /// Parses a `Forwarded` field line into elements of (lowercased name, value) pairs.
    static func parseForwarded(_ bytes: [UInt8]) -> [[(String, String)]]? {
        var elements: [[(String, String)]] = []
        var current: [(String, String)] = []
        var i = 0
        func skipOWS() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 } }
        while true {
            skipOWS()
            // An empty pair between separators is allowed by the grammar.
            if i < bytes.count, bytes[i] != UInt8(ascii: ";"), bytes[i] != UInt8(ascii: ",") {
                let nameStart = i
                while i < bytes.count, HeaderGrammar.isTokenChar(bytes[i]) { i += 1 }
                guard i > nameStart, i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
                let name = HeaderGrammar.asciiLowercased(String(decoding: bytes[nameStart..<i], as: UTF8.self))
                i += 1
                var value: [UInt8] = []
                if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                    i += 1
                    var closed = false
                    while i < bytes.count {
                        let b = bytes[i]
                        if b == UInt8(ascii: "\\") {
                            guard i + 1 < bytes.count else { return nil }
                            value.append(bytes[i + 1])
                            i += 2
                        } else if b == UInt8(ascii: "\"") {
                            closed = true
                            i += 1
                            break
                        } else {
                            guard b == 0x09 || (b >= 0x20 && b != 0x7F) else { return nil }
                            value.append(b)
                            i += 1
                        }
                    }
                    guard closed else { return nil }
                } else {
                    let start = i
                    while i < bytes.count, HeaderGrammar.isTokenChar(bytes[i]) { i += 1 }
                    guard i > start else { return nil }
                    value = Array(bytes[start..<i])
                }
                guard !current.contains(where: { $0.0 == name }) else { return nil }
                current.append((name, String(decoding: value, as: UTF8.self)))
                skipOWS()
            }
            if i >= bytes.count {
                elements.append(current)
                return elements
            }
            switch bytes[i] {
            case UInt8(ascii: ";"):
                i += 1
            case UInt8(ascii: ","):
                elements.append(current)
                current = []
                i += 1
            default:
                return nil
            }
        }
    }
}

/// The scheme a trusted proxy reported for the client's connection.
public enum ForwardedScheme: String, Sendable, Hashable {
    case http
    case https

    init?(_ text: String) {
        self.init(rawValue: text)
    }
}
