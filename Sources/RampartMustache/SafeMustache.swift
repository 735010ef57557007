import Logging
import Mustache
import Rampart
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Mustache templates that escape safely and refuse dangerous contexts at load time, for any
/// HTTP framework (Hummingbird's `SafeTemplates` and the board on Vapor both render through it).
///
/// swift-mustache escapes by walking `Character`s, so `"` followed by a combining mark passes
/// through raw and can break out of an attribute. Every template loaded here instead:
/// - renders every `{{variable}}` through `HTML.escape(_:)` (UTF-8 bytes), by a registered
///   content type set at the top of each template and partial;
/// - is checked by `TemplateContextCheck`: a variable inside `<script>`, `<style>`, an `on*` or
///   `style` attribute, an unquoted attribute value, a comment or a bare tag is a load error naming
///   the template, the line and the reason; a variable at the start of a URL attribute renders
///   through `SafeURL`;
/// - renders `Markup` values as they are, in `{{x}}` or `{{{x}}}`; any other value in a
///   triple mustache is escaped like `{{x}}`. Mark trusted HTML by passing a `Markup`;
/// - gets `cspNonce`, `csrfField` and `csrfMeta` from the caller's ``RequestValues``;
/// - can keep a page's rendering for reuse (``render(_:_:request:cacheKey:)``): the template
///   work is done once per distinct content, and each response only gets its own nonce and
///   fresh masked CSRF tokens filled into the kept text.
///
/// See [OWASP XSS Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html)
/// and [swift-mustache](https://github.com/hummingbird-project/swift-mustache).
public struct SafeMustache: Sendable {
    let library: MustacheLibrary
    let inlineHashes: [String: CSPInlineHashes]
    /// Pages kept by ``render(_:_:request:cacheKey:)``.
    let renderings = RenderingCache(capacity: 1024)

    static let htmlType = "RAMPART_HTML"
    static let urlType = "RAMPART_URL"
    static let markers = TemplateContextCheck.Markers(enterURL: "{{% CONTENT_TYPE: \(urlType)}}", leaveURL: "{{% CONTENT_TYPE: \(htmlType)}}")

    /// What a page gets from its request: the CSP nonce and the CSRF helpers (each `nil` when
    /// the request has none, and the template's `cspNonce`, `csrfField` and `csrfMeta` are then
    /// empty).
    ///
    /// See [MDN: CSP nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce).
    public struct RequestValues: Sendable {
        private let fixedNonce: CSPNonce?
        private let lazyNonce: LazyCSPNonce?
        /// The request's CSP nonce. With a `LazyCSPNonce`, reading it draws the nonce: the
        /// engine reads it only when the template stamps `{{cspNonce}}`.
        public var nonce: CSPNonce? { fixedNonce ?? lazyNonce?.nonce }
        /// The request's CSRF helpers, when CSRF protection runs on it.
        public var csrf: CSRFHelpers?

        /// Creates the values for one request.
        public init(nonce: CSPNonce?, csrf: CSRFHelpers?) {
            self.fixedNonce = nonce
            self.lazyNonce = nil
            self.csrf = csrf
        }

        /// Adds the rendered template's inline-block hashes to the response's CSP (with a
        /// `LazyCSPNonce`; a fixed nonce has nowhere to carry them, and the blocks then need
        /// `nonce` attributes of their own).
        func allow(_ hashes: CSPInlineHashes) { lazyNonce?.allow(hashes) }

        /// Creates the values for one request whose nonce is drawn only if the template uses it.
        public init(lazyNonce: LazyCSPNonce?, csrf: CSRFHelpers?) {
            self.fixedNonce = nil
            self.lazyNonce = lazyNonce
            self.csrf = csrf
        }
    }

    /// `{{cspNonce}}`'s value: the nonce is read (and drawn) only when a template renders it.
    struct NonceText: CustomStringConvertible {
        let request: RequestValues
        var description: String { request.nonce?.value ?? "" }
    }

    /// Checks and loads templates given as text, by name (partials are referenced by name).
    /// - Throws: `TemplateSecurityError` for a dangerous context, or the parser's error.
    public init(templates: [String: String]) throws {
        Self.registerContentTypes()
        var library = MustacheLibrary()
        var own: [String: CSPInlineHashes] = [:]
        var partials: [String: [String]] = [:]
        for (name, source) in templates.sorted(by: { $0.key < $1.key }) {
            let prepared = try CSPInlineCode.prepare(source, name: name, syntax: .mustache)
            own[name] = prepared.hashes
            partials[name] = MustachePartials.names(in: source)
            let checked = try TemplateContextCheck.check(prepared.source, name: name, markers: Self.markers)
            try library.register("{{% CONTENT_TYPE: \(Self.htmlType)}}" + checked, named: name)
        }
        self.library = library
        // Each template's hashes with those of every partial it includes, transitively.
        var hashes: [String: CSPInlineHashes] = [:]
        for name in templates.keys {
            var all = CSPInlineHashes()
            var seen: Set<String> = []
            var queue = [name]
            while let next = queue.popLast() {
                guard seen.insert(next).inserted else { continue }
                if let found = own[next] { all.formUnion(found) }
                queue += partials[next] ?? []
            }
            if !all.isEmpty { hashes[name] = all }
        }
        self.inlineHashes = hashes
    }

