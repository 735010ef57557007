import Hummingbird
import Logging
import Rampart
import RampartMustache

/// Mustache templates that escape safely and refuse dangerous contexts at load time, with the
/// request's nonce and CSRF tokens filled in from a Hummingbird request context.
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
///   triple mustache is escaped like `{{x}}`. Mark trusted HTML by passing a `Markup`.
/// - gets `cspNonce`, `csrfField` and `csrfMeta` with no work in the handler;
/// - can keep a page's rendering for reuse (``render(_:_:context:cacheKey:)``): the template work
///   is done once per distinct content, and each response only gets its own nonce and fresh
///   masked CSRF tokens filled into the kept text.
///
/// The engine is `SafeMustache` (module `RampartMustache`, no HTTP framework), which this type
/// feeds from the request context.
///
/// See [OWASP XSS Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html)
/// and [swift-mustache](https://github.com/hummingbird-project/swift-mustache).
public struct SafeTemplates: Sendable {
    /// The framework-free engine these templates render with.
    public let engine: SafeMustache

    /// Checks and loads templates given as text, by name (partials are referenced by name).
    /// - Throws: `TemplateSecurityError` for a dangerous context, or the parser's error.
    public init(templates: [String: String]) throws {
        engine = try SafeMustache(templates: templates)
    }

    /// Checks and loads every `*.mustache` file under a folder (recursively; `partials/footer`).
    public init(directory: String, fileExtension: String = "mustache") async throws {
        engine = try await SafeMustache(directory: directory, fileExtension: fileExtension)
    }

    /// Wraps an engine already loaded.
    public init(engine: SafeMustache) {
        self.engine = engine
    }

    /// Renders a template with `values`, plus `cspNonce`, `csrfField` and `csrfMeta` for the request.
    /// - Throws: `HTTPError(.internalServerError)` for an unknown template name, never an empty page.
    public func render(_ name: String, _ values: [String: any Sendable], context: some RampartRequestContext) throws -> HTMLResponse {
        guard let html = engine.render(name, values, request: Self.requestValues(context)) else {
            context.logger.error("Rampart template not found", metadata: ["rampart.template": .string(name)])
            throw HTTPError(.internalServerError)
        }
        return HTMLResponse(html: html)
    }

    /// Renders like ``render(_:_:context:)``, keeping the result for the next request with the
    /// same `cacheKey`: the template runs once, and each response gets the kept text with its
    /// own `cspNonce` and fresh masked tokens in `csrfField` and `csrfMeta` filled in (no two
    /// responses share a token or a nonce).
    ///
    /// **`cacheKey` must change whenever anything in `values` changes**: the user it shows, any
    /// message, the data listed. Two requests with one key get the same page apart from the
    /// per-request values. Keep request-specific secrets out of `values` (use `csrfField`,
    /// `csrfMeta` and `cspNonce`, which are filled in per response). At most 1,024 pages are
    /// kept; past that the cache starts over.
    /// - Throws: `HTTPError(.internalServerError)` for an unknown template name.
    public func render(_ name: String, _ values: [String: any Sendable], context: some RampartRequestContext, cacheKey: String) throws -> HTMLResponse
    {
        guard let html = engine.render(name, values, request: Self.requestValues(context), cacheKey: cacheKey) else {
            context.logger.error("Rampart template not found", metadata: ["rampart.template": .string(name)])
            throw HTTPError(.internalServerError)
        }
        return HTMLResponse(html: html)
    }

    /// Renders without a request (tests, e-mails); no nonce or CSRF values are added.
    public func render(_ name: String, _ values: [String: any Sendable]) -> String? {
        engine.render(name, values)
    }

    /// What a page rendered for this request gets: its CSP nonce, and its CSRF helpers when
    /// ``CSRFMiddleware`` ran on it (else `nil`, and no misuse is reported).
    public static func requestValues(_ context: some RampartRequestContext) -> SafeMustache.RequestValues {
        SafeMustache.RequestValues(lazyNonce: context.security.lazyNonce, csrf: context.security.csrfState != nil ? context.csrf : nil)
    }
}
