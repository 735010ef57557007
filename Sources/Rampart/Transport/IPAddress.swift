/// An IPv4 or IPv6 address, parsed strictly, for matching peers against trusted-proxy ranges.
///
/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) compare as the IPv4 address they carry, so a
/// dual-stack listener matches IPv4 ranges correctly.
///
/// See [RFC 4291 §2.2](https://www.rfc-editor.org/rfc/rfc4291#section-2.2) (text form of IPv6),
/// [RFC 5952](https://www.rfc-editor.org/rfc/rfc5952), and
/// [MDN: IP address](https://developer.mozilla.org/en-US/docs/Glossary/IP_Address).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes of the address. IPv4 addresses are stored IPv4-mapped (`::ffff:a.b.c.d`).
    let high: UInt64
    let low: UInt64

    /// Whether this is an IPv4 address (or an IPv4-mapped IPv6 address).
    public var isIPv4: Bool { high == 0 && (low >> 32) == 0xFFFF }

    /// Creates an IPv4 address from its four bytes in network order.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.init(ipv4: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// Creates an IPv4 address from its 32-bit value (host order: `0x7F000001` is 127.0.0.1).
    public init(ipv4 value: UInt32) {
        high = 0
        low = 0xFFFF_0000_0000 | UInt64(value)
    }

    /// Creates an IPv6 address from its 16 bytes in network order.
    public init?(ipv6Bytes bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// Parses `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`, or a bracketed `[2001:db8::1]`.
    /// IPv4 parts with leading zeros and IPv6 zone identifiers are refused.
    public init?(_ text: some StringProtocol) {
        var s = Substring(text)
        // ASCII only: then Characters are bytes, and no combining mark or joiner can hide
        // behind a "[" or a ":".
        guard s.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        if s.utf8.first == UInt8(ascii: "["), s.utf8.last == UInt8(ascii: "]") {
            s = s.dropFirst().dropLast()
            guard s.utf8.contains(UInt8(ascii: ":")) else { return nil }
        }
        if let v4 = Self.parseIPv4(s) {
            self.init(ipv4: v4)
        } else if let (h, l) = Self.parseIPv6(s) {
            self.init(high: h, low: l)
        } else {
            return nil
        }
    }

    static func parseIPv4(_ s: Substring) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        for part in s.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.utf8.count <= 3, part.utf8.allSatisfy(HeaderGrammar.isDigit) else { return nil }
            if part.utf8.count > 1 && part.utf8.first == UInt8(ascii: "0") { return nil }
            guard let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
            parts += 1
        }
        return parts == 4 ? value : nil
    }

    static func parseIPv6(_ s: Substring) -> (UInt64, UInt64)? {
        guard s.utf8.count >= 2, s.utf8.count <= 45 else { return nil }
        var groups: [UInt16] = []
        var gap: Int? = nil
        var rest = s
        // A single leading ":" is not "::" (inet_pton refuses it).
        if rest.utf8.first == UInt8(ascii: ":") && !rest.utf8.starts(with: "::".utf8) { return nil }
        if rest.utf8.starts(with: "::".utf8) {
            gap = 0
            rest = rest.dropFirst(2)
            if rest.isEmpty { return (0, 0) }
        }
        let pieces = rest.split(separator: ":", omittingEmptySubsequences: false)
        for (index, piece) in pieces.enumerated() {
            if piece.isEmpty {
                // An empty piece is the "::" gap; it may appear once, and not at the very end
                // unless it is the final "::".
                if gap != nil {
                    if index == pieces.count - 1 && pieces.count >= 2 && pieces[index - 1].isEmpty { continue }
                    return nil
                }
                gap = groups.count
                if index == pieces.count - 2 && pieces[index + 1].isEmpty { break }
                guard index != pieces.count - 1 else { return nil }
                continue
            }
            if index == pieces.count - 1, piece.utf8.contains(UInt8(ascii: ".")) {
                guard let v4 = parseIPv4(piece) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                continue
            }
            guard piece.utf8.count <= 4, let group = UInt16(piece, radix: 16),
                piece.utf8.allSatisfy({ HeaderGrammar.isDigit($0) || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "f")) })
            else { return nil }
            groups.append(group)
        }
        if let gap {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, g) in groups.enumerated() {
            if i < 4 { h = h << 16 | UInt64(g) } else { l = l << 16 | UInt64(g) }
        }
        return (h, l)
    }

    /// The address in RFC 5952 canonical text form (IPv4 in dotted-quad).
    public var description: String {
        if isIPv4 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        let groups: [UInt16] = (0..<8).map { i in
            let word = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> UInt64((3 - i % 4) * 16))
        }
        // Longest run of at least two zero groups becomes "::".
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength && i - runStart >= 2 {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[i], radix: 16)
            i += 1
        }
        return out
    }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// A range of IP addresses in CIDR notation, such as `10.0.0.0/8` or `2001:db8::/32`.