    /// The hashes of the static inline blocks a template (with its partials) renders, for the
    /// response's CSP; `nil` when it has none. Rendering with a request adds them to its
    /// `LazyCSPNonce`.
    public func inlineHashes(of name: String) -> CSPInlineHashes? { inlineHashes[name] }

    /// Checks and loads every `*.mustache` file under a folder (recursively; `partials/footer`).
    public init(directory: String, fileExtension: String = "mustache") async throws {
        var sources: [String: String] = [:]
        for (name, path) in try TemplateFiles.list(directory: directory, fileExtension: fileExtension) {
            sources[name] = try TemplateFiles.read(path)
        }
        try self.init(templates: sources)
    }

    /// Renders a template with `values`, plus `cspNonce`, `csrfField` and `csrfMeta` for the
    /// request; `nil` for an unknown template name.
    public func render(_ name: String, _ values: [String: any Sendable], request: RequestValues) -> String? {
        if let hashes = inlineHashes[name] { request.allow(hashes) }
        var data: [String: Any] = values
        data["cspNonce"] = NonceText(request: request)
        if let csrf = request.csrf {
            data["csrfField"] = csrf.hiddenField()
            data["csrfMeta"] = csrf.metaTag()
        }
        return library.render(TemplateValues(data), withTemplate: name)
    }

    /// Renders like ``render(_:_:request:)``, keeping the result for the next request with the
    /// same `cacheKey`: the template runs once, and each response gets the kept text with its
    /// own `cspNonce` and fresh masked tokens in `csrfField` and `csrfMeta` filled in (no two
    /// responses share a token or a nonce); `nil` for an unknown template name.
    ///
    /// **`cacheKey` must change whenever anything in `values` changes**: the user it shows, any
    /// message, the data listed. Two requests with one key get the same page apart from the
    /// per-request values. Keep request-specific secrets out of `values` (use `csrfField`,
    /// `csrfMeta` and `cspNonce`, which are filled in per response). At most 1,024 pages are
    /// kept; past that the cache starts over.
    public func render(_ name: String, _ values: [String: any Sendable], request: RequestValues, cacheKey: String) -> String? {
        if let hashes = inlineHashes[name] { request.allow(hashes) }
        let key = name + "\u{0}" + cacheKey
        let kept: KeptRendering
        if let found = renderings.lookup(key) {
            kept = found
        } else {
            var data: [String: Any] = values
            data["cspNonce"] = KeptRendering.Slot.nonce.markup
            data["csrfField"] = KeptRendering.Slot.csrfField.markup
            data["csrfMeta"] = KeptRendering.Slot.csrfMeta.markup
            guard let html = library.render(TemplateValues(data), withTemplate: name) else { return nil }
            kept = KeptRendering(html)
            renderings.insert(key, kept)
        }
        return kept.fill { slot in
            switch slot {
            case .nonce: request.nonce?.value ?? ""
            case .csrfField: request.csrf?.hiddenField().html ?? ""
            case .csrfMeta: request.csrf?.metaTag().html ?? ""
            }
        }
    }

