/// A small, allocation-conscious Base64 codec (RFC 4648), so the core needs no Foundation.
///
/// See [RFC 4648](https://www.rfc-editor.org/rfc/rfc4648).
package enum Base64 {
    private static let standard: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes bytes as Base64: the standard alphabet with padding, or base64url without padding.
    package static func encode(_ bytes: some Collection<UInt8>, urlSafe: Bool = false) -> String {
        let table = urlSafe ? Self.urlSafe : Self.standard
        let padded = !urlSafe
        let count = bytes.count
        let outputLength = padded ? ((count + 2) / 3) * 4 : (count * 4 + 2) / 3
        return String(unsafeUninitializedCapacity: outputLength) { out in
            var o = 0
            var iterator = bytes.makeIterator()
            while let b0 = iterator.next() {
                let b1 = iterator.next()
                let b2 = iterator.next()
                out[o] = table[Int(b0 >> 2)]
                out[o + 1] = table[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)]
                o += 2
                if let b1 {
                    out[o] = table[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)]
                    o += 1
                } else if padded {
                    out[o] = UInt8(ascii: "=")
                    out[o + 1] = UInt8(ascii: "=")
                    o += 2
                    break
                }
                if let b2 {
                    out[o] = table[Int(b2 & 0x3F)]
                    o += 1
                } else if padded {
                    out[o] = UInt8(ascii: "=")
                    o += 1
                    break
                }
            }
            return o
        }
    }

    /// Decodes Base64 in either alphabet, with or without padding. Returns `nil` for any
    /// character outside the alphabet, misplaced padding, or non-zero trailing bits.
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var utf8 = Array(text.utf8)
        // Strip at most two padding characters, and only when the length is a multiple of 4.
        if utf8.last == UInt8(ascii: "=") {
            guard utf8.count % 4 == 0 else { return nil }
            utf8.removeLast()
            if utf8.last == UInt8(ascii: "=") { utf8.removeLast() }
        }
        if utf8.count % 4 == 1 { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in utf8 {
            guard let value = sextet(byte) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Canonical encodings leave the unused low bits at zero.
        if bits > 0, accumulator & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return output
    }

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
