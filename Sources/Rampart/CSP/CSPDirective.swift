/// One directive of a Content-Security-Policy, such as `script-src 'self'`.
///
/// Every CSP Level 3 directive has a typed constructor. Values are validated when the
/// enclosing ``ContentSecurityPolicy`` is created.
///
/// See [CSP Level 3 §6](https://www.w3.org/TR/CSP3/#csp-directives) and
/// [MDN: Content-Security-Policy](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy).
public struct CSPDirective: Hashable, Sendable, CustomStringConvertible {
    /// The name of a directive, such as `script-src`.
    public struct Name: Hashable, Sendable, CustomStringConvertible {
        /// The directive name as it appears in the header.
        public let rawValue: String
        let kind: Kind

        enum Kind: Hashable, Sendable {
            /// Takes a source list and is a fetch directive (falls back to `default-src`).
            case fetch
            /// Takes a source list but is not a fetch directive.
            case sourceList
            /// `frame-ancestors`: host, scheme, `'self'` and `'none'` only.
            case ancestorSourceList
            case sandbox
            case flag
            case reportTo
            case reportURI
            case requireTrustedTypesFor
            case trustedTypes
        }

        init(_ rawValue: String, _ kind: Kind) {
            self.rawValue = rawValue
            self.kind = kind
        }

        public var description: String { rawValue }

        /// `default-src`: the fallback for every fetch directive.
        public static let defaultSrc = Name("default-src", .fetch)
        /// `child-src`: workers and nested browsing contexts.
        public static let childSrc = Name("child-src", .fetch)
        /// `connect-src`: `fetch()`, XHR, WebSocket, EventSource and beacons.
        public static let connectSrc = Name("connect-src", .fetch)
        /// `fenced-frame-src`: `<fencedframe>` content.
        public static let fencedFrameSrc = Name("fenced-frame-src", .fetch)
        /// `font-src`: web fonts.
        public static let fontSrc = Name("font-src", .fetch)
        /// `frame-src`: `<frame>` and `<iframe>` content.
        public static let frameSrc = Name("frame-src", .fetch)
        /// `img-src`: images and favicons.
        public static let imgSrc = Name("img-src", .fetch)
        /// `manifest-src`: web app manifests.
        public static let manifestSrc = Name("manifest-src", .fetch)
        /// `media-src`: `<audio>`, `<video>` and `<track>`.
        public static let mediaSrc = Name("media-src", .fetch)
        /// `object-src`: `<object>` and `<embed>`.
        public static let objectSrc = Name("object-src", .fetch)
        /// `script-src`: all scripts.
        public static let scriptSrc = Name("script-src", .fetch)
        /// `script-src-elem`: `<script>` elements.
        public static let scriptSrcElem = Name("script-src-elem", .fetch)
        /// `script-src-attr`: inline event handlers.
        public static let scriptSrcAttr = Name("script-src-attr", .fetch)
        /// `style-src`: all styles.
        public static let styleSrc = Name("style-src", .fetch)
        /// `style-src-elem`: `<style>` and `<link rel="stylesheet">`.
        public static let styleSrcElem = Name("style-src-elem", .fetch)
        /// `style-src-attr`: `style` attributes.
        public static let styleSrcAttr = Name("style-src-attr", .fetch)
        /// `worker-src`: Worker, SharedWorker and ServiceWorker scripts.
        public static let workerSrc = Name("worker-src", .fetch)
        /// `base-uri`: the URLs a `<base>` element may use.
        public static let baseURI = Name("base-uri", .sourceList)
        /// `form-action`: where forms may submit.
        public static let formAction = Name("form-action", .sourceList)
        /// `frame-ancestors`: who may embed this page in a frame.
        public static let frameAncestors = Name("frame-ancestors", .ancestorSourceList)
        /// `sandbox`: applies iframe-style sandbox restrictions to the page.
        public static let sandbox = Name("sandbox", .sandbox)
        /// `upgrade-insecure-requests`: fetch `http:` subresources over `https:`.
        public static let upgradeInsecureRequests = Name("upgrade-insecure-requests", .flag)
        /// `require-trusted-types-for`: require Trusted Types at DOM XSS sinks.
        public static let requireTrustedTypesFor = Name("require-trusted-types-for", .requireTrustedTypesFor)
        /// `trusted-types`: the Trusted Types policies a page may create.
        public static let trustedTypes = Name("trusted-types", .trustedTypes)
        /// `report-to`: the Reporting API endpoint for violation reports.
        public static let reportTo = Name("report-to", .reportTo)
        /// `report-uri`: the legacy violation report URLs (deprecated, still widely supported).
        public static let reportURI = Name("report-uri", .reportURI)

