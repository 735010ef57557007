#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird
import Logging
import Mustache
import Rampart

/// Mustache templates that escape safely and refuse dangerous contexts at load time.
///
/// swift-mustache escapes by walking `Character`s, so `"` followed by a combining mark passes
/// through raw and can break out of an attribute. Every template loaded here instead:
/// - renders every `{{variable}}` through ``HTML/escape(_:)`` (UTF-8 bytes), by a registered
///   content type set at the top of each template and partial;
/// - is checked by ``TemplateContextCheck``: a variable inside `<script>`, `<style>`, an `on*` or
///   `style` attribute, an unquoted attribute value, a comment or a bare tag is a load error naming
///   the template, the line and the reason; a variable at the start of a URL attribute renders
///   through ``SafeURL``;
/// - renders ``Markup`` values as they are, in `{{x}}` or `{{{x}}}`; any other value in a
///   triple mustache is escaped like `{{x}}`. Mark trusted HTML by passing a `Markup`.
/// - gets `cspNonce`, `csrfField` and `csrfMeta` with no work in the handler.
///
/// See [OWASP XSS Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html)
/// and [swift-mustache](https://github.com/hummingbird-project/swift-mustache).
public struct SafeTemplates: Sendable {
    let library: MustacheLibrary

    static let htmlType = "RAMPART_HTML"
    static let urlType = "RAMPART_URL"
    static let markers = TemplateContextCheck.Markers(enterURL: "{{% CONTENT_TYPE: \(urlType)}}", leaveURL: "{{% CONTENT_TYPE: \(htmlType)}}")

    /// Checks and loads templates given as text, by name (partials are referenced by name).
    /// - Throws: ``TemplateSecurityError`` for a dangerous context, or the parser's error.
    public init(templates: [String: String]) throws {
        Self.registerContentTypes()
        var library = MustacheLibrary()
        for (name, source) in templates.sorted(by: { $0.key < $1.key }) {
            let checked = try TemplateContextCheck.check(source, name: name, markers: Self.markers)
            try library.register("{{% CONTENT_TYPE: \(Self.htmlType)}}" + checked, named: name)
        }
        self.library = library
    }

    /// Checks and loads every `*.mustache` file under a folder (recursively; `partials/footer`).
    public init(directory: String, fileExtension: String = "mustache") async throws {
        var sources: [String: String] = [:]
        for (name, path) in try TemplateFiles.list(directory: directory, fileExtension: fileExtension) {
            sources[name] = try TemplateFiles.read(path)
        }
        try self.init(templates: sources)
    }

    /// Renders a template with `values`, plus `cspNonce`, `csrfField` and `csrfMeta` for the request.
    /// - Throws: `HTTPError(.internalServerError)` for an unknown template name, never an empty page.
    public func render(_ name: String, _ values: [String: any Sendable], context: some RampartRequestContext) throws -> HTMLResponse {
        var data: [String: Any] = values
        if let nonce = context.security.cspNonce { data["cspNonce"] = nonce.value }
        if context.security.csrfState != nil {
            data["csrfField"] = context.csrf.hiddenField()
            data["csrfMeta"] = context.csrf.metaTag()
        }
        guard let html = library.render(data, withTemplate: name) else {
            context.logger.error("Rampart template not found", metadata: ["rampart.template": .string(name)])
            throw HTTPError(.internalServerError)
        }
        return HTMLResponse(html: html)
    }

    /// Renders without a request (tests, e-mails); no nonce or CSRF values are added.
    public func render(_ name: String, _ values: [String: any Sendable]) -> String? {
        library.render(values as [String: Any], withTemplate: name)
    }

    static func registerContentTypes() {
        MustacheContentTypes.register(HTMLEscaping(), named: htmlType)
        MustacheContentTypes.register(URLEscaping(), named: urlType)
    }

    /// Escapes text with Rampart's byte escaper, letting ``Markup`` through.
    struct HTMLEscaping: MustacheContentType {
        func escapeText(_ text: String) -> String {
            MarkupSentinel.render(text) { HTML.escape($0) }
        }
    }

    /// Filters through ``SafeURL``, then escapes for the attribute.
    struct URLEscaping: MustacheContentType {
        func escapeText(_ text: String) -> String {
            HTML.escape(SafeURL(MarkupSentinel.strip(text)).value)
        }
    }
}

