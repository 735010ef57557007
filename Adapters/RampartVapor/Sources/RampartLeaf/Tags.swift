import Foundation
import Leaf
public import LeafKit
import Rampart
import RampartVapor
import Vapor

/// `#rampartText(x)`: what the check rewrites `#(x)` to. The value's text, exactly as LeafKit
/// would print it, escaped by `HTML.escape` on UTF-8 bytes.
///
/// See [HTML §13.1.2.6](https://html.spec.whatwg.org/multipage/syntax.html#attributes-2).
public struct RampartTextTag: UnsafeUnescapedLeafTag, Sendable {
    public init() {}

    public func render(_ ctx: LeafContext) throws -> LeafData {
        try ctx.requireParameterCount(1)
        return .string(LeafConfiguration.stringFormatter(HTML.escape(LeafText.of(ctx.parameters[0]))))
    }
}

/// `#rampartURL(x)`: an output at the start of a URL attribute value, filtered through
/// `SafeURL` (`javascript:` and unknown schemes become `about:invalid#rampart`) and escaped.
///
/// See [URL Standard §4.4](https://url.spec.whatwg.org/#url-parsing).
public struct RampartURLTag: UnsafeUnescapedLeafTag, Sendable {
    public init() {}

    public func render(_ ctx: LeafContext) throws -> LeafData {
        try ctx.requireParameterCount(1)
        return .string(LeafConfiguration.stringFormatter(HTML.escape(SafeURL(LeafText.of(ctx.parameters[0])).value)))
    }
}

/// `#cspNonce()`: this request's CSP nonce, for `<script nonce="#cspNonce()">`.
///
/// See [MDN: nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce).
public struct CSPNonceTag: LeafTag, Sendable {
    public init() {}

    public func render(_ ctx: LeafContext) throws -> LeafData {
        try ctx.requireParameterCount(0)
        guard let request = ctx.request else { throw RampartLeafError.noRequest("cspNonce") }
        guard let nonce = request.cspNonce else {
            throw RampartLeafError.missingMiddleware(tag: "cspNonce", middleware: "RampartSecurityMiddleware")
        }
        return .string(nonce.value)
    }
}

/// `#rampartInlineHash("script", "'sha256-…'")`: put by RampartLeaf just before each static
/// inline `<script>` or `<style>` block when a template loads (`CSPInlineCode`). Rendering it
/// prints nothing and allows that block's hash in this response's CSP, so the block runs
/// without a nonce and the page keeps its caching. Templates may not write it themselves: the
/// load-time check refuses it.
///
/// See [CSP Level 3 §2.3.1, hash sources](https://www.w3.org/TR/CSP3/#grammardef-hash-source).
public struct RampartInlineHashTag: LeafTag, Sendable {
    public init() {}

    public func render(_ ctx: LeafContext) throws -> LeafData {
        try ctx.requireParameterCount(2)
        guard let kind = ctx.parameters[0].string, kind == "script" || kind == "style", let text = ctx.parameters[1].string,
            let hash = Self.sha256Source(text)
        else { throw RampartLeafError.badParameter(RampartLeaf.inlineHashTag) }
        // Without a request or RampartSecurityMiddleware there is no CSP to add it to.
        if let slot = ctx.request?.lazyCSPNonce {
            var hashes = CSPInlineHashes()
            if kind == "script" { hashes.addScript(hash: hash) } else { hashes.addStyle(hash: hash) }
            slot.allow(hashes)
        }
        return .string("")
    }

    /// `'sha256-` + 43 Base64 characters + `='` (a SHA-256 digest), or `nil`.
    static func sha256Source(_ text: String) -> CSPSource? {
        let bytes = Array(text.utf8)
        let prefix = Array("'sha256-".utf8)
        guard bytes.count == prefix.count + 44 + 1, bytes.starts(with: prefix), bytes.last == UInt8(ascii: "'"),
            bytes[bytes.count - 2] == UInt8(ascii: "=")
        else { return nil }
        let digest = bytes[prefix.count..<(bytes.count - 2)]
        let isBase64: (UInt8) -> Bool = { byte in
            (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
        }
        guard digest.allSatisfy(isBase64) else { return nil }
        return .sha256(base64: String(decoding: bytes[prefix.count..<(bytes.count - 1)], as: UTF8.self))
    }
}

/// `#csrfField()`: `<input type="hidden" name="_csrf" value="…">` with a masked session token;
/// `#csrfField("action")`: the same field with a one-time token for a registered action.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFFieldTag: UnsafeUnescapedLeafTag, Sendable {
    public init() {}

