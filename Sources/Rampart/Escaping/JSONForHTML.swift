#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// JSON that is safe inside an HTML `<script type="application/json">` block.
///
/// `<`, `>` and `&` are written as `\u003c`, `\u003e` and `\u0026`, so the text can never contain
/// `</script>` or `<!--`; U+2028 and U+2029 as `\u2028` and `\u2029`, so it is also valid
/// JavaScript. All five only occur inside JSON strings, where these escapes mean the same thing.
///
/// ```swift
/// let data = try JSONForHTML.encode(comments)
/// let page: Markup = "<script type=\"application/json\" id=\"data\">\(data)</script>"
/// ```
///
/// See [OWASP XSS Prevention Cheat Sheet, rule 3.1](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html)
/// and [HTML §4.12.1.3 restrictions for contents of script elements](https://html.spec.whatwg.org/multipage/scripting.html#restrictions-for-contents-of-script-elements).
public enum JSONForHTML {
    /// Encodes a value as JSON with the HTML-sensitive characters escaped, as trusted ``Markup``.
    public static func encode(_ value: some Encodable) throws -> Markup {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Markup(unsafeRaw: escape(Array(try encoder.encode(value))))
    }

    /// Escapes already-encoded JSON bytes: `<`, `>` and `&` anywhere, and U+2028 / U+2029.
    /// Works byte by byte with a look-ahead only for U+2028 and U+2029 (`E2 80 A8`,
    /// `E2 80 A9`): any other byte, valid UTF-8 or not, is looked at on its own, so no byte can
    /// hide a `<` from the escaper.
    public static func escape(_ json: some Collection<UInt8>) -> String {
        let bytes = Array(json)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
            case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
            case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                out += Array((bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                index += 3
                continue
            default:
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
