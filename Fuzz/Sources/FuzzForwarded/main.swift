// Forwarding headers from trusted proxies: `Forwarded` (RFC 7239), `X-Forwarded-Proto`,
// `X-Forwarded-For`, with IP address and CIDR parsing and matching (TrustedProxies, IPAddress,
// IPNetwork).
//
// Input: `key: value` lines: `peer:` the TCP peer, `trust:` a trusted CIDR range, `forwarded:`,
// `x-forwarded-for:` and `x-forwarded-proto:` header fields, `address:` more address text.
//
// Properties:
// 1. IPAddress accepts exactly what glibc's inet_pton accepts (IPv4, or IPv6 optionally in
//    brackets) and reads the same 128 bits; it prints RFC 5952 text equal to inet_ntop's (where
//    glibc does not use the deprecated IPv4-compatible form) that parses back to it.
// 2. IPNetwork accepts `address[/prefix]` exactly when the address parses, the prefix is 0–32 or
//    0–128 for the family and no host bit is set; `contains` matches a 128-bit mask computed here;
//    it prints text that parses back to it.
// 3. clientAddress equals a reading written here from its documentation: the peer unless it is
//    trusted, else the nearest untrusted X-Forwarded-For entry from the right, stopping at the last
//    trusted hop on a malformed entry.
// 4. forwardedScheme equals a reading written here from RFC 7239 and its documentation: `proto`
//    of the last Forwarded element (exactly one), the last X-Forwarded-Proto entry, nil when
//    either is malformed or they disagree.
// 5. A Forwarded header generated from random elements (token or quoted values, escapes, case,
//    whitespace) yields the proto of its last element.
#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import HTTPTypes
import Rampart

extension HTTPField.Name {
    static let forwardedField = HTTPField.Name("Forwarded")!
    static let xForwardedForField = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProtoField = HTTPField.Name("X-Forwarded-Proto")!
}

// MARK: Addresses, by glibc

