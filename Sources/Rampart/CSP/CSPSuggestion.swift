/// What to do about a group of CSP violation reports: the source to add to the policy, or why
/// the reports are noise to ignore. A CSP dashboard shows one per group of reports (same
/// directive, same blocked URL) while a policy is rolled out from report-only to enforced.
///
/// ```swift
/// let advice = CSPSuggestion(directive: "img-src", blockedURI: "https://cdn.example/a.png",
///                            documentURI: "https://app.example/")
/// advice.action   // .addSource("https://cdn.example")
/// ```
///
/// Browser extensions inject scripts, styles and images into every page they run on; their
/// reports (`chrome-extension:`, `moz-extension:`, `safari-web-extension:`) and the `about:` and
/// `data:` noise they and injected content cause are recognised (``isNoise``), so they do not
/// drown the reports that are about the site. `'unsafe-inline'` and `'unsafe-eval'` are never
/// suggested.
///
/// See [MDN: Content-Security-Policy-Report-Only](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy-Report-Only)
/// and [CSP Level 3 §5.3, violation reports](https://www.w3.org/TR/CSP3/#reporting).
public struct CSPSuggestion: Sendable, Hashable, CustomStringConvertible {
    /// The change suggested.
    public enum Action: Sendable, Hashable {
        /// Add this source (an origin, `'self'` or a scheme such as `blob:`) to the directive.
        case addSource(String)
        /// A browser extension's own resource: ignore.
        case ignoreExtension
        /// `about:` or `data:` noise, usually from extensions or injected content: ignore.
        case ignoreNoise
        /// Inline script or style: move it to a file, or give it the page's nonce (or a hash).
        case useNonceOrHash
        /// `eval()` or `new Function`: remove it; no source makes it safe.
        case removeEval
        /// A string reached a DOM sink under `require-trusted-types-for 'script'`: create a
        /// Trusted Types policy for it, or use a safe API such as `textContent`.
        case useTrustedTypesPolicy
        /// A Trusted Types policy was created whose name the `trusted-types` directive lacks.
        case allowTrustedTypesPolicy
        /// Nothing can be derived from the report; look at it by hand.
        case review
    }

    /// The directive the reports name, such as `script-src-elem`.
    public let directive: String
    /// The change suggested.
    public let action: Action

    /// Derives the suggestion for reports of one directive and blocked URL.
    /// - Parameters:
    ///   - directive: The effective directive of the reports.
    ///   - blockedURI: What was blocked: a URL, or a keyword such as `inline`, `eval` or
    ///     `trusted-types-sink`.
    ///   - documentURI: A page the reports came from, to tell `'self'` from another origin.
    public init(directive: String, blockedURI: String, documentURI: String) {
        self.directive = directive
        self.action = Self.action(directive: directive, blocked: blockedURI, document: documentURI)
    }

    /// Whether the reports are noise to filter out of a dashboard (extensions, `about:`, `data:`).
    public var isNoise: Bool { action == .ignoreExtension || action == .ignoreNoise }

    /// The suggestion in one sentence, for people.
    public var description: String {
        switch action {
        case .addSource(let source): "add \(source) to \(directive)"
        case .ignoreExtension: "looks like an extension: ignore"
        case .ignoreNoise: "about: or data: noise, usually from extensions: ignore"
        case .useNonceOrHash: "inline code: move it to a file, or give it the page's nonce (or its hash)"
        case .removeEval: "eval or new Function: remove it (no source makes it safe)"
        case .useTrustedTypesPolicy: "a string reached a DOM sink: use textContent, or pass it through a Trusted Types policy"
        case .allowTrustedTypesPolicy: "a Trusted Types policy this directive does not name: add its name to trusted-types, or remove it"
        case .review: "review by hand"
        }
    }

    /// Extension URL schemes of Chromium, Firefox, Safari and legacy Edge.
    static let extensionSchemes = ["chrome-extension", "moz-extension", "safari-web-extension", "safari-extension", "ms-browser-extension"]

    static func action(directive: String, blocked: String, document: String) -> Action {
        let lower = HeaderGrammar.asciiLowercased(blocked)
        let scheme = lower.firstIndex(of: ":").map { String(lower[..<$0]) } ?? lower
        if extensionSchemes.contains(scheme) { return .ignoreExtension }
        switch scheme {
        case "about", "data": return .ignoreNoise
        case "inline": return .useNonceOrHash
        case "eval", "wasm-eval": return .removeEval
        case "trusted-types-sink": return .useTrustedTypesPolicy
        case "trusted-types-policy": return .allowTrustedTypesPolicy
        case "blob", "filesystem", "mediastream": return .addSource("\(scheme):")
        default: break
        }
        let directiveName = HeaderGrammar.asciiLowercased(directive)
        if directiveName == "require-trusted-types-for" { return .useTrustedTypesPolicy }
        if directiveName == "trusted-types" { return .allowTrustedTypesPolicy }
        guard let origin = origin(of: lower) else { return .review }
        if let own = Self.origin(of: HeaderGrammar.asciiLowercased(document)), own == origin { return .addSource("'self'") }
        return .addSource(origin)
    }

    /// `scheme://host[:port]` of an absolute hierarchical URL whose host is made of host
    /// characters only, or `nil`.
    static func origin(of url: String) -> String? {
        let bytes = Array(url.utf8)
        var colon = 0
        while colon < bytes.count, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon > 0, colon + 2 < bytes.count, bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/"),
            HeaderGrammar.isAlpha(bytes[0]), bytes[..<colon].allSatisfy(isSchemeByte)
        else { return nil }
        var end = colon + 3
        while end < bytes.count, bytes[end] != UInt8(ascii: "/"), bytes[end] != UInt8(ascii: "?"), bytes[end] != UInt8(ascii: "#") { end += 1 }
        var start = colon + 3
        if let at = bytes[start..<end].lastIndex(of: UInt8(ascii: "@")) { start = at + 1 }
        guard start < end, bytes[start..<end].allSatisfy(isHostByte) else { return nil }
        return String(decoding: bytes[..<colon], as: UTF8.self) + "://" + String(decoding: bytes[start..<end], as: UTF8.self)
    }

    static func isSchemeByte(_ b: UInt8) -> Bool {
        HeaderGrammar.isAlpha(b) || HeaderGrammar.isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    static func isHostByte(_ b: UInt8) -> Bool {
        HeaderGrammar.isAlpha(b) || HeaderGrammar.isDigit(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
            || b == UInt8(ascii: "[") || b == UInt8(ascii: "]")
    }
}
