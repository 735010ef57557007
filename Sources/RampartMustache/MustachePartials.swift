import Rampart

/// What a template's `<script>`, `<style>` and `<link>` tags need from the CSP, worked out once
/// at load:
///
/// - a **static inline block** (`<script>…</script>` or `<style>…</style>` with no `src` and no
///   Mustache tag inside) is hashed (SHA-256 of the text the browser hashes: the block's text
///   with CR LF and CR read as LF), and its `'sha256-…'` goes into the response's `script-src`
///   or `style-src`, so it runs without a nonce;
/// - every other `<script>` and `<style>` start tag gets `nonce="{{cspNonce}}"`, and so does a
///   `<link rel="stylesheet">` and a `<link rel="preload">` or `modulepreload` for a script or
///   style, unless it loads from this site (a relative URL, which `'self'` allows);
/// - a tag that already has `nonce` must have exactly `nonce="{{cspNonce}}"` (the template's
///   nonce and the header's must agree); anything else is refused at load.
///
/// A template writer never types the nonce, and a page whose inline blocks are all static
/// needs none: its nonce is never drawn, and it may be cached.
///
/// See [MDN: CSP hashes](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/script-src)
/// and [CSP Level 3 §6.7.2.3, does a source list allow all inline behavior](https://www.w3.org/TR/CSP3/#match-element-to-source-list).
enum InlineCode {
    static let nonceAttribute = " nonce=\"{{cspNonce}}\""