    /// Renders without a request (tests, e-mails, error pages); no nonce or CSRF values are
    /// added. `nil` for an unknown template name.
    public func render(_ name: String, _ values: [String: any Sendable]) -> String? {
        library.render(TemplateValues(values), withTemplate: name)
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

/// A rendered page kept for reuse: its text split around the per-request slots.
///
/// A slot is written into the page as private-use characters around the per-process random
/// key of ``MarkupSentinel`` and the slot's number; untrusted text can never contain them,
/// because the escaper removes U+E000 to U+E007 from it.
struct KeptRendering: Sendable {
    enum Slot: UInt8, Sendable {
        case nonce = 0x30
        case csrfField = 0x31
        case csrfMeta = 0x32

        var marker: String { "\u{E004}" + MarkupSentinel.key + String(UnicodeScalar(rawValue)) + "\u{E005}" }
        var markup: Markup { Markup(unsafeRaw: marker) }
    }

    let segments: [[UInt8]]
    let slots: [Slot]

    /// The bytes this rendering holds.
    var byteCount: Int { segments.reduce(0) { $0 + $1.count } + slots.count }

    init(_ html: String) {
        var segments: [[UInt8]] = []
        var slots: [Slot] = []
        let bytes = Array(html.utf8)
        let prefix = Array(("\u{E004}" + MarkupSentinel.key).utf8)
        let suffix = Array("\u{E005}".utf8)
        var start = 0
        var i = 0
        while i < bytes.count {
            if bytes[i] == MarkupSentinel.markerLead, bytes[i...].starts(with: prefix), i + prefix.count + 1 + suffix.count <= bytes.count,
                let slot = Slot(rawValue: bytes[i + prefix.count]), bytes[(i + prefix.count + 1)...].starts(with: suffix)
            {
                segments.append(Array(bytes[start..<i]))
                slots.append(slot)
                i += prefix.count + 1 + suffix.count
                start = i
            } else {
                i += 1
            }
        }
        segments.append(Array(bytes[start...]))
        self.segments = segments
        self.slots = slots
    }

    /// The page with each slot's value for this response.
    func fill(_ value: (Slot) -> String) -> String {
        var values = slots.map(value)
        let length = segments.reduce(0) { $0 + $1.count } + values.reduce(0) { $0 + $1.utf8.count }
        return String(unsafeUninitializedCapacity: length) { out in
            var o = 0
            func put(_ bytes: UnsafeRawBufferPointer) {
                UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[o...])).copyMemory(from: bytes)
                o += bytes.count
            }
            for (index, segment) in segments.enumerated() {
                segment.withUnsafeBytes(put)
                if index < values.count { values[index].withUTF8 { put(UnsafeRawBufferPointer($0)) } }
            }
            return o
        }
    }
}

/// Kept renderings by page and key, bounded by count and by bytes (keys whose content changed,
/// such as a home page after each new comment, are dead weight until dropped): when either bound
/// is reached the cache starts over, so its memory never passes `byteLimit` plus one page.
final class RenderingCache: Sendable {
    let capacity: Int
    let byteLimit: Int
    private struct State {
        var pages: [String: KeptRendering] = [:]
        var bytes = 0
    }
    private let state = Mutex(State())

    init(capacity: Int, byteLimit: Int = 4 << 20) {
        self.capacity = capacity
        self.byteLimit = byteLimit
    }

    func lookup(_ key: String) -> KeptRendering? { state.withLock { $0.pages[key] } }

    func insert(_ key: String, _ page: KeptRendering) {
        let size = page.byteCount + key.utf8.count
        state.withLock { state in
            if state.pages.count >= capacity || state.bytes + size > byteLimit {
                state.pages.removeAll(keepingCapacity: false)
                state.bytes = 0
            }
            if let old = state.pages.updateValue(page, forKey: key) { state.bytes -= old.byteCount + key.utf8.count }
            state.bytes += size
        }
    }

    /// Bytes held, for tests.
    var byteCount: Int { state.withLock { $0.bytes } }
}

/// A page's top-level values. swift-mustache finds a name by casting each object on its context
/// stack to `MustacheParent`; for a `Dictionary` that is a conditional conformance, resolved at
/// run time on every lookup, and for this class a cached one.
final class TemplateValues: MustacheParent {
    let values: [String: Any]
    init(_ values: [String: Any]) { self.values = values }
    func child(named name: String) -> Any? { values[name] }
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
    /// U+E000 to U+E007 (spans and slots) are `EE 80 80` to `EE 80 87` in UTF-8; ordinary text
    /// rarely holds `EE`.
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

    /// The text without U+E000 to U+E007, so stray span or slot markers can never pair up later.
    static func removeMarkerCharacters(_ text: Substring) -> String {
        guard text.utf8.contains(markerLead) else { return String(text) }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter { !(0xE000...0xE007).contains($0.value) }))
    }

    static func strip(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.contains(markerLead) else { return String(decoding: bytes, as: UTF8.self) }
            var out = ""
            var rest = bytes[...]
            while let marker = [firstRange(of: openBytes, in: rest), firstRange(of: closeBytes, in: rest)].compactMap({ $0 }).min(by: {
                $0.lowerBound < $1.lowerBound
            }) {
                out += removeMarkerCharacters(rest[..<marker.lowerBound])
                rest = rest[marker.upperBound...]
            }
            return out + removeMarkerCharacters(rest)
        }
    }

    /// The text without U+E000 to U+E007, so stray span or slot markers can never pair up later.
    static func removeMarkerCharacters(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        guard bytes.contains(markerLead) else { return String(decoding: bytes, as: UTF8.self) }
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == markerLead, i + 2 < bytes.endIndex, bytes[i + 1] == 0x80, (0x80...0x87).contains(bytes[i + 2]) {
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
