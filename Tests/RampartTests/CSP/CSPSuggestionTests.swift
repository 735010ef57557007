import Rampart
import Testing

@Suite("CSP report suggestions: the source to add, or noise to ignore")
struct CSPSuggestionTests {
    static let page = "https://app.example/comments?page=2"

    /// Directive, blocked URI, expected action, expected text.
    static let cases: [(String, String, CSPSuggestion.Action, String)] = [
        ("img-src", "https://cdn.example/a/b.png?x=1", .addSource("https://cdn.example"), "add https://cdn.example to img-src"),
        ("connect-src", "wss://live.example:8443/socket", .addSource("wss://live.example:8443"), "add wss://live.example:8443 to connect-src"),
        ("script-src-elem", "https://user:pw@cdn.example/x.js", .addSource("https://cdn.example"), "add https://cdn.example to script-src-elem"),
        ("script-src-elem", "https://APP.example/static/x.js", .addSource("'self'"), "add 'self' to script-src-elem"),
        ("img-src", "blob", .addSource("blob:"), "add blob: to img-src"),
        ("worker-src", "blob:https://app.example/1234", .addSource("blob:"), "add blob: to worker-src"),
        ("script-src-elem", "chrome-extension://abcdef/inject.js", .ignoreExtension, "looks like an extension: ignore"),
        ("style-src-elem", "moz-extension://1234/x.css", .ignoreExtension, "looks like an extension: ignore"),
        ("img-src", "safari-web-extension://9/icon.png", .ignoreExtension, "looks like an extension: ignore"),
        ("frame-src", "about:blank", .ignoreNoise, "about: or data: noise, usually from extensions: ignore"),
        ("font-src", "data", .ignoreNoise, "about: or data: noise, usually from extensions: ignore"),
        ("script-src-elem", "inline", .useNonceOrHash, "inline code: move it to a file, or give it the page's nonce (or its hash)"),
        ("script-src", "eval", .removeEval, "eval or new Function: remove it (no source makes it safe)"),
        ("script-src", "wasm-eval", .removeEval, "eval or new Function: remove it (no source makes it safe)"),
        (
            "require-trusted-types-for", "trusted-types-sink", .useTrustedTypesPolicy,
            "a string reached a DOM sink: use textContent, or pass it through a Trusted Types policy"
        ),
        (
            "trusted-types", "trusted-types-policy", .allowTrustedTypesPolicy,
            "a Trusted Types policy this directive does not name: add its name to trusted-types, or remove it"
        ),
        ("img-src", "https://bad host/x.png", .review, "review by hand"),
        ("img-src", "https://a.example\"><script>/x", .review, "review by hand"),
        ("img-src", "", .review, "review by hand"),
        ("img-src", "javascript:alert(1)", .review, "review by hand"),
    ]

    @Test("each kind of blocked URI", arguments: cases)
    func suggestion(directive: String, blocked: String, action: CSPSuggestion.Action, text: String) {
        let suggestion = CSPSuggestion(directive: directive, blockedURI: blocked, documentURI: Self.page)
        #expect(suggestion.action == action)
        #expect(suggestion.description == text)
        #expect(suggestion.isNoise == (action == .ignoreExtension || action == .ignoreNoise))
    }
}