        /// Every directive Rampart knows, in the order of the CSP3 specification.
        public static let all: [Name] = [
            .defaultSrc, .childSrc, .connectSrc, .fencedFrameSrc, .fontSrc, .frameSrc, .imgSrc,
            .manifestSrc, .mediaSrc, .objectSrc, .scriptSrc, .scriptSrcElem, .scriptSrcAttr,
            .styleSrc, .styleSrcElem, .styleSrcAttr, .workerSrc, .baseURI, .sandbox, .formAction,
            .frameAncestors, .upgradeInsecureRequests, .requireTrustedTypesFor, .trustedTypes,
            .reportTo, .reportURI,
        ]

        /// Looks a directive name up, case-insensitively.
        public init?(_ name: String) {
            let lower = HeaderGrammar.asciiLowercased(name)
            guard let found = Name.all.first(where: { $0.rawValue == lower }) else { return nil }
            self = found
        }

        var isScriptDirective: Bool { rawValue.utf8.starts(with: "script-src".utf8) || self == .defaultSrc }
        var isStyleDirective: Bool { rawValue.utf8.starts(with: "style-src".utf8) || self == .defaultSrc }
    }

    enum Value: Hashable, Sendable {
        case sources([CSPSource])
        case sandbox([CSPSandboxFlag])
        case flag
        case tokens([String])
    }

    /// The directive's name.
    public let name: Name
    let value: Value

    init(_ name: Name, _ value: Value) {
        self.name = name
        self.value = value
    }

    /// A directive that takes a source list, by name.
    public static func sources(_ name: Name, _ sources: [CSPSource]) -> CSPDirective { .init(name, .sources(sources)) }

    /// `default-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/default-src).
    public static func defaultSrc(_ s: CSPSource...) -> CSPDirective { .sources(.defaultSrc, s) }
    /// `child-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/child-src).
    public static func childSrc(_ s: CSPSource...) -> CSPDirective { .sources(.childSrc, s) }
    /// `connect-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/connect-src).
    public static func connectSrc(_ s: CSPSource...) -> CSPDirective { .sources(.connectSrc, s) }
    /// `fenced-frame-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/fenced-frame-src).
    public static func fencedFrameSrc(_ s: CSPSource...) -> CSPDirective { .sources(.fencedFrameSrc, s) }
    /// `font-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/font-src).
    public static func fontSrc(_ s: CSPSource...) -> CSPDirective { .sources(.fontSrc, s) }
    /// `frame-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/frame-src).
    public static func frameSrc(_ s: CSPSource...) -> CSPDirective { .sources(.frameSrc, s) }
    /// `img-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/img-src).
    public static func imgSrc(_ s: CSPSource...) -> CSPDirective { .sources(.imgSrc, s) }
    /// `manifest-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/manifest-src).
    public static func manifestSrc(_ s: CSPSource...) -> CSPDirective { .sources(.manifestSrc, s) }
    /// `media-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/media-src).
    public static func mediaSrc(_ s: CSPSource...) -> CSPDirective { .sources(.mediaSrc, s) }
    /// `object-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/object-src).
    public static func objectSrc(_ s: CSPSource...) -> CSPDirective { .sources(.objectSrc, s) }
    /// `script-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/script-src).
    public static func scriptSrc(_ s: CSPSource...) -> CSPDirective { .sources(.scriptSrc, s) }
    /// `script-src-elem`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/script-src-elem).
    public static func scriptSrcElem(_ s: CSPSource...) -> CSPDirective { .sources(.scriptSrcElem, s) }
    /// `script-src-attr`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/script-src-attr).
    public static func scriptSrcAttr(_ s: CSPSource...) -> CSPDirective { .sources(.scriptSrcAttr, s) }
    /// `style-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/style-src).
    public static func styleSrc(_ s: CSPSource...) -> CSPDirective { .sources(.styleSrc, s) }
    /// `style-src-elem`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/style-src-elem).
    public static func styleSrcElem(_ s: CSPSource...) -> CSPDirective { .sources(.styleSrcElem, s) }
    /// `style-src-attr`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/style-src-attr).
    public static func styleSrcAttr(_ s: CSPSource...) -> CSPDirective { .sources(.styleSrcAttr, s) }
    /// `worker-src`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/worker-src).
    public static func workerSrc(_ s: CSPSource...) -> CSPDirective { .sources(.workerSrc, s) }
    /// `base-uri`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/base-uri).
    public static func baseURI(_ s: CSPSource...) -> CSPDirective { .sources(.baseURI, s) }
    /// `form-action`. See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/form-action).
    public static func formAction(_ s: CSPSource...) -> CSPDirective { .sources(.formAction, s) }
    /// `frame-ancestors`: only host and scheme sources, `'self'` and `'none'` are allowed.
    /// See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/frame-ancestors).
    public static func frameAncestors(_ s: CSPSource...) -> CSPDirective { .sources(.frameAncestors, s) }
    /// `frame-ancestors` from an array of sources.
    public static func frameAncestors(_ s: [CSPSource]) -> CSPDirective { .sources(.frameAncestors, s) }