///
/// See [RFC 4632 §3.1](https://www.rfc-editor.org/rfc/rfc4632#section-3.1) and
/// [RFC 4291 §2.3](https://www.rfc-editor.org/rfc/rfc4291#section-2.3).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the range.
    public let address: IPAddress
    /// The prefix length, counted in the address family (0–32 for IPv4, 0–128 for IPv6).
    public let prefixLength: Int

    /// Parses `address/prefix`, or a bare address as a single-address range.
    /// - Parameters:
    ///   - text: The range, such as `10.0.0.0/8`.
    ///   - setting: The configuration setting named in errors.
    /// - Throws: ``SecurityConfigurationError`` for a bad address or prefix, or host bits set
    ///   below the prefix (`10.0.0.1/8`), which usually means a typo.
    public init(_ text: String, setting: String = "trustedProxies") throws(SecurityConfigurationError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw SecurityConfigurationError(setting: setting, value: text, reason: .invalidValue, message: "not an IP address or CIDR range")
        }
        let maximum = address.isIPv4 ? 32 : 128
        var prefix = maximum
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.count <= 3, parts[1].utf8.allSatisfy(HeaderGrammar.isDigit),
                let p = Int(parts[1]), p <= maximum
            else {
                throw SecurityConfigurationError(
                    setting: setting,
                    value: text,
                    reason: .invalidValue,
                    message: "prefix length must be 0 to \(maximum)"
                )
            }
            prefix = p
        }
        let network = IPNetwork(unchecked: address, prefixLength: prefix)
        guard network.address == address else {
            throw SecurityConfigurationError(
                setting: setting,
                value: text,
                reason: .invalidValue,
                message: "host bits are set below the prefix; did you mean \(network)?"
            )
        }
        self = network
    }

    private init(unchecked address: IPAddress, prefixLength: Int) {
        let (h, l) = Self.mask(address: address, prefixLength: prefixLength)
        self.address = IPAddress(high: address.high & h, low: address.low & l)
        self.prefixLength = prefixLength
    }

    /// The 128-bit mask for a prefix counted in the address's own family.
    private static func mask(address: IPAddress, prefixLength: Int) -> (UInt64, UInt64) {
        let bits = address.isIPv4 ? 96 + prefixLength : prefixLength
        let h: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~0 << UInt64(64 - bits))
        let l: UInt64 = bits <= 64 ? 0 : (bits >= 128 ? ~0 : ~0 << UInt64(128 - bits))
        return (h, l)
    }

    /// Whether `address` is inside this range. IPv4 ranges never match IPv6 addresses, except
    /// IPv4-mapped ones.
    public func contains(_ candidate: IPAddress) -> Bool {
        // IPv4 ranges are stored IPv4-mapped with the 96 mapping bits inside the mask, so they
        // never match a native IPv6 address.
        let (h, l) = Self.mask(address: address, prefixLength: prefixLength)
        return candidate.high & h == address.high && candidate.low & l == address.low
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    /// Whether a host name or address stays on this machine: `localhost` (any case), an
    /// address in `127.0.0.0/8`, or `::1` (bracketed or not).
    ///
    /// See [RFC 6761 §6.3](https://www.rfc-editor.org/rfc/rfc6761#section-6.3) and
    /// [RFC 4291 §2.5.3](https://www.rfc-editor.org/rfc/rfc4291#section-2.5.3).
    public static func isLoopback(host: String) -> Bool {
        if HeaderGrammar.asciiLowercased(host) == "localhost" { return true }
        // Brackets belong only around IPv6 literals (RFC 3986 §3.2.2).
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        let bare = bracketed ? String(host.dropFirst().dropLast()) : host
        guard !bracketed || bare.contains(":"), let address = IPAddress(bare) else { return false }
        return try! IPNetwork("127.0.0.0/8").contains(address) || address == IPAddress("::1")
    }
}
