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

    static func wrap(_ html: String) -> String { open + html + close }

    static func render(_ text: String, escape: (String) -> String) -> String {
        guard text.contains("\u{E000}") else { return escape(text) }
        var out = ""
        var rest = Substring(text)
        while let start = rest.firstRange(of: open) {
            out += escape(removeMarkerCharacters(rest[..<start.lowerBound]))
            let afterOpen = rest[start.upperBound...]
            guard let end = afterOpen.firstRange(of: close) else {
                rest = afterOpen
                break
            }
            out += afterOpen[..<end.lowerBound]
            rest = afterOpen[end.upperBound...]
        }
        return out + escape(removeMarkerCharacters(rest))
    }

    static func strip(_ text: String) -> String {
        removeMarkerCharacters(Substring(text.replacing(open, with: "").replacing(close, with: "")))
    }

    static func removeMarkerCharacters(_ text: Substring) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { !(0xE000...0xE003).contains($0.value) }))
    }
}

extension Markup: MustacheCustomRenderable {
    public var renderText: String { MarkupSentinel.wrap(html) }
    public var isNull: Bool { false }
}
