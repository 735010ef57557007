extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingOWS: String { String(HeaderGrammar.trimOWS(Substring(self))) }
}

/// The parameters of a `Content-Disposition` header (a multipart part's, or a download's),
/// quoted strings unescaped. Byte-level: separators are found as bytes.
///
/// See [RFC 7578 §4.2](https://www.rfc-editor.org/rfc/rfc7578#section-4.2) and
/// [RFC 6266 §4.1](https://www.rfc-editor.org/rfc/rfc6266#section-4.1).
public struct ContentDisposition: Sendable, Hashable {
    /// The disposition type, ASCII-lowercased: `form-data`, `attachment`, `inline`.
    public private(set) var type: String
    /// The parameters by ASCII-lowercased name (`name`, `filename`, `filename*`), quoted
    /// strings unescaped; the first of a repeated name wins.
    public private(set) var parameters: [String: String] = [:]

    /// Parses a header value. Never fails: what cannot be read is left out.
    public init(parsing value: String) {
        let bytes = Array(value.utf8)
        var i = 0
        func skipSpaces() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 } }
        func token() -> String {
            let start = i
            while i < bytes.count, bytes[i] != UInt8(ascii: ";"), bytes[i] != UInt8(ascii: "=") { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self).trimmingOWS
        }
        skipSpaces()
        type = HeaderGrammar.asciiLowercased(token())
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: ";") else {
                i += 1
                continue
            }
            i += 1
            skipSpaces()
            let name = HeaderGrammar.asciiLowercased(token())
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { continue }
            i += 1
            skipSpaces()
            var parameterValue: [UInt8] = []
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count { i += 1 }
                    parameterValue.append(bytes[i])
                    i += 1
                }
                i += 1
            } else {
                while i < bytes.count, bytes[i] != UInt8(ascii: ";") {
                    parameterValue.append(bytes[i])
                    i += 1
                }
            }
            if parameters[name] == nil, !name.isEmpty {
                parameters[name] = String(decoding: parameterValue, as: UTF8.self).trimmingOWS
            }
        }
    }

    /// Decodes an RFC 8187 `UTF-8''percent%20encoded` value (a `filename*`); `nil` for other
    /// charsets.
    public static func decodeExtended(_ value: String) -> String? {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, HeaderGrammar.asciiLowercased(parts[0]) == "utf-8" else { return nil }
        return URLEncodedForm.decode(
            ArraySlice(Array(parts[2].utf8)).split(separator: UInt8(ascii: "+"), omittingEmptySubsequences: false).joined(
                separator: Array("%2B".utf8)
            ).map { $0 }[...]
        )
    }
}
