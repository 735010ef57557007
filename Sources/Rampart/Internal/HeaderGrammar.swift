/// Byte-level checks shared by the header policies. All of them work on UTF-8 bytes, never on
/// `Character`s, so a combining mark can never hide a delimiter.
package enum HeaderGrammar {
    /// RFC 9110 §5.6.2: `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    /// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA`.
    package static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// RFC 9651 §3.2: `key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`.
    package static func isStructuredFieldKey(_ s: String) -> Bool {
        let bytes = s.utf8
        guard let first = bytes.first, isLowerAlpha(first) || first == UInt8(ascii: "*") else { return false }
        return bytes.allSatisfy { b in
            isLowerAlpha(b) || isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "*")
        }
    }

    /// Visible ASCII (`%x21-7E`) only: no space, no control character, nothing outside ASCII.
    package static func isVisibleASCII(_ s: some StringProtocol) -> Bool {
        !s.utf8.isEmpty && s.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    package static func isLowerAlpha(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    package static func isAlpha(_ b: UInt8) -> Bool { isLowerAlpha(b | 0x20) }
    package static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Calls `body` with each `separator`-delimited piece of `bytes` (a list header such as
    /// `Vary`, or the `;` attributes of a cookie), as a range with spaces and tabs trimmed from
    /// both ends, empty pieces included; stops early when `body` returns `false`.
    package static func forEachPiece(of bytes: UnsafeBufferPointer<UInt8>, separatedBy separator: UInt8, _ body: (Range<Int>) -> Bool) {
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != separator { end += 1 }
            var lower = start
            var upper = end
            while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
            while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
            guard body(lower..<upper) else { return }
            start = end + 1
        }
    }

    /// Whether two byte strings are equal ignoring ASCII case (for header tokens, not secrets).
    package static func equalsIgnoringASCIICase(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { asciiLower($0) == asciiLower($1) }
    }

    /// The same on buffers, for callers in other modules: the generic version is not specialised
    /// across the module boundary, and its unspecialised form looked up type metadata on every
    /// call (7% of a session request's CPU in `Vary` handling, by `perf`).
    package static func equalsIgnoringASCIICase(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for index in 0..<lhs.count where asciiLower(lhs[index]) != asciiLower(rhs[index]) { return false }
        return true
    }

    /// ASCII-lowercases one byte.
    @inline(__always)
    package static func asciiLower(_ b: UInt8) -> UInt8 { b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b }

    /// ASCII-lowercases a string byte by byte; non-ASCII bytes are kept as they are.
    package static func asciiLowercased(_ s: some StringProtocol) -> String {
        String(decoding: s.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Describes the first byte that is a header-injection risk (CR, LF, NUL or another control).
    package static func firstControlCharacter(in s: String) -> String? {
        for b in s.utf8 where b < 0x20 || b == 0x7F {
            switch b {
            case 0x0D: return "CR"
            case 0x0A: return "LF"
            default: return "control character 0x\(String(b, radix: 16))"
            }
        }
        return nil
    }

    /// Splits on a byte, ASCII-trimming spaces and tabs from each piece.
    package static func split(_ s: Substring, on separator: UInt8) -> [Substring] {
        var parts: [Substring] = []
        var start = s.startIndex
        var i = s.utf8.startIndex
        while i < s.utf8.endIndex {
            if s.utf8[i] == separator {
                parts.append(trimOWS(s[start..<i]))
                start = s.utf8.index(after: i)
            }
            i = s.utf8.index(after: i)
        }
        parts.append(trimOWS(s[start...]))
        return parts
    }

    /// Trims RFC 9110 optional whitespace (spaces and horizontal tabs).
    package static func trimOWS(_ s: Substring) -> Substring {
        var lower = s.utf8.startIndex
        var upper = s.utf8.endIndex
        while lower < upper, s.utf8[lower] == 0x20 || s.utf8[lower] == 0x09 { lower = s.utf8.index(after: lower) }
        while upper > lower {
            let before = s.utf8.index(before: upper)
            guard s.utf8[before] == 0x20 || s.utf8[before] == 0x09 else { break }
            upper = before
        }
        return s[lower..<upper]
    }
}
