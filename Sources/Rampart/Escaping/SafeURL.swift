/// A URL for an `href`, `src`, `action` or `formaction` attribute, with dangerous schemes removed.
///
/// Allowed: `http:`, `https:`, `mailto:`, and relative URLs (paths, queries, fragments and
/// protocol-relative `//host/…`, which stay relative). Anything else, `javascript:`, `data:`,
/// `vbscript:` and every unknown scheme, becomes `about:invalid#rampart`.
///
/// The scheme is found the way a browser finds it: leading and trailing C0 controls and spaces are
/// ignored, tabs and newlines anywhere are removed (`java\tscript:` is `javascript:`), case is
/// ignored, and numeric or named character references are decoded first (`javascript&#58;`),
/// because the HTML parser decodes them in attribute values before the URL parser runs.
///
/// Interpolated into ``Markup`` it is escaped as an attribute value.
///
/// See [URL Standard §4.4](https://url.spec.whatwg.org/#url-parsing),
/// [OWASP XSS Prevention Cheat Sheet, rule 5](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html) and
/// [MDN: javascript: URLs](https://developer.mozilla.org/en-US/docs/Web/URI/Reference/Schemes/javascript).
public struct SafeURL: Hashable, Sendable, CustomStringConvertible {
    /// What refused URLs become: a URL that navigates nowhere.
    public static let refused = "about:invalid#rampart"
    /// The schemes allowed by default.
    public static let allowedSchemes: Set<String> = ["http", "https", "mailto"]

    /// The URL to put in the attribute (not yet HTML-escaped).
    public let value: String
    /// Whether the input was refused and replaced.
    public let wasRefused: Bool

    /// Filters a URL.
    public init(_ url: String) {
        if let scheme = Self.scheme(of: url), !Self.allowedSchemes.contains(scheme) {
            value = Self.refused
            wasRefused = true
        } else {
            value = url
            wasRefused = false
        }
    }

    public var description: String { value }

    /// The scheme as a browser would read it, lowercased, or `nil` for a relative URL.
    static func scheme(of url: String) -> String? {
        var bytes = decodeCharacterReferences(Array(url.utf8))
        // Strip leading and trailing C0 control or space, then every ASCII tab or newline.
        while let first = bytes.first, first <= 0x20 { bytes.removeFirst() }
        while let last = bytes.last, last <= 0x20 { bytes.removeLast() }
        bytes.removeAll { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.first, HeaderGrammar.isAlpha(first) else { return nil }
        var scheme: [UInt8] = []
        for byte in bytes {
            if byte == UInt8(ascii: ":") { return HeaderGrammar.asciiLowercased(String(decoding: scheme, as: UTF8.self)) }
            guard
                HeaderGrammar.isAlpha(byte) || HeaderGrammar.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: ".")
            else {
                return nil
            }
            scheme.append(byte)
        }
        return nil
    }

    /// Decodes `&#58;`, `&#x3A;` (semicolon optional) and the named references that can build a
    /// scheme separator or hide one (`&colon;`, `&Tab;`, `&NewLine;`), as the HTML parser would.
    static func decodeCharacterReferences(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(UInt8(ascii: "&")) else { return bytes }
        let named: [(String, UInt8)] = [("colon", 0x3A), ("tab", 0x09), ("newline", 0x0A)]
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "&") else {
                out.append(bytes[i])
                i += 1
                continue
            }
            var j = i + 1
            if j < bytes.count, bytes[j] == UInt8(ascii: "#") {
                j += 1
                let hex = j < bytes.count && (bytes[j] | 0x20) == UInt8(ascii: "x")
                if hex { j += 1 }
                // Every digit, as the HTML tokenizer reads them (leading zeros included); a value
                // past U+10FFFF saturates and becomes U+FFFD, as there.
                var value: UInt32 = 0
                let start = j
                while j < bytes.count {
                    let b = bytes[j]
                    let digit: UInt32
                    if HeaderGrammar.isDigit(b) {
                        digit = UInt32(b - UInt8(ascii: "0"))
                    } else if hex, (b | 0x20) >= UInt8(ascii: "a"), (b | 0x20) <= UInt8(ascii: "f") {
                        digit = UInt32((b | 0x20) - UInt8(ascii: "a") + 10)
                    } else {
                        break
                    }
                    value = min(0x11_0000, value * (hex ? 16 : 10) + digit)
                    j += 1
                }
                if j > start {
                    if j < bytes.count, bytes[j] == UInt8(ascii: ";") { j += 1 }
                    let scalar = (value == 0 || value > 0x10FFFF) ? nil : Unicode.Scalar(value)
                    out.append(contentsOf: Array(String(scalar ?? "\u{FFFD}").utf8))
                    i = j
                    continue
                }
            } else {
                // Compared as bytes: a combining mark after the ";" must not merge with it.
                let rest = bytes[j..<min(bytes.count, j + 8)].map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
                if let (name, byte) = named.first(where: { rest.starts(with: Array(($0.0 + ";").utf8)) }) {
                    out.append(byte)
                    i = j + name.utf8.count + 1
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }
}
