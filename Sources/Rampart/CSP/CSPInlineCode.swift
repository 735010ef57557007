/// Nonces and hashes for a template's inline code, worked out once when the template loads, so
/// that a template writer never types a nonce and a page whose inline blocks are all static
/// needs none:
///
/// - a **static inline block** (`<script>…</script>` or `<style>…</style>` with no `src` and no
///   template syntax inside) is hashed: SHA-256 of the text the browser hashes, the block's text
///   with CR LF and CR read as LF. Its `'sha256-…'` goes into the response's `script-src` or
///   `style-src`, so it runs without a nonce;
/// - every other `<script>` and `<style>` start tag gets a `nonce` attribute whose value is the
///   engine's nonce expression (``Syntax/nonceExpression``), and so does a
///   `<link rel="stylesheet">` and a `<link rel="preload">` or `modulepreload` for a script or
///   style, unless it loads from this site (a relative URL, which `'self'` allows);
/// - a tag that already has `nonce` must have exactly the nonce expression (the page's nonce and
///   the header's must agree); anything else is refused at load with `nonceMismatch`.
///
/// SafeMustache (`{{cspNonce}}`) and RampartLeaf (`#cspNonce()`) both prepare their templates
/// with it.
///
/// See [MDN: CSP hashes](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/script-src#unsafe_hashes)
/// and [CSP Level 3 §6.7.2.3, does a source list allow all inline behavior](https://www.w3.org/TR/CSP3/#match-element-to-source-list).
public enum CSPInlineCode {
    /// How one template engine writes what the preparation must recognise or add.
    ///
    /// See [MDN: nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce).
    public struct Syntax: Sendable {
        /// What the engine renders as the request's nonce, such as `{{cspNonce}}`.
        public var nonceExpression: String
        /// An expression's opening and closing delimiters (`{{` and `}}`), skipped whole when a
        /// start tag is read; `nil` when expressions need no skipping (their parentheses and
        /// quotes sit inside quoted attribute values, which the reader skips anyway).
        public var expressionDelimiters: (open: String, close: String)?
        /// Text that marks a block or a URL as templated: a block holding any of these is not
        /// static (it gets a nonce, never a hash), and a URL holding one is not known to be this
        /// site's.
        public var templatedMarkers: [String]
        /// Text put just before each hashed block, for an engine that must learn of the hash at
        /// render time (a tag that adds it to the request's ``LazyCSPNonce``): it is given the
        /// block's kind and its hash. `nil`: the hashes are only returned, for the engine to add
        /// per template.
        public var hashAnnouncement: (@Sendable (_ isScript: Bool, _ hash: CSPSource) -> String)?

        /// Describes an engine's syntax.
        /// - Parameters:
        ///   - nonceExpression: What renders as the request's nonce.
        ///   - expressionDelimiters: Delimiters skipped whole inside start tags, if any.
        ///   - templatedMarkers: Text that makes a block or URL templated.
        ///   - hashAnnouncement: Text to put before each hashed block, if the engine needs it.
        public init(
            nonceExpression: String,
            expressionDelimiters: (open: String, close: String)?,
            templatedMarkers: [String],
            hashAnnouncement: (@Sendable (_ isScript: Bool, _ hash: CSPSource) -> String)? = nil
        ) {
            self.nonceExpression = nonceExpression
            self.expressionDelimiters = expressionDelimiters
            self.templatedMarkers = templatedMarkers
            self.hashAnnouncement = hashAnnouncement
        }

        /// Mustache: `{{cspNonce}}`; `{{…}}` marks a templated block or URL.
        public static let mustache = Syntax(nonceExpression: "{{cspNonce}}", expressionDelimiters: ("{{", "}}"), templatedMarkers: ["{{"])
    }

    /// A template with its nonces stamped, and the hashes of its static inline blocks.
    public struct Prepared: Sendable, Hashable {
        /// The template's text with `nonce` attributes added (and hash announcements, if the
        /// syntax has them).
        public var source: String
        /// The hashes of the template's own static inline blocks.
        public var hashes: CSPInlineHashes
    }

