/// Reads a `Content-Type` value: its essence (`type/subtype`, ASCII-lowercased, without
/// parameters) and its parameters (`boundary`, `charset`). Byte-level and ASCII-only, so no
/// Unicode case mapping or grapheme clustering changes what a header means.
///
/// See [RFC 9110 §8.3.1](https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1) and
/// [MDN: Content-Type](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Type).
public enum MediaType {
    /// `type/subtype`, ASCII-lowercased and trimmed: `Application/JSON; charset=utf-8` →
    /// `application/json`.
    public static func essence(of contentType: String) -> String {
        let lowered = String(decoding: contentType.utf8.prefix { $0 != UInt8(ascii: ";") }.map(HeaderGrammar.asciiLower), as: UTF8.self)
        return String(HeaderGrammar.trimOWS(Substring(lowered)))
    }

    /// Whether the essence is `application/json` or a `+json` type (`application/problem+json`).
    public static func isJSON(_ contentType: String) -> Bool {
        let media = essence(of: contentType)
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    /// One parameter's value, its quotes removed: `boundary` in
    /// `multipart/form-data; boundary="abc"` is `abc`. The name is compared ignoring ASCII case;
    /// `nil` when absent, empty or over 70 bytes (the longest RFC 2046 boundary).
    public static func parameter(_ name: String, in contentType: String) -> String? {
        let wanted = Array(HeaderGrammar.asciiLowercased(name).utf8)
        func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            var bytes = bytes
            while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
            while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
            return bytes
        }
        // Bytes, not Characters: a ';' or '=' followed by a combining mark still separates.
        for parameter in Array(contentType.utf8).split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).dropFirst() {
            guard let equals = parameter.firstIndex(of: UInt8(ascii: "=")),
                trimmed(parameter[..<equals]).map(HeaderGrammar.asciiLower).elementsEqual(wanted)
            else { continue }
            var value = trimmed(parameter[(equals + 1)...])
            if value.isEmpty { continue }
            if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") { value = value.dropFirst().dropLast() }
            return value.isEmpty || value.count > 70 ? nil : String(decoding: value, as: UTF8.self)
        }
        return nil
    }
}
