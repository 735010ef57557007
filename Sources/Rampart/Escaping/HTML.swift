/// HTML escaping on UTF-8 bytes, for text content and quoted attribute values.
///
/// It replaces `&` `<` `>` `"` `'` with `&amp;` `&lt;` `&gt;` `&quot;` `&#39;`. It works on bytes,
/// never on `Character`s: a quote followed by a combining mark is one `Character` to Swift but
/// still a quote to an HTML parser, and an escaper that walks `Character`s lets it through. Input
/// that needs no escaping is returned as it is, without allocating.
///
/// The scan runs 16 bytes at a time (`SIMD16<UInt8>` compares): clean runs are copied whole,
/// and the output is sized exactly in a first pass, so it is allocated once.
///
/// See [HTML §13.1.2.6](https://html.spec.whatwg.org/multipage/syntax.html#attributes-2) and
/// [OWASP XSS Prevention Cheat Sheet, rule 1](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html).
public enum HTML {
    /// Escapes text for an HTML text node or a quoted attribute value.
    public static func escape(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard let base = bytes.baseAddress, let first = firstSpecial(base, from: 0, count: bytes.count) else { return nil }
            let length = bytes.count + extraBytes(base + first, count: bytes.count - first)
            // 16 bytes of slack for the block stores in `write`.
            return String(unsafeUninitializedCapacity: length + 16) { out in
                write(base, count: bytes.count, first: first, into: out.baseAddress!)
            }
        } ?? text
    }

    /// Escapes UTF-8 bytes. Invalid UTF-8 (including encoded surrogates) becomes U+FFFD, never
    /// passes through.
    public static func escape(utf8 bytes: some Collection<UInt8>) -> String {
        let text = bytes.withContiguousStorageIfAvailable { String(decoding: $0, as: UTF8.self) } ?? String(decoding: bytes, as: UTF8.self)
        return escape(text)
    }

    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    typealias Block = SIMD16<UInt8>

    /// Whether any of the 16 bytes needs escaping. (`any(_:)` on a mask is not vectorised by the
    /// compiler here, so the lanes are folded into two words instead.)
    @inline(__always)
    static func hasSpecial(_ block: Block) -> Bool {
        let mask =
            (block .== Block(repeating: UInt8(ascii: "&"))) .| (block .== Block(repeating: UInt8(ascii: "<")))
            .| (block .== Block(repeating: UInt8(ascii: ">"))) .| (block .== Block(repeating: UInt8(ascii: "\"")))
            .| (block .== Block(repeating: UInt8(ascii: "'")))
        let lanes = Block(repeating: 0).replacing(with: 0xFF, where: mask)
        let words = unsafeBitCast(lanes, to: (UInt64, UInt64).self)
        return (words.0 | words.1) != 0
    }

    /// The index of the first byte at or after `start` that needs escaping.
    @inline(__always)
    static func firstSpecial(_ base: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int? {
        var i = start
        let raw = UnsafeRawPointer(base)
        while i + 16 <= count {
            if hasSpecial(raw.loadUnaligned(fromByteOffset: i, as: Block.self)) { break }
            i += 16
        }
        while i < count {
            if needsEscape(base[i]) { return i }
            i += 1
        }
        return nil
    }

    /// How many bytes the escapes add.
    static func extraBytes(_ base: UnsafePointer<UInt8>, count: Int) -> Int {
        let raw = UnsafeRawPointer(base)
        var extra = 0
        var i = 0
        while i + 16 <= count {
            // Up to 48 blocks add at most 48 × 5 = 240 per lane before the UInt8 lanes are summed.
            var lanes = Block(repeating: 0)
            var blocks = 0
            while blocks < 48, i + 16 <= count {
                let block = raw.loadUnaligned(fromByteOffset: i, as: Block.self)
                lanes &+= Block(repeating: 0).replacing(with: 4, where: block .== Block(repeating: UInt8(ascii: "&")))
                lanes &+= Block(repeating: 0).replacing(
                    with: 3,
                    where: (block .== Block(repeating: UInt8(ascii: "<"))) .| (block .== Block(repeating: UInt8(ascii: ">")))
                )
                lanes &+= Block(repeating: 0).replacing(with: 5, where: block .== Block(repeating: UInt8(ascii: "\"")))
                lanes &+= Block(repeating: 0).replacing(with: 4, where: block .== Block(repeating: UInt8(ascii: "'")))
                blocks += 1
                i += 16
            }
            extra += Int(SIMD16<UInt16>(truncatingIfNeeded: lanes).wrappedSum())
        }
        while i < count {
            extra += Int(Table.shared.length[Int(base[i])]) - 1
            i += 1
        }
        return extra
    }

    /// For each byte, the bytes it is written as (little-endian, up to 6) and how many.
    final class Table: @unchecked Sendable {  // written once in init, then read-only
        static let shared = Table()
        let bytes: UnsafeMutablePointer<UInt64>
        let length: UnsafeMutablePointer<UInt8>

        private init() {
            bytes = .allocate(capacity: 256)
            length = .allocate(capacity: 256)
            for byte in 0..<256 {
                let (value, count): (UInt64, UInt8) =
                    switch UInt8(byte) {
                    case UInt8(ascii: "&"): (0x3B70_6D61_26, 5)  // &amp;
                    case UInt8(ascii: "<"): (0x3B74_6C26, 4)  // &lt;
                    case UInt8(ascii: ">"): (0x3B74_6726, 4)  // &gt;
                    case UInt8(ascii: "\""): (0x3B_746F_7571_26, 6)  // &quot;
                    case UInt8(ascii: "'"): (0x3B39_3323_26, 5)  // &#39;
                    default: (UInt64(byte), 1)
                    }
                bytes[byte] = value
                length[byte] = count
            }
        }
    }

    /// One bit per byte of the block that needs escaping, byte k at bit k.
    @inline(__always)
    static func specialBits(_ block: Block) -> UInt32 {
        let mask =
            (block .== Block(repeating: UInt8(ascii: "&"))) .| (block .== Block(repeating: UInt8(ascii: "<")))
            .| (block .== Block(repeating: UInt8(ascii: ">"))) .| (block .== Block(repeating: UInt8(ascii: "\"")))
            .| (block .== Block(repeating: UInt8(ascii: "'")))
        let ones = Block(repeating: 0).replacing(with: 1, where: mask)
        let words = unsafeBitCast(ones, to: (UInt64, UInt64).self)
        // Gathers the low bit of each byte into the top byte (a portable movemask).
        let low = (words.0.littleEndian &* 0x0102_0408_1020_4080) >> 56
        let high = (words.1.littleEndian &* 0x0102_0408_1020_4080) >> 56
        return UInt32(truncatingIfNeeded: low | high << 8)
    }

    /// Writes the escaped text; returns the bytes written. `out` has 16 bytes of slack.
    ///
    /// Blocks of 16 bytes with nothing to escape are stored whole. In a block with escapes, the
    /// clean run before each one is stored as a 16-byte block (the slack absorbs the overhang)
    /// and the escape as one 8-byte store, so the work is per escape, not per byte.
    static func write(_ base: UnsafePointer<UInt8>, count: Int, first: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        out.update(from: base, count: first)
        var o = first
        var i = first
        let raw = UnsafeRawPointer(base)
        let target = UnsafeMutableRawPointer(out)
        let table = Table.shared
        let replacement = table.bytes
        let length = table.length
        // Whole blocks while a 16-byte load at any offset inside the block stays in the input.
        while i + 32 <= count {
            let block = raw.loadUnaligned(fromByteOffset: i, as: Block.self)
            var bits = specialBits(block)
            if bits == 0 {
                target.storeBytes(of: block, toByteOffset: o, as: Block.self)
                o += 16
                i += 16
                continue
            }
            var start = 0
            while bits != 0 {
                let k = bits.trailingZeroBitCount
                target.storeBytes(of: raw.loadUnaligned(fromByteOffset: i + start, as: Block.self), toByteOffset: o, as: Block.self)
                o += k - start
                let byte = Int(base[i + k])
                target.storeBytes(of: replacement[byte].littleEndian, toByteOffset: o, as: UInt64.self)
                o += Int(length[byte])
                start = k + 1
                bits &= bits - 1
            }
            target.storeBytes(of: raw.loadUnaligned(fromByteOffset: i + start, as: Block.self), toByteOffset: o, as: Block.self)
            o += 16 - start
            i += 16
        }
        while i < count {
            let byte = Int(base[i])
            target.storeBytes(of: replacement[byte].littleEndian, toByteOffset: o, as: UInt64.self)
            o += Int(length[byte])
            i += 1
        }
        return o
    }
}