    /// Stamps nonces and hashes static inline blocks.
    /// - Parameters:
    ///   - source: The template's text.
    ///   - name: The template's name, for errors.
    ///   - syntax: The engine's syntax.
    /// - Throws: ``TemplateSecurityError`` (`nonceMismatch`, with the line) for a tag whose
    ///   `nonce` is not the syntax's nonce expression.
    public static func prepare(_ source: String, name: String, syntax: Syntax) throws(TemplateSecurityError) -> Prepared {
        let bytes = Array(source.utf8)
        let reader = Reader(syntax: syntax)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var hashes = CSPInlineHashes()
        var i = 0
        func line(_ at: Int) -> Int { 1 + bytes[..<min(at, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
        /// Copies a text-only element's content up to its end tag (or to the end of the
        /// template), and returns where the end tag starts: the HTML parser reads no tag in that
        /// content, so nothing in it is stamped or hashed, and a hashed block keeps its text.
        func copyText(of tagName: String, from start: Int) -> Int {
            let close = endTag(bytes, tagName, from: start) ?? bytes.count
            out += bytes[start..<close]
            return close
        }
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
            let isCode = tagName == "script" || tagName == "style" || tagName == "link"
            guard isCode || textOnlyElements.contains(tagName) || tagName == "plaintext", nameEnd < bytes.count,
                bytes[nameEnd] == 0x20 || bytes[nameEnd] == 0x09 || bytes[nameEnd] == 0x0A || bytes[nameEnd] == 0x0D
                    || bytes[nameEnd] == UInt8(ascii: ">") || bytes[nameEnd] == UInt8(ascii: "/")
            else {
                out += bytes[i..<nameEnd]
                i = nameEnd
                continue
            }
            guard let tagEnd = reader.endOfStartTag(bytes, from: nameEnd) else {
                out += bytes[i...]
                break
            }
            // Everything after <plaintext> is text, even what looks like its end tag.
            if tagName == "plaintext" {
                out += bytes[i...]
                break
            }
            if !isCode {
                out += bytes[i...tagEnd]
                i = copyText(of: tagName, from: tagEnd + 1)
                continue
            }
            let attributes = reader.attributes(bytes[nameEnd..<tagEnd])
            if let nonce = attributes["nonce"] {
                guard nonce == syntax.nonceExpression else {
                    throw TemplateSecurityError(
                        template: name,
                        line: line(i),
                        tag: "<\(tagName)>",
                        reason: "nonceMismatch",
                        message: "has a nonce other than \(syntax.nonceExpression); leave it out and Rampart adds the request's nonce"
                    )
                }
                out += bytes[i...tagEnd]
                i = tagName == "link" ? tagEnd + 1 : copyText(of: tagName, from: tagEnd + 1)
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
                stamp = loadsCode && !reader.isOwnSiteURL(attributes["href"])
            default:
                if tagName == "script", attributes["src"] != nil {
                    stamp = !reader.isOwnSiteURL(attributes["src"])
                } else {
                    guard let close = endTag(bytes, tagName, from: tagEnd + 1) else {
                        stamp = true
                        break
                    }
                    let content = bytes[(tagEnd + 1)..<close]
                    if reader.isTemplated(content) {
                        stamp = true
                    } else {
                        blockHash = (tagName == "script", normalisedNewlines(content))
                    }
                }
            }
            if let blockHash, let announce = syntax.hashAnnouncement {
                // Before any backslashes right before the tag: a backslash escapes the tag
                // character of some engines (Leaf's `\#`).
                var at = out.endIndex
                while at > out.startIndex, out[at - 1] == UInt8(ascii: "\\") { at -= 1 }
                out.insert(contentsOf: Array(announce(blockHash.isScript, CSPSource.hash(of: blockHash.text)).utf8), at: at)
            }
            out += bytes[i..<nameEnd]
            if stamp { out += Array(" nonce=\"\(syntax.nonceExpression)\"".utf8) }
            out += bytes[nameEnd...tagEnd]
            if let blockHash {
                if blockHash.isScript { hashes.addScript(blockHash.text) } else { hashes.addStyle(blockHash.text) }
            }
            i = tagName == "link" ? tagEnd + 1 : copyText(of: tagName, from: tagEnd + 1)
        }
        return Prepared(source: String(decoding: out, as: UTF8.self), hashes: hashes)
    }

    /// Elements whose content the HTML parser reads as text, never as tags (raw text and
    /// escapable raw text): a `<script>` written inside `<textarea>` or `<title>` is text, and
    /// `<script>` or `<link>` written inside a script or a style block is part of its code.
    /// `<noscript>` is not among them: without scripting, its content is parsed and loads.
    ///
    /// See [HTML: elements, kinds](https://html.spec.whatwg.org/multipage/syntax.html#elements-2)
    /// and [the tree builder's raw text rules](https://html.spec.whatwg.org/multipage/parsing.html#parsing-main-inbody).
    static let textOnlyElements: Set<String> = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"]

    /// The index of the first end tag `</name` (any case) at or after `start` that the HTML
    /// tokenizer ends a text-only element with: followed by whitespace, `/`, `>` or the end.
    static func endTag(_ bytes: [UInt8], _ name: String, from start: Int) -> Int? {
        var from = start
        while let at = findCaseInsensitive(bytes, "</" + name, from: from) {
            let next = at + 2 + name.utf8.count
            if next == bytes.count || [0x20, 0x09, 0x0A, 0x0C, 0x0D, UInt8(ascii: "/"), UInt8(ascii: ">")].contains(bytes[next]) { return at }
            from = at + 1
        }
        return nil
    }

    /// Reads start tags and URLs with one engine's syntax.
    struct Reader {
        let syntax: Syntax

        func isTemplated(_ bytes: some Collection<UInt8>) -> Bool {
            let array = Array(bytes)
            return syntax.templatedMarkers.contains { CSPInlineCode.find(array, $0, from: 0) != nil }
        }

        /// A URL this site serves: relative (`/x`, `x`, `./x`, `?q`), not scheme-relative
        /// (`//host`) and not absolute, with no template syntax in it.
        func isOwnSiteURL(_ url: String?) -> Bool {
            guard let url, !url.isEmpty, !isTemplated(url.utf8) else { return false }
            if url.hasPrefix("//") || url.hasPrefix("\\") || url.hasPrefix("/\\") { return false }
            if let colon = url.firstIndex(of: ":") {
                let before = url[..<colon]
                if !before.contains("/") && !before.contains("?") && !before.contains("#") { return false }
            }
            return true
        }

        /// The index just past an expression starting at `index`, if one starts there.
        func skipExpression(_ bytes: [UInt8], at index: Int) -> Int? {
            guard let (open, close) = syntax.expressionDelimiters, CSPInlineCode.starts(bytes, at: index, with: open) else { return nil }
            return CSPInlineCode.find(bytes, close, from: index + open.utf8.count).map { $0 + close.utf8.count } ?? bytes.count
        }

        /// The index of the `>` that ends a start tag, skipping quoted values and expressions.
        func endOfStartTag(_ bytes: [UInt8], from start: Int) -> Int? {
            var index = start
            var quote: UInt8?
            while index < bytes.count {
                if let past = skipExpression(bytes, at: index) {
                    index = past
                    continue
                }
                let byte = bytes[index]
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
        func attributes(_ text: ArraySlice<UInt8>) -> [String: String] {
            let bytes = Array(text)
            var attributes: [String: String] = [:]
            var index = 0
            func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }
            while index < bytes.count {
                while index < bytes.count, isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "/") { index += 1 }
                if let past = skipExpression(bytes, at: index) {
                    index = past
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
                let name = String(decoding: bytes[nameStart..<index].map(CSPInlineCode.lower), as: UTF8.self)
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

    /// The first index at or after `start` where `text`'s bytes occur in `bytes`.
    package static func find(_ bytes: [UInt8], _ text: String, from start: Int) -> Int? {
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
}
