import HTTPTypes

/// The headers to serve a stored upload with, so it can never run as a page of this site.
///
/// - `Content-Type`: the sniffed type, never the client's;
/// - `X-Content-Type-Options: nosniff`;
/// - `Content-Security-Policy: sandbox; default-src 'none'` (even if opened directly, it runs nothing);
/// - `Cross-Origin-Resource-Policy: same-origin`;
/// - `Content-Disposition: attachment` with an ASCII `filename` and an RFC 6266 / RFC 8187
///   `filename*=UTF-8''…`; `inline` only for raster images, when asked for.
///
/// The file name is cleaned: only its last path component is kept, and CR, LF, NUL and other
/// controls, quotes, backslashes, slashes and `;` are removed.
///
/// See [RFC 6266](https://www.rfc-editor.org/rfc/rfc6266), [RFC 8187](https://www.rfc-editor.org/rfc/rfc8187),
/// [MDN: Content-Disposition](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Disposition) and
/// [OWASP File Upload Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/File_Upload_Cheat_Sheet.html).
public enum SafeDownload {
    /// The headers for one download.
    /// - Parameters:
    ///   - type: The sniffed type.
    ///   - fileName: The name to offer the user (for example the original upload name).
    ///   - inline: Show it in the browser rather than download it; honoured for raster images only.
    public static func headers(for type: UploadType, fileName: String, inline: Bool = false) -> HTTPFields {
        [
            .contentType: type.mediaType,
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "sandbox; default-src 'none'",
            .crossOriginResourcePolicy: "same-origin",
            .contentDisposition: contentDisposition(fileName: fileName, inline: inline && type.isRasterImage, fallbackExtension: type.fileExtension),
            .cacheControl: "private, no-cache",
        ]
    }

    /// The `Content-Disposition` value.
    public static func contentDisposition(fileName: String, inline: Bool = false, fallbackExtension: String = "bin") -> String {
        let clean = cleanFileName(fileName, fallbackExtension: fallbackExtension)
        let ascii = String(decoding: clean.utf8.map { $0 < 0x80 ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        let disposition = inline ? "inline" : "attachment"
        if ascii == clean {
            return "\(disposition); filename=\"\(ascii)\""
        }
        // Non-ASCII bytes became "_" in the fallback; a run of them shrinks to one.
        var fallback = ""
        for character in ascii where !(character == "_" && fallback.hasSuffix("_")) { fallback.append(character) }
        return "\(disposition); filename=\"\(fallback)\"; filename*=UTF-8''\(percentEncode(clean))"
    }

    /// The last path component with every dangerous byte removed, at most 100 bytes of it;
    /// `download.<ext>` if nothing is left.
    static func cleanFileName(_ name: String, fallbackExtension: String) -> String {
        // Split on scalars: a "/" followed by a combining mark is one Character, still a "/".
        let lastComponent =
            name.unicodeScalars.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map { String(String.UnicodeScalarView($0)) } ?? ""
        var scalars = String.UnicodeScalarView()
        for scalar in lastComponent.unicodeScalars {
            switch scalar.value {
            case 0..<0x20, 0x7F, 0x80..<0xA0: continue  // C0, DEL, C1 controls
            case 0x22, 0x27, 0x3B, 0x25: continue  // " ' ; %
            case 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069: continue  // zero-width and bidi controls
            default: scalars.append(scalar)
            }
        }
        // Leading dots and spaces go (scalar by scalar: a mark after a dot must not shelter it),
        // then any combining mark or joiner left at the front, then trailing spaces.
        var view = Substring(String(scalars)).unicodeScalars
        while let first = view.first, first == "." || first == " " || first.properties.isGraphemeExtend || first.properties.generalCategory == .format
        {
            view.removeFirst()
        }
        var cleaned = String(String.UnicodeScalarView(view))
        while cleaned.utf8.count > 100 { cleaned.removeLast() }
        while cleaned.unicodeScalars.last == " " { cleaned.unicodeScalars.removeLast() }
        return cleaned.isEmpty ? "download.\(fallbackExtension)" : cleaned
    }

    /// RFC 8187 `attr-char` stays; everything else is percent-encoded from UTF-8.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if HeaderGrammar.isAlpha(byte) || HeaderGrammar.isDigit(byte) || "!#$&+-.^_`|~".utf8.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
            }
        }
        return out
    }
}