    /// `sandbox`, with the restrictions lifted by each flag. No flags is the strictest sandbox.
    /// See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/sandbox).
    public static func sandbox(_ flags: CSPSandboxFlag...) -> CSPDirective { .init(.sandbox, .sandbox(flags)) }

    /// `upgrade-insecure-requests`. Rampart sends it only on HTTPS responses, because on plain
    /// HTTP (local development) it would break every same-origin subresource.
    /// See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/upgrade-insecure-requests).
    public static var upgradeInsecureRequests: CSPDirective { .init(.upgradeInsecureRequests, .flag) }

    /// `require-trusted-types-for 'script'`.
    /// See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/require-trusted-types-for).
    public static var requireTrustedTypesForScript: CSPDirective { .init(.requireTrustedTypesFor, .tokens(["'script'"])) }

    /// `trusted-types` with policy names, and optionally `'allow-duplicates'`. No names means `'none'`.
    /// See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/trusted-types).
    public static func trustedTypes(_ policyNames: String..., allowDuplicates: Bool = false) -> CSPDirective {
        var tokens = policyNames.isEmpty ? ["'none'"] : policyNames
        if allowDuplicates { tokens.append("'allow-duplicates'") }
        return .init(.trustedTypes, .tokens(tokens))
    }

    /// `report-to`, naming an endpoint declared in `Reporting-Endpoints`.
    /// See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/report-to).
    public static func reportTo(_ endpoint: String) -> CSPDirective { .init(.reportTo, .tokens([endpoint])) }

    /// `report-uri`, the legacy reporting directive. Send it alongside `report-to` for Firefox.
    /// See [MDN](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/report-uri).
    public static func reportURI(_ uris: String...) -> CSPDirective { .init(.reportURI, .tokens(uris)) }

    public var description: String {
        switch value {
        case .flag:
            return name.rawValue
        case .sources(let sources):
            return sources.isEmpty ? name.rawValue : name.rawValue + " " + sources.map(\.description).joined(separator: " ")
        case .sandbox(let flags):
            return flags.isEmpty ? name.rawValue : name.rawValue + " " + flags.map(\.rawValue).joined(separator: " ")
        case .tokens(let tokens):
            return tokens.isEmpty ? name.rawValue : name.rawValue + " " + tokens.joined(separator: " ")
        }
    }
}

/// A flag that lifts one restriction of the CSP `sandbox` directive.
///
/// See [MDN: sandbox](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/sandbox).
public struct CSPSandboxFlag: Hashable, Sendable {
    /// The token as it appears in the header.
    public let rawValue: String
    init(_ rawValue: String) { self.rawValue = rawValue }

    public static let allowDownloads = CSPSandboxFlag("allow-downloads")
    public static let allowForms = CSPSandboxFlag("allow-forms")
    public static let allowModals = CSPSandboxFlag("allow-modals")
    public static let allowOrientationLock = CSPSandboxFlag("allow-orientation-lock")
    public static let allowPointerLock = CSPSandboxFlag("allow-pointer-lock")
    public static let allowPopups = CSPSandboxFlag("allow-popups")
    public static let allowPopupsToEscapeSandbox = CSPSandboxFlag("allow-popups-to-escape-sandbox")
    public static let allowPresentation = CSPSandboxFlag("allow-presentation")
    public static let allowSameOrigin = CSPSandboxFlag("allow-same-origin")
    public static let allowScripts = CSPSandboxFlag("allow-scripts")
    public static let allowStorageAccessByUserActivation = CSPSandboxFlag("allow-storage-access-by-user-activation")
    public static let allowTopNavigation = CSPSandboxFlag("allow-top-navigation")
    public static let allowTopNavigationByUserActivation = CSPSandboxFlag("allow-top-navigation-by-user-activation")
    public static let allowTopNavigationToCustomProtocols = CSPSandboxFlag("allow-top-navigation-to-custom-protocols")

    static let all: [CSPSandboxFlag] = [
        .allowDownloads, .allowForms, .allowModals, .allowOrientationLock, .allowPointerLock, .allowPopups,
        .allowPopupsToEscapeSandbox, .allowPresentation, .allowSameOrigin, .allowScripts,
        .allowStorageAccessByUserActivation, .allowTopNavigation, .allowTopNavigationByUserActivation,
        .allowTopNavigationToCustomProtocols,
    ]

    /// Looks a flag up by its header token.
    public init?(parsing token: String) {
        let lower = HeaderGrammar.asciiLowercased(token)
        guard let flag = CSPSandboxFlag.all.first(where: { $0.rawValue == lower }) else { return nil }
        self = flag
    }
}
