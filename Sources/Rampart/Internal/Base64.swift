/// A small, allocation-free Base64 codec (RFC 4648), so the core needs no Foundation.
///
/// The buffer variants decode into and encode from caller-provided memory, for the per-request
/// paths (cookies, tokens, nonces) that must not allocate.
///
/// See [RFC 4648](https://www.rfc-editor.org/rfc/rfc4648).
package enum Base64 {
    private static let standard: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// Sextet of each byte in either alphabet; 0xFF for bytes outside both.
    private static let sextets: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in standard.enumerated() { table[Int(byte)] = UInt8(index) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// The length of the encoding of `count` bytes.
    package static func encodedLength(_ count: Int, urlSafe: Bool) -> Int {
        urlSafe ? (count * 4 + 2) / 3 : ((count + 2) / 3) * 4
    }

    /// Encodes bytes as Base64: the standard alphabet with padding, or base64url without padding.
    package static func encode(_ bytes: some Collection<UInt8>, urlSafe: Bool = false) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0), urlSafe: urlSafe) }) {
            return encoded
        }
        return Array(bytes).withUnsafeBytes { encode($0, urlSafe: urlSafe) }
    }

    /// Encodes raw bytes as Base64.
    package static func encode(_ bytes: UnsafeRawBufferPointer, urlSafe: Bool = false) -> String {
        let length = encodedLength(bytes.count, urlSafe: urlSafe)
        guard length > 0 else { return "" }
        return String(unsafeUninitializedCapacity: length) { out in
            encode(bytes, into: UnsafeMutableRawBufferPointer(out), urlSafe: urlSafe)
        }
    }

    /// Encodes `bytes` into `out`, which must hold at least ``encodedLength(_:urlSafe:)`` bytes,
    /// and returns how many bytes were written.
    @discardableResult
    package static func encode(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, urlSafe: Bool) -> Int {
        let count = bytes.count
        precondition(out.count >= encodedLength(count, urlSafe: urlSafe))
        return (urlSafe ? Self.urlSafe : Self.standard).withUnsafeBufferPointer { table in
            var i = 0
            var o = 0
            while i + 3 <= count {
                let b0 = bytes[i]
                let b1 = bytes[i + 1]
                let b2 = bytes[i + 2]
                out[o] = table[Int(b0 >> 2)]
                out[o + 1] = table[Int((b0 & 0x03) << 4 | b1 >> 4)]
                out[o + 2] = table[Int((b1 & 0x0F) << 2 | b2 >> 6)]
                out[o + 3] = table[Int(b2 & 0x3F)]
                i += 3
                o += 4
            }
            let rest = count - i
            if rest == 1 {
                let b0 = bytes[i]
                out[o] = table[Int(b0 >> 2)]
                out[o + 1] = table[Int((b0 & 0x03) << 4)]
                o += 2
                if !urlSafe {
                    out[o] = UInt8(ascii: "=")
                    out[o + 1] = UInt8(ascii: "=")
                    o += 2
                }
            } else if rest == 2 {
                let b0 = bytes[i]
                let b1 = bytes[i + 1]
                out[o] = table[Int(b0 >> 2)]
                out[o + 1] = table[Int((b0 & 0x03) << 4 | b1 >> 4)]
                out[o + 2] = table[Int((b1 & 0x0F) << 2)]
                o += 3
                if !urlSafe {
                    out[o] = UInt8(ascii: "=")
                    o += 1
                }
            }
            return o
        }
    }

    /// Decodes Base64 in either alphabet, with or without padding. Returns `nil` for any
    /// character outside the alphabet, misplaced padding, or non-zero trailing bits.
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode($0) }) { return decoded }
        return Array(text.utf8).withUnsafeBufferPointer { decode($0) }
    }

    /// Decodes Base64 text given as UTF-8 bytes.
    package static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let capacity = text.count / 4 * 3 + 3
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            if let n = decode(text, into: UnsafeMutableRawBufferPointer(buffer)) {
                initialized = n
            } else {
                failed = true
                initialized = 0
            }
        }
        return failed ? nil : bytes
    }

    /// Decodes base64url without padding (RFC 4648 §5), the only spelling Rampart writes for
    /// cookies and tokens: `+`, `/` and `=` are refused, so one value has exactly one text and
    /// changing any byte of it fails.
    package static func decodeURLSafe(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Int? {
        for byte in text where byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=") { return nil }
        return decode(text, into: out)
    }

    /// ``decodeURLSafe(_:into:)`` returning the bytes.
    package static func decodeURLSafe(_ text: some StringProtocol) -> [UInt8]? {
        guard !text.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=") }) else { return nil }
        return decode(text)
    }

    /// Decodes Base64 text into `out`, returning the number of bytes written, or `nil` when the
    /// text is not canonical Base64 or does not fit.
    package static func decode(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) -> Int? {
        var length = text.count
        // Strip at most two padding characters, and only when the length is a multiple of 4.
        if length > 0, text[length - 1] == UInt8(ascii: "=") {
            guard length % 4 == 0 else { return nil }
            length -= 1
            if text[length - 1] == UInt8(ascii: "=") { length -= 1 }
        }
        if length % 4 == 1 { return nil }
        let outputLength = length / 4 * 3 + max(0, length % 4 - 1)
        guard outputLength <= out.count else { return nil }
        return sextets.withUnsafeBufferPointer { table -> Int? in
            var i = 0
            var o = 0
            var invalid: UInt8 = 0
            while i + 4 <= length {
                let a = table[Int(text[i])]
                let b = table[Int(text[i + 1])]
                let c = table[Int(text[i + 2])]
                let d = table[Int(text[i + 3])]
                invalid |= (a | b | c | d) & 0x80
                out[o] = a << 2 | b >> 4
                out[o + 1] = b << 4 | c >> 2
                out[o + 2] = c << 6 | d
                i += 4
                o += 3
            }
            switch length - i {
            case 2:
                let a = table[Int(text[i])]
                let b = table[Int(text[i + 1])]
                invalid |= (a | b) & 0x80
                // Canonical encodings leave the unused low bits at zero.
                if b & 0x0F != 0 { return nil }
                out[o] = a << 2 | b >> 4
                o += 1
            case 3:
                let a = table[Int(text[i])]
                let b = table[Int(text[i + 1])]
                let c = table[Int(text[i + 2])]
                invalid |= (a | b | c) & 0x80
                if c & 0x03 != 0 { return nil }
                out[o] = a << 2 | b >> 4
                out[o + 1] = b << 4 | c >> 2
                o += 2
            default:
                break
            }
            return invalid == 0 ? o : nil
        }
    }
}