    public func render(_ ctx: LeafContext) throws -> LeafData {
        guard let request = ctx.request else { throw RampartLeafError.noRequest("csrfField") }
        switch ctx.parameters.count {
        case 0:
            return .string(request.csrf.hiddenField().html)
        case 1:
            guard let action = ctx.parameters[0].string else { throw RampartLeafError.badParameter("csrfField") }
            return .string(try request.csrf.oneTimeField(action: action).html)
        default:
            throw RampartLeafError.badParameter("csrfField")
        }
    }
}

/// `#csrfMeta()`: `<meta name="csrf-token" content="…">`, for scripts that send `X-CSRF-Token`.
///
/// See [OWASP CSRF Prevention Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
public struct CSRFMetaTag: UnsafeUnescapedLeafTag, Sendable {
    public init() {}

    public func render(_ ctx: LeafContext) throws -> LeafData {
        try ctx.requireParameterCount(0)
        guard let request = ctx.request else { throw RampartLeafError.noRequest("csrfMeta") }
        return .string(request.csrf.metaTag().html)
    }
}

/// A Rampart Leaf tag used where it cannot work.
///
/// See [Leaf custom tags](https://docs.vapor.codes/leaf/custom-tags/).
public enum RampartLeafError: Error, CustomStringConvertible, Sendable {
    /// The tag was rendered without a request (`app.view` instead of `req.view`).
    case noRequest(String)
    /// The tag needs a middleware that is not installed on the route.
    case missingMiddleware(tag: String, middleware: String)
    /// The tag's parameters are wrong.
    case badParameter(String)

    public var description: String {
        switch self {
        case .noRequest(let tag): "#\(tag)() needs a request: render with req.view, not app.view"
        case .missingMiddleware(let tag, let middleware):
            "#\(tag)() needs \(middleware) on this route (RampartLeaf also adds nonce=\"#cspNonce()\" to <script>, <style> and <link rel=stylesheet> tags that need one)"
        case .badParameter(let tag) where tag == RampartLeaf.inlineHashTag: "#\(tag)(…) is RampartLeaf's own; templates may not write it"
        case .badParameter(let tag): "#\(tag)() takes no parameter, or one action name"
        }
    }
}

/// LeafKit's text for a value, as its serializer prints it: strings as they are, numbers and
/// booleans by `description`, arrays and dictionaries through `LeafConfiguration`'s formatters,
/// nil through `nilFormatter`.
enum LeafText {
    static func of(_ data: LeafData) -> String {
        if data.isNil { return LeafConfiguration.nilFormatter() }
        switch data.celf {
        case .string, .bool, .int, .double, .data:
            return data.string ?? LeafConfiguration.nilFormatter()
        case .array, .dictionary:
            return serialized(data)
        case .void:
            return LeafConfiguration.nilFormatter()
        }
    }

    /// `LeafDataStorage.serialize()`: the formatters, applied to each element.
    static func serialized(_ data: LeafData) -> String {
        if data.isNil { return LeafConfiguration.nilFormatter() }
        switch data.celf {
        case .bool: return data.bool.map(LeafConfiguration.boolFormatter) ?? LeafConfiguration.nilFormatter()
        case .int: return data.int.map(LeafConfiguration.intFormatter) ?? LeafConfiguration.nilFormatter()
        case .double: return data.double.map(LeafConfiguration.doubleFormatter) ?? LeafConfiguration.nilFormatter()
        case .string: return data.string.map(LeafConfiguration.stringFormatter) ?? LeafConfiguration.nilFormatter()
        case .data: return data.data.flatMap(LeafConfiguration.dataFormatter) ?? LeafConfiguration.nilFormatter()
        case .array: return LeafConfiguration.arrayFormatter((data.array ?? []).map(serialized))
        case .dictionary: return LeafConfiguration.dictFormatter((data.dictionary ?? [:]).mapValues(serialized))
        case .void: return LeafConfiguration.nilFormatter()
        }
    }
}