/// How `Markup` crosses swift-mustache, whose escaping hook sees only text: a `Markup` value
/// renders wrapped in private-use characters and a per-process random key, and the escaper passes exactly
/// those spans through. Input cannot forge a span without the 128-bit key, and stray
/// marker characters are removed from escaped text.
enum MarkupSentinel {
    static let key = SecureRandom.bytes(16).map { String($0, radix: 16) }.joined()
    static let open = "\u{E000}" + key + "\u{E001}"
    static let close = "\u{E002}" + key + "\u{E003}"
    static let openBytes = Array(open.utf8)
    static let closeBytes = Array(close.utf8)
    /// U+E000 to U+E003 are `EE 80 80` to `EE 80 83` in UTF-8; ordinary text rarely holds `EE`.
    static let markerLead: UInt8 = 0xEE

    static func wrap(_ html: String) -> String { open + html + close }

    /// Escapes `text` except the spans wrapped by ``wrap(_:)``, which pass through as they are.
    /// Works on the UTF-8 bytes: a page's worth of trusted markup is one scan, not a search by
    /// `Character`.
    static func render(_ text: String, escape: (String) -> String) -> String {
        var text = text
        // Find the trusted spans as byte ranges, then copy them out of the string as substrings
        // (no second UTF-8 validation of a page's worth of markup).
        let spans: [(plain: Range<Int>, trusted: Range<Int>?)]? = text.withUTF8 { bytes in
            guard bytes.contains(markerLead) else { return nil }
            var spans: [(plain: Range<Int>, trusted: Range<Int>?)] = []
            var rest = bytes[...]
            while let start = firstRange(of: openBytes, in: rest) {
                let afterOpen = rest[start.upperBound...]
                guard let end = firstRange(of: closeBytes, in: afterOpen) else {
                    spans.append((rest.startIndex..<start.lowerBound, nil))
                    rest = afterOpen
                    break
                }
                spans.append((rest.startIndex..<start.lowerBound, afterOpen.startIndex..<end.lowerBound))
                rest = afterOpen[end.upperBound...]
            }
            spans.append((rest.startIndex..<rest.endIndex, nil))
            return spans
        }
        guard let spans else { return escape(text) }
        let utf8 = text.utf8
        func piece(_ range: Range<Int>) -> Substring {
            Substring(utf8[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)])
        }
        var out = ""
        for span in spans {
            if !span.plain.isEmpty { out += escape(removeMarkerCharacters(piece(span.plain))) }
            if let trusted = span.trusted { out += piece(trusted) }
        }
        return out
    }

    /// The text without U+E000 to U+E003, so stray markers can never pair up later.
    static func removeMarkerCharacters(_ text: Substring) -> String {
        guard text.utf8.contains(markerLead) else { return String(text) }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter { !(0xE000...0xE003).contains($0.value) }))
    }

    static func strip(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.contains(markerLead) else { return String(decoding: bytes, as: UTF8.self) }
            var out = ""
            var rest = bytes[...]
            while let marker = [firstRange(of: openBytes, in: rest), firstRange(of: closeBytes, in: rest)].compactMap({ $0 }).min(by: { $0.lowerBound < $1.lowerBound }) {
                out += removeMarkerCharacters(rest[..<marker.lowerBound])
                rest = rest[marker.upperBound...]
            }
            return out + removeMarkerCharacters(rest)
        }
    }

    /// The text without U+E000 to U+E003, so stray markers can never pair up later.
    static func removeMarkerCharacters(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        guard bytes.contains(markerLead) else { return String(decoding: bytes, as: UTF8.self) }
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == markerLead, i + 2 < bytes.endIndex, bytes[i + 1] == 0x80, (0x80...0x83).contains(bytes[i + 2]) {
                i += 3
                continue
            }
            kept.append(bytes[i])
            i += 1
        }
        return String(decoding: kept, as: UTF8.self)
    }

    static func firstRange(of needle: [UInt8], in haystack: Slice<UnsafeBufferPointer<UInt8>>) -> Range<Int>? {
        guard let first = needle.first, haystack.count >= needle.count, let base = haystack.base.baseAddress else { return nil }
        var i = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while i <= last {
            // memchr finds the marker's lead byte, which ordinary text rarely holds.
            guard let hit = memchr(base + i, Int32(first), last - i + 1) else { return nil }
            i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }
}

extension Markup: MustacheCustomRenderable {
    public var renderText: String { MarkupSentinel.wrap(html) }
    public var isNull: Bool { false }
}