/// The 16 bytes of an address by inet_pton, IPv4 as IPv4-mapped; brackets only around IPv6.
func referenceAddress(_ text: some StringProtocol) -> [UInt8]? {
    var s = String(text)
    if s.utf8.first == UInt8(ascii: "["), s.utf8.last == UInt8(ascii: "]") {
        s = String(decoding: s.utf8.dropFirst().dropLast(), as: UTF8.self)
        guard s.utf8.contains(UInt8(ascii: ":")) else { return nil }
    }
    guard !s.utf8.contains(0) else { return nil }
    var v4 = in_addr()
    if inet_pton(AF_INET, s, &v4) == 1 {
        return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}

func ntop(_ bytes: [UInt8]) -> String {
    var address = in6_addr()
    withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
    var buffer = [CChar](repeating: 0, count: 64)
    _ = inet_ntop(AF_INET6, &address, &buffer, 64)
    return String(cString: buffer)
}

func address(_ bytes: [UInt8]) -> IPAddress { IPAddress(ipv6Bytes: bytes)! }

func isMapped(_ bytes: [UInt8]) -> Bool { bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF }

func checkAddress(_ text: some StringProtocol) {
    let parsed = IPAddress(text)
    let reference = referenceAddress(text)
    require((parsed == nil) == (reference == nil),
            "IPAddress(\(show(text))) is \(parsed.map { "\($0)" } ?? "nil"), inet_pton \(reference.map { ntop($0) } ?? "refuses")")
    guard let parsed, let reference else { return }
    require(parsed == address(reference), "IPAddress(\(show(text))) = \(parsed), inet_pton reads \(ntop(reference))")
    require(parsed.isIPv4 == isMapped(reference), "isIPv4 wrong for \(show(text))")
    require(IPAddress(parsed.description) == parsed, "\(parsed) does not parse back")
    let compatible = reference[0..<12].allSatisfy { $0 == 0 } && (reference[12] != 0 || reference[13] != 0)
    if !parsed.isIPv4 && !compatible {
        require(parsed.description == ntop(reference), "\(show(text)) prints \(parsed), inet_ntop \(ntop(reference))")
    }
}

// MARK: Networks

struct ReferenceNetwork {
    let address: [UInt8]
    let bits: Int  // counted on 128 bits

    func contains(_ candidate: [UInt8]) -> Bool {
        (0..<16).allSatisfy { i in
            let maskBits = max(0, min(8, bits - i * 8))
            let mask: UInt8 = maskBits == 0 ? 0 : ~UInt8(0) << UInt8(8 - maskBits)
            return candidate[i] & mask == address[i] & mask
        }
    }
}

func referenceNetwork(_ text: String) -> ReferenceNetwork? {
    let bytes = Array(text.utf8)
    let slash = bytes.firstIndex(of: UInt8(ascii: "/"))
    guard let address = referenceAddress(String(decoding: bytes[..<(slash ?? bytes.count)], as: UTF8.self)) else { return nil }
    let maximum = isMapped(address) ? 32 : 128
    var prefix = maximum
    if let slash {
        let digits = bytes[(slash + 1)...]
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let p = Int(String(decoding: digits, as: UTF8.self)), p <= maximum else { return nil }
        prefix = p
    }
    let network = ReferenceNetwork(address: address, bits: prefix + (maximum == 32 ? 96 : 0))
    // Host bits below the prefix must be zero.
    let masked = (0..<16).map { i -> UInt8 in
        let maskBits = max(0, min(8, network.bits - i * 8))
        return address[i] & (maskBits == 0 ? 0 : ~UInt8(0) << UInt8(8 - maskBits))
    }
    return masked == address ? network : nil
}

// MARK: Forwarded, from RFC 7239

/// `Forwarded = 1#forwarded-element`, `forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )`,
/// `forwarded-pair = token "=" value`, `value = token / quoted-string`. Names lowercased; a name
/// twice in one element is malformed. After a backslash any byte is taken, as Rampart does.
func referenceForwarded(_ bytes: [UInt8]) -> [[(String, [UInt8])]]? {
    func isTChar(_ b: UInt8) -> Bool { b > 0x20 && b < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(b) }
    var elements: [[(String, [UInt8])]] = [[]]
    var i = 0
    enum Expect { case pairOrSeparator, separator }
    var expect = Expect.pairOrSeparator
    while true {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
        if i == bytes.count { return elements }
        let b = bytes[i]
        if b == UInt8(ascii: ",") { elements.append([]); expect = .pairOrSeparator; i += 1; continue }
        if b == UInt8(ascii: ";") { expect = .pairOrSeparator; i += 1; continue }
        guard expect == .pairOrSeparator, isTChar(b) else { return nil }
        let nameStart = i
        while i < bytes.count, isTChar(bytes[i]) { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
        let name = String(decoding: bytes[nameStart..<i].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        i += 1
        var value: [UInt8] = []
        if i < bytes.count, bytes[i] == 0x22 {
            i += 1
            var closed = false
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x5C {
                    guard i + 1 < bytes.count else { return nil }
                    value.append(bytes[i + 1])
                    i += 2
                } else if c == 0x22 {
                    closed = true
                    i += 1
                    break
                } else {
                    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                    guard c == 0x09 || c == 0x20 || c == 0x21 || (0x23...0x5B).contains(c) || (0x5D...0x7E).contains(c) || c >= 0x80 else { return nil }
                    value.append(c)
                    i += 1
                }
            }
            guard closed else { return nil }
        } else {
            let start = i
            while i < bytes.count, isTChar(bytes[i]) { i += 1 }
            guard i > start else { return nil }
            value = Array(bytes[start..<i])
        }
        guard !elements[elements.count - 1].contains(where: { $0.0 == name }) else { return nil }
        elements[elements.count - 1].append((name, value))
        expect = .separator
    }
}

func lowercasedScheme(_ bytes: some Collection<UInt8>) -> ForwardedScheme? {
    switch String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self) {
    case "http": return .http
    case "https": return .https
    default: return nil
    }
}

func rawValues(_ fields: HTTPFields, _ name: HTTPField.Name) -> [[UInt8]] {
    fields.filter { $0.name == name }.map { field in field.withUnsafeBytesOfValue { Array($0) } }
}

func referenceScheme(_ fields: HTTPFields) -> ForwardedScheme? {
    let forwarded = rawValues(fields, .forwardedField)
    let xfp = rawValues(fields, .xForwardedProtoField)
    var fromForwarded: ForwardedScheme?
    if !forwarded.isEmpty {
        var last: [(String, [UInt8])] = []
        for line in forwarded {
            guard let elements = referenceForwarded(line) else { return nil }
            last = elements.last!
        }
        let protos = last.filter { $0.0 == "proto" }
        guard protos.count == 1, let scheme = lowercasedScheme(protos[0].1) else { return nil }
        fromForwarded = scheme
    }
    var fromXFP: ForwardedScheme?
    if let line = xfp.last {
        var piece = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).last ?? []
        while let b = piece.first, b == 0x20 || b == 0x09 { piece = piece.dropFirst() }
        while let b = piece.last, b == 0x20 || b == 0x09 { piece = piece.dropLast() }
        guard let scheme = lowercasedScheme(piece) else { return nil }
        fromXFP = scheme
    }
    switch (fromForwarded, fromXFP) {
    case (let a?, let b?): return a == b ? a : nil
    case (let a?, nil): return a
    case (nil, let b?): return b
    case (nil, nil): return nil
    }
}

// MARK: The target