    /// The template with nonces stamped, and the hashes of its static inline blocks.
    static func prepare(_ source: String, name: String) throws -> (source: String, hashes: CSPInlineHashes) {
        let bytes = Array(source.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var hashes = CSPInlineHashes()
        var i = 0
        func line(_ at: Int) -> Int { 1 + bytes[..<min(at, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
        while i < bytes.count {
            if starts(bytes, at: i, with: "<!--") {
                let end = find(bytes, "-->", from: i + 4).map { $0 + 3 } ?? bytes.count
                out += bytes[i..<end]
                i = end
                continue
            }
            guard bytes[i] == UInt8(ascii: "<"), i + 1 < bytes.count, isLetter(bytes[i + 1]) else {
                out.append(bytes[i])
                i += 1
                continue
            }
            var nameEnd = i + 1
            while nameEnd < bytes.count, isLetter(bytes[nameEnd]) || isDigit(bytes[nameEnd]) { nameEnd += 1 }
            let tagName = String(decoding: bytes[(i + 1)..<nameEnd].map(lower), as: UTF8.self)
            guard tagName == "script" || tagName == "style" || tagName == "link", nameEnd < bytes.count,
                bytes[nameEnd] == 0x20 || bytes[nameEnd] == 0x09 || bytes[nameEnd] == 0x0A || bytes[nameEnd] == 0x0D
                    || bytes[nameEnd] == UInt8(ascii: ">") || bytes[nameEnd] == UInt8(ascii: "/")
            else {
                out += bytes[i..<nameEnd]
                i = nameEnd
                continue
            }
            guard let tagEnd = endOfStartTag(bytes, from: nameEnd) else {
                out += bytes[i...]
                break
            }
            let attributes = parseAttributes(bytes[nameEnd..<tagEnd])
            let tagText = "<\(tagName)>"
            if let nonce = attributes["nonce"] {
                guard nonce == "{{cspNonce}}" else {
                    throw TemplateSecurityError(
                        template: name,
                        line: line(i),
                        tag: tagText,
                        reason: "nonceMismatch",
                        message: "has a nonce other than {{cspNonce}}; leave it out and Rampart adds the request's nonce"
                    )
                }
                out += bytes[i...tagEnd]
                i = tagEnd + 1
                continue
            }
            var stamp = false
            var blockHash: (isScript: Bool, text: String)?
            switch tagName {
            case "link":
                let rel = Set((attributes["rel"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map { $0.lowercased() })
                let kind = (attributes["as"] ?? "").lowercased()
                let loadsCode =
                    rel.contains("stylesheet") || rel.contains("modulepreload") || (rel.contains("preload") && (kind == "script" || kind == "style"))
                stamp = loadsCode && !isOwnSiteURL(attributes["href"])
            default:
                if tagName == "script", attributes["src"] != nil {
                    stamp = !isOwnSiteURL(attributes["src"])
                } else {
                    let closing = "</" + tagName
                    guard let close = findCaseInsensitive(bytes, closing, from: tagEnd + 1) else {
                        stamp = true
                        break
                    }
                    let content = bytes[(tagEnd + 1)..<close]
                    if find(Array(content), "{{", from: 0) != nil {
                        stamp = true
                    } else {
                        blockHash = (tagName == "script", normalisedNewlines(content))
                    }
                }
            }
            out += bytes[i..<nameEnd]
            if stamp { out += Array(nonceAttribute.utf8) }
            out += bytes[nameEnd...tagEnd]
            if let blockHash {
                if blockHash.isScript { hashes.addScript(blockHash.text) } else { hashes.addStyle(blockHash.text) }
            }
            i = tagEnd + 1
        }
        return (String(decoding: out, as: UTF8.self), hashes)
    }

    /// The names of the partials a template includes (`{{> name}}`).
    static func partials(of source: String) -> [String] {
        let bytes = Array(source.utf8)
        var names: [String] = []
        var index = 0
        while let open = find(bytes, "{{>", from: index) {
            guard let close = find(bytes, "}}", from: open + 3) else { break }
            let name = bytes[(open + 3)..<close].filter { $0 != 0x20 && $0 != 0x09 }
            names.append(String(decoding: name, as: UTF8.self))
            index = close + 2
        }
        return names
    }

    /// A URL this site serves: relative (`/x`, `x`, `./x`, `?q`), not scheme-relative
    /// (`//host`) and not absolute, with no Mustache tag in it.
    static func isOwnSiteURL(_ url: String?) -> Bool {
        guard let url, !url.isEmpty, !url.contains("{{") else { return false }
        if url.hasPrefix("//") || url.hasPrefix("\\") || url.hasPrefix("/\\") { return false }
        if let colon = url.firstIndex(of: ":") {
            let before = url[..<colon]
            if !before.contains("/") && !before.contains("?") && !before.contains("#") { return false }
        }
        return true
    }

    /// The block's text as the browser hashes it: the HTML parser turns CR LF and lone CR into LF.
    static func normalisedNewlines(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x0D {
                out.append(0x0A)
                if index + 1 < bytes.endIndex, bytes[index + 1] == 0x0A { index += 1 }
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Scanning

    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func lower(_ b: UInt8) -> UInt8 { b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b }

    static func starts(_ bytes: [UInt8], at index: Int, with text: String) -> Bool {
        let t = Array(text.utf8)
        return index + t.count <= bytes.count && Array(bytes[index..<(index + t.count)]) == t
    }

    static func find(_ bytes: [UInt8], _ text: String, from start: Int) -> Int? {
        let t = Array(text.utf8)
        guard !t.isEmpty, bytes.count >= t.count, start <= bytes.count - t.count else { return nil }
        for index in start...(bytes.count - t.count) where bytes[index] == t[0] && Array(bytes[index..<(index + t.count)]) == t {
            return index
        }
        return nil
    }

    static func findCaseInsensitive(_ bytes: [UInt8], _ text: String, from start: Int) -> Int? {
        let t = Array(text.utf8).map(lower)
        guard !t.isEmpty, bytes.count >= t.count, start <= bytes.count - t.count else { return nil }
        for index in start...(bytes.count - t.count) where bytes[index..<(index + t.count)].map(lower) == t {
            return index
        }
        return nil
    }

    /// The index of the `>` that ends a start tag, skipping quoted values and Mustache tags.
    static func endOfStartTag(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{"),
                let close = find(bytes, "}}", from: index + 2)
            {
                index = close + 2
                continue
            }
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index
            }
            index += 1
        }
        return nil
    }

    /// Attribute names (lowercased) and values (unquoted, as written) of a start tag's text.
    static func parseAttributes(_ text: ArraySlice<UInt8>) -> [String: String] {
        let bytes = Array(text)
        var attributes: [String: String] = [:]
        var index = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }
        while index < bytes.count {
            while index < bytes.count, isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "/") { index += 1 }
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") {
                index = find(bytes, "}}", from: index + 2).map { $0 + 2 } ?? bytes.count
                continue
            }
            let nameStart = index
            while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: "/") {
                index += 1
            }
            guard index > nameStart else {
                index += 1
                continue
            }
            let name = String(decoding: bytes[nameStart..<index].map(lower), as: UTF8.self)
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            var value = ""
            if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
                index += 1
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                if index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                    let quote = bytes[index]
                    let start = index + 1
                    index = start
                    while index < bytes.count, bytes[index] != quote { index += 1 }
                    value = String(decoding: bytes[start..<min(index, bytes.count)], as: UTF8.self)
                    index += 1
                } else {
                    let start = index
                    while index < bytes.count, !isSpace(bytes[index]) { index += 1 }
                    value = String(decoding: bytes[start..<index], as: UTF8.self)
                }
            }
            if attributes[name] == nil { attributes[name] = value }
        }
        return attributes
    }
}
