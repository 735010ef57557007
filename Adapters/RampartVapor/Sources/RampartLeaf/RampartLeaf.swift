import Foundation
import Leaf
public import LeafKit
import NIOCore
import Rampart
import RampartVapor
public import Vapor

/// Leaf templates with Rampart's output safety: every `#(…)` escapes through Rampart's byte
/// escaper, URL attributes filter through `SafeURL`, `#cspNonce()` and `#csrfField()` come
/// from the request, and a template with output where escaping cannot make it safe is refused
/// when the app starts.
///
/// ```swift
/// try await RampartVapor.install(on: app, .defaults(allowedHosts: ["example.com"]))
/// try RampartLeaf.install(on: app)
/// app.get { req in try await req.view.render("index", ["name": "<b>"]) }
/// ```
///
/// What it does to a Leaf app:
/// - **Load-time check.** Every `.leaf` file under the views directory is checked by
///   `TemplateContextCheck.checkLeaf(_:name:rules:)` when the app boots, so a refused template
///   stops the app from starting, with its file, line and reason, instead of failing a request.
///   Each template LeafKit loads is checked again (a file added later, or the boot check turned
///   off): a refused one fails the render and is logged at `error` with its reason, since
///   LeafKit reports any failed load as "No template found".
///   Refused: output in `<script>`, `<style>`, `on*`/`style`/`srcdoc` attributes, unquoted
///   attributes, comments and tags; `#extend`/`#import` and markup tags outside HTML text;
///   `#unsafeHTML` (unless ``Options/dangerouslyAllowUnsafeHTML``).
/// - **Escaping.** `#(x)` is rewritten to `#rampartText(x)`, which escapes on UTF-8 bytes
///   (`HTML.escape`), not LeafKit's scalar-by-scalar `+=`. A string literal `#("<b>")`, which
///   stock Leaf prints as it is, is escaped too: the check cannot see markup inside it.
/// - **URLs.** An output at the start of `href`, `src`, `action` and the other URL attributes is
///   wrapped in `#rampartURL(…)`: `javascript:` and other schemes become `about:invalid#rampart`.
/// - **Nonces and hashes without hand work** (`CSPInlineCode`, as SafeMustache does). A static
///   inline `<script>` or `<style>` block (no `src`, no `#` or `\` inside) is hashed at load and
///   its `'sha256-…'` goes into the CSP of each response that renders it, so it runs without a
///   nonce and the page may be cached. Every other `<script>` and `<style>`, and a
///   `<link rel="stylesheet">` or code preload from another site, gets `nonce="#cspNonce()"`.
///   A `nonce` other than `#cspNonce()` is refused at load (`nonceMismatch`).
/// - **Tags.** `#cspNonce()` is this request's nonce; `#csrfField()` is the hidden `_csrf`
///   field, and `#csrfField("action")` a one-time token's field; `#csrfMeta()` is
///   `<meta name="csrf-token">`.
///
/// Leaf's tag indicator must stay `#` (the default); the check reads templates with it.
///
/// See [Leaf](https://docs.vapor.codes/leaf/overview/),
/// [OWASP XSS Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html)
/// and [MDN: nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce).
public enum RampartLeaf {
    /// Settings for ``install(on:_:)``.
    public struct Options: Sendable {
        /// Allow `#unsafeHTML(x)`, which writes template data into the page as markup. Off: it
        /// is refused at load. Prefer a tag of your own that builds `Markup`.
        public var dangerouslyAllowUnsafeHTML: Bool
        /// Check every `.leaf` file under the views directory when the app boots (default on).
        public var checkAllTemplatesAtBoot: Bool

        public init(dangerouslyAllowUnsafeHTML: Bool = false, checkAllTemplatesAtBoot: Bool = true) {
            self.dangerouslyAllowUnsafeHTML = dangerouslyAllowUnsafeHTML
            self.checkAllTemplatesAtBoot = checkAllTemplatesAtBoot
        }
    }

    /// The names of the tags this integration adds.
    public static let textTag = "rampartText"
    /// The tag that filters URL attribute values.
    public static let urlTag = "rampartURL"
    /// The tag put before each static inline block, which allows its hash in the response's CSP.
    public static let inlineHashTag = "rampartInlineHash"

    /// How `CSPInlineCode` reads and stamps Leaf templates: the nonce is `#cspNonce()`; a block
    /// or URL with `#` (a tag) or `\` (an escape) in it is templated, so it gets a nonce, never
    /// a hash; each hashed block is announced with ``inlineHashTag``.
    public static let inlineCodeSyntax = CSPInlineCode.Syntax(
        nonceExpression: "#cspNonce()",
        expressionDelimiters: nil,
        templatedMarkers: ["#", "\\"],
        hashAnnouncement: { isScript, hash in "#\(inlineHashTag)(\"\(isScript ? "script" : "style")\", \"\(hash)\")" }
    )