func fuzz(_ input: FuzzInput) {
    let lines = headerLines(input.text)
    var fields = HTTPFields()
    var peerText: String?
    var cidrs: [String] = []
    for (key, value) in lines {
        switch key {
        case "peer": peerText = value
        case "trust": cidrs.append(value)
        case "forwarded": fields.append(HTTPField(name: .forwardedField, lenientValue: Array(value.utf8)))
        case "x-forwarded-for": fields.append(HTTPField(name: .xForwardedForField, lenientValue: Array(value.utf8)))
        case "x-forwarded-proto": fields.append(HTTPField(name: .xForwardedProtoField, lenientValue: Array(value.utf8)))
        case "address": checkAddress(value)
        default: break
        }
    }

    // 1. Addresses everywhere they occur.
    if let peerText { checkAddress(peerText) }
    let xff = fields[values: .xForwardedForField]
    for value in xff {
        for entry in value.utf8.split(separator: UInt8(ascii: ",")) {
            checkAddress(String(decoding: entry, as: UTF8.self).trimmingASCIISpaces)
        }
    }

    // 2. Networks.
    var networks: [(IPNetwork, ReferenceNetwork)] = []
    for cidr in cidrs.prefix(8) {
        let network = try? IPNetwork(cidr)
        let reference = referenceNetwork(cidr)
        require((network == nil) == (reference == nil), "IPNetwork(\(show(cidr))) is \(network.map { "\($0)" } ?? "refused"), the reference \(reference == nil ? "refuses" : "accepts")")
        guard let network, let reference else { continue }
        require((try? IPNetwork(network.description)) == network, "\(network) does not parse back")
        require(network.contains(address(reference.address)), "\(network) does not contain its own address")
        networks.append((network, reference))
    }
    let proxies = try! TrustedProxies(networks.map(\.0.description))

    // 3. The client address.
    let peer = peerText.flatMap { IPAddress($0) }
    func trusted(_ bytes: [UInt8]) -> Bool { networks.contains { $0.1.contains(bytes) } }
    for (network, reference) in networks {
        for candidate in [peer].compactMap({ $0 }) {
            let bytes = referenceAddress(candidate.description)!
            require(network.contains(candidate) == reference.contains(bytes), "\(network).contains(\(candidate)) disagrees with the mask")
        }
    }
    var expected: IPAddress? = peer
    if let peerBytes = peer.flatMap({ referenceAddress($0.description) }), trusted(peerBytes) {
        let entries = rawValues(fields, .xForwardedForField).flatMap { $0.split(separator: UInt8(ascii: ",")) }
        walk: for entry in entries.reversed() {
            var trimmed = entry[...]
            while let b = trimmed.first, b == 0x20 || b == 0x09 { trimmed = trimmed.dropFirst() }
            while let b = trimmed.last, b == 0x20 || b == 0x09 { trimmed = trimmed.dropLast() }
            guard let bytes = referenceAddress(String(decoding: trimmed, as: UTF8.self)) else { break walk }
            expected = address(bytes)
            if !trusted(bytes) { break walk }
        }
    }
    let client = proxies.clientAddress(peer: peer, fields: fields)
    require(client == expected, "clientAddress is \(client.map { "\($0)" } ?? "nil"), expected \(expected.map { "\($0)" } ?? "nil"); X-Forwarded-For \(xff.map { show($0) })")

    // 4. The forwarded scheme.
    let scheme = TrustedProxies.forwardedScheme(in: fields)
    let referenceScheme = referenceScheme(fields)
    require(scheme == referenceScheme, "forwardedScheme is \(String(describing: scheme)), the RFC 7239 reading \(String(describing: referenceScheme)); Forwarded \(fields[values: .forwardedField].map { show($0) }), X-Forwarded-Proto \(fields[values: .xForwardedProtoField].map { show($0) })")

    // 5. Generated Forwarded headers.
    var generator = input
    var header = ""
    var lastProto: ForwardedScheme?
    let elementCount = generator.int(in: 1...3)
    for e in 0..<elementCount {
        if e > 0 { header += [",", ", ", " ,\t"][generator.int(in: 0...2)] }
        var pairs: [(String, String)] = [("for", ["192.0.2.60", "\"[2001:db8:cafe::17]:4711\"", "unknown", "_hidden"][generator.int(in: 0...3)])]
        if generator.bool() { pairs.append(("by", "203.0.113.43")) }
        if generator.bool() { pairs.append(("host", "\"example.com:8443\"")) }
        var proto: ForwardedScheme?
        if generator.int(in: 0...3) != 0 {
            proto = generator.bool() ? .https : .http
            var text = String(proto!.rawValue.map { generator.bool() ? Character($0.uppercased()) : $0 })
            switch generator.int(in: 0...2) {
            case 0: break
            case 1: text = "\"\(text)\""
            default: text = "\"" + text.map { "\\\($0)" }.joined() + "\""
            }
            pairs.insert(("proto", text), at: generator.int(in: 0...pairs.count))
        }
        lastProto = proto
        header += pairs.map { name, value in
            let written = String(name.map { generator.bool() ? Character($0.uppercased()) : $0 })
            return "\(written)=\(value)"
        }.joined(separator: [";", "; ", " ;"][generator.int(in: 0...2)])
    }
    let generated = TrustedProxies.forwardedScheme(in: [.forwardedField: header])
    require(generated == lastProto, "Forwarded \(show(header)) gave \(String(describing: generated)), expected \(String(describing: lastProto))")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
