/// Reads `application/x-www-form-urlencoded` bytes (a form body or a query) by the URL
/// Standard's parser: `&`-separated pairs, `+` as a space, `%XX` decoded, invalid UTF-8 as
/// U+FFFD. Names are compared by code points, never by canonical equivalence, so `%E2%84%AA`
/// (KELVIN SIGN) is not the field `K`.
///
/// Framework-free, so every adapter reads forms the same way (the CSRF `_csrf` field, query
/// values).
///
/// See [URL Standard §5.1](https://url.spec.whatwg.org/#urlencoded-parsing) and
/// [MDN: application/x-www-form-urlencoded](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Methods/POST).
public enum URLEncodedForm {
    /// Every value of the field `name`, in order; an empty list when it is absent.
    public static func values(named name: String, in bytes: some Collection<UInt8>) -> [String] {
        var values: [String] = []
        for pair in Array(bytes).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard decode(parts[0]).unicodeScalars.elementsEqual(name.unicodeScalars) else { continue }
            values.append(parts.count == 2 ? decode(parts[1]) : "")
        }
        return values
    }

    /// Every pair, in order, decoded.
    public static func pairs(in bytes: some Collection<UInt8>) -> [(name: String, value: String)] {
        Array(bytes).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count == 2 ? decode(parts[1]) : "")
        }
    }

    /// Decodes one name or value: `+` is a space, `%XX` a byte; a `%` not followed by two hex
    /// digits stays as it is.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