    /// Registers the tags, wraps the views directory's source with the check, makes Leaf the
    /// view renderer, and (by default) checks every template when the app boots.
    ///
    /// Call it after setting `app.leaf.configuration` (if you change the views directory) and
    /// before the app starts. Tags registered later are still known to the check: it reads
    /// `app.leaf.tags` when it loads a template.
    public static func install(on app: Application, _ options: Options = Options()) {
        var tags = app.leaf.tags
        tags[textTag] = RampartTextTag()
        tags[urlTag] = RampartURLTag()
        tags["cspNonce"] = CSPNonceTag()
        tags["csrfField"] = CSRFFieldTag()
        tags["csrfMeta"] = CSRFMetaTag()
        tags[inlineHashTag] = RampartInlineHashTag()
        app.leaf.tags = tags
        let root = app.leaf.configuration.rootDirectory
        let files = NIOLeafFiles(fileio: app.fileio, limits: .default, sandboxDirectory: root, viewDirectory: root)
        // Weak: the checker lives in the app's own storage (its Leaf sources, its lifecycle).
        let checker = TemplateChecker(tags: { [weak app] in app?.leaf.tags ?? [:] }, options: options)
        app.leaf.sources = .singleSource(CheckedLeafSource(wrapping: files, checker: checker, logger: app.logger))
        app.views.use(.leaf)
        if options.checkAllTemplatesAtBoot {
            app.lifecycle.use(BootCheck(directory: root, checker: checker))
        }
    }

    /// Checks every `.leaf` file under `directory` with the rules `tags` imply.
    /// - Throws: the first `TemplateSecurityError`, naming the file (relative to `directory`),
    ///   line and reason.
    public static func checkTemplates(in directory: String, tags: [String: any LeafTag], options: Options = Options()) throws {
        nonisolated(unsafe) let registered = tags
        try TemplateChecker(tags: { registered }, options: options).checkDirectory(directory)
    }
}

/// Builds the check's rules from the registered tags and runs it.
struct TemplateChecker: Sendable {
    let tags: @Sendable () -> [String: any LeafTag]
    let options: RampartLeaf.Options

    var rules: TemplateContextCheck.LeafRules {
        let registered = tags()
        var markup = Set<String>()
        for (name, tag) in registered where tag is any UnsafeUnescapedLeafTag {
            markup.insert(name)
        }
        markup.subtract([RampartLeaf.textTag, RampartLeaf.urlTag])
        var refused: [String: String] = [
            RampartLeaf.inlineHashTag: "is put before static inline blocks by RampartLeaf when a template loads; templates may not write it"
        ]
        if !options.dangerouslyAllowUnsafeHTML {
            refused["unsafeHTML"] =
                "writes template data into the page as markup; register a tag that builds Rampart's Markup, or set RampartLeaf.Options.dangerouslyAllowUnsafeHTML"
        }
        return TemplateContextCheck.LeafRules(
            textTag: RampartLeaf.textTag,
            urlTag: RampartLeaf.urlTag,
            markupTags: markup,
            refusedTags: refused,
            knownTags: Set(registered.keys)
        )
    }

    func check(_ buffer: ByteBuffer, name: String) throws(TemplateSecurityError) -> ByteBuffer {
        let source = String(buffer: buffer)
        return ByteBuffer(string: try prepare(source, name: name, rules: rules))
    }

    /// The context check with its rewrites, then nonces stamped and static blocks hashed.
    func prepare(_ source: String, name: String, rules: TemplateContextCheck.LeafRules) throws(TemplateSecurityError) -> String {
        let checked = try TemplateContextCheck.checkLeaf(source, name: name, rules: rules)
        return try CSPInlineCode.prepare(checked, name: name, syntax: RampartLeaf.inlineCodeSyntax).source
    }

    func checkDirectory(_ directory: String) throws {
        let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return }
        var files: [URL] = []
        for case let url as URL in walker where url.pathExtension == "leaf" {
            files.append(url)
        }
        let rules = self.rules
        for url in files.sorted(by: { $0.path < $1.path }) {
            let name = String(url.standardizedFileURL.path.dropFirst(root.path.count).drop(while: { $0 == "/" }))
            let source = try String(contentsOf: url, encoding: .utf8)
            _ = try prepare(source, name: name, rules: rules)
        }
    }
}

/// A `LeafSource` that checks and rewrites each template it loads.
///
/// LeafKit's `LeafSources` turns any failed load into "No template found", so a refusal is
/// also logged at `error` with its file, line and reason (and the boot check reports it before
/// the app serves anything).
struct CheckedLeafSource: LeafSource, Sendable {
    let inner: NIOLeafFiles
    let checker: TemplateChecker
    let logger: Logger

    init(wrapping inner: NIOLeafFiles, checker: TemplateChecker, logger: Logger) {
        self.inner = inner
        self.checker = checker
        self.logger = logger
    }

    func file(template: String, escape: Bool, on eventLoop: any EventLoop) throws -> EventLoopFuture<ByteBuffer> {
        try inner.file(template: template, escape: escape, on: eventLoop).flatMapThrowing { [logger, checker] buffer in
            do {
                return try checker.check(buffer, name: template)
            } catch let error as TemplateSecurityError {
                logger.error(
                    "Rampart refused a Leaf template",
                    metadata: [
                        "rampart.template": "\(error.template):\(error.line)", "rampart.reason": "\(error.reason)", "rampart.detail": "\(error)",
                    ]
                )
                throw error
            }
        }
    }
}

/// Checks every template when the app boots, so a refused one stops the start.
struct BootCheck: LifecycleHandler {
    let directory: String
    let checker: TemplateChecker

    func willBoot(_ application: Application) throws {
        try checker.checkDirectory(directory)
    }
}
