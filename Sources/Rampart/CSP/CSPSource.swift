import Crypto

/// One source expression in a Content-Security-Policy source list.
///
/// Sources are typed, so that keywords are always quoted and hosts never are:
/// ```swift
/// .scriptSrc(.self, .host("cdn.example.com"), .hash(of: "alert(1)"))
/// ```
/// Values are checked when the enclosing ``ContentSecurityPolicy`` is created, against the
/// CSP Level 3 grammar. The per-request nonce is not a source you write: it is added to the
/// directives named in ``ContentSecurityPolicy/nonceDirectives``.
///
/// See [CSP Level 3 §2.3.1](https://www.w3.org/TR/CSP3/#framework-directive-source-list) and
/// [MDN: CSP source values](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy#sources).
public struct CSPSource: Hashable, Sendable, CustomStringConvertible {
    enum Storage: Hashable, Sendable {
        /// A keyword without its quotes, for example `self`.
        case keyword(String)
        case hash(CSPHashAlgorithm, String)
        /// A scheme without its colon, for example `https`.
        case scheme(String)
        case host(String)
        /// A quoted expression read by ``CSPSource/init(parsing:)`` that is not a known keyword or hash.
        case unknownQuoted(String)
    }

    let storage: Storage

    init(_ storage: Storage) { self.storage = storage }

    // MARK: Keywords

    /// `'none'`: nothing matches. It must be the only source in its directive.
    public static var none: CSPSource { .init(.keyword("none")) }
    /// `'self'`: the document's own origin (and its upgraded `https`/`wss` form).
    public static var `self`: CSPSource { .init(.keyword("self")) }
    /// `'unsafe-inline'`: allows inline script or style. Ignored by browsers when a nonce or hash
    /// is present; avoid it.
    public static var unsafeInline: CSPSource { .init(.keyword("unsafe-inline")) }
    /// `'unsafe-eval'`: allows `eval()` and similar string-to-code sinks. Avoid it.
    public static var unsafeEval: CSPSource { .init(.keyword("unsafe-eval")) }
    /// `'strict-dynamic'`: trust propagates from a nonce'd or hashed script to the scripts it loads,
    /// and host and scheme allow-lists are ignored.
    public static var strictDynamic: CSPSource { .init(.keyword("strict-dynamic")) }
    /// `'unsafe-hashes'`: lets hashes match inline event handlers and `style` attributes.
    public static var unsafeHashes: CSPSource { .init(.keyword("unsafe-hashes")) }
    /// `'report-sample'`: include the first 40 characters of the blocked code in violation reports.
    public static var reportSample: CSPSource { .init(.keyword("report-sample")) }
    /// `'wasm-unsafe-eval'`: allows WebAssembly compilation without allowing JavaScript `eval()`.
    public static var wasmUnsafeEval: CSPSource { .init(.keyword("wasm-unsafe-eval")) }
    /// `'inline-speculation-rules'`: allows inline `<script type="speculationrules">`.
    public static var inlineSpeculationRules: CSPSource { .init(.keyword("inline-speculation-rules")) }
    /// `'trusted-types-eval'`: allows `eval()` only with Trusted Types enforced.
    public static var trustedTypesEval: CSPSource { .init(.keyword("trusted-types-eval")) }

    // MARK: Hashes

    /// A `'sha256-…'` source from the Base64 digest of an inline script or style.
    public static func sha256(base64 digest: String) -> CSPSource { .init(.hash(.sha256, digest)) }
    /// A `'sha384-…'` source from the Base64 digest of an inline script or style.
    public static func sha384(base64 digest: String) -> CSPSource { .init(.hash(.sha384, digest)) }
    /// A `'sha512-…'` source from the Base64 digest of an inline script or style.
    public static func sha512(base64 digest: String) -> CSPSource { .init(.hash(.sha512, digest)) }

    /// A hash source computed from the exact text of an inline `<script>` or `<style>` element.
    ///
    /// The digest covers the UTF-8 bytes between the tags, whitespace included, as browsers hash it.
    public static func hash(of content: String, using algorithm: CSPHashAlgorithm = .sha256) -> CSPSource {
        let bytes = Array(content.utf8)
        let digest: [UInt8] =
            switch algorithm.base {
            case .sha256: Array(SHA256.hash(data: bytes))
            case .sha384: Array(SHA384.hash(data: bytes))
            case .sha512: Array(SHA512.hash(data: bytes))
            }
        return .init(.hash(algorithm, Base64.encode(digest)))
    }

    /// Whether this is a hash source whose digest is Base64 or base64url text (no byte that
    /// could end the source or the header).
    var isHash: Bool {
        guard case .hash(_, let digest) = storage, !digest.isEmpty else { return false }
        return digest.utf8.allSatisfy { byte in
            HeaderGrammar.isAlpha(byte) || HeaderGrammar.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
                || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    // MARK: Schemes and hosts

    /// A scheme source such as `https:` or `data:`. Pass the scheme with or without its colon.
    public static func scheme(_ scheme: String) -> CSPSource {
        .init(.scheme(scheme.utf8.last == UInt8(ascii: ":") ? String(scheme.dropLast()) : scheme))
    }

    /// A host source: `example.com`, `*.example.com`, `https://cdn.example.com:8443/path/`, or `*`.
    public static func host(_ host: String) -> CSPSource { .init(.host(host)) }

    /// Reads one source expression exactly as it would appear in a header, for example `'self'`,
    /// `'sha256-…'`, `https:` or `*.example.com`. The value is validated by the policy that holds it.
    public init(parsing token: String) {
        let bytes = token.utf8
        if bytes.count >= 2, bytes.first == UInt8(ascii: "'"), bytes.last == UInt8(ascii: "'") {
            let inner = String(token.dropFirst().dropLast())
            let lower = HeaderGrammar.asciiLowercased(inner)
            if CSPSource.keywords.contains(lower) {
                self.init(.keyword(lower))
                return
            }
            for algorithm in CSPHashAlgorithm.all where lower.utf8.starts(with: (algorithm.name + "-").utf8) {
                self.init(.hash(algorithm, String(inner.dropFirst(algorithm.name.utf8.count + 1))))
                return
            }
            self.init(.unknownQuoted(inner))
        } else if bytes.count >= 2, bytes.last == UInt8(ascii: ":"),
            CSPSource.isScheme(token.utf8.dropLast())
        {
            self.init(.scheme(String(token.dropLast())))
        } else {
            self.init(.host(token))
        }
    }

    public var description: String {
        switch storage {
        case .keyword(let k): "'\(k)'"
        case .hash(let algorithm, let digest): "'\(algorithm.name)-\(digest)'"
        case .scheme(let s): "\(s):"
        case .host(let h): h
        case .unknownQuoted(let q): "'\(q)'"
        }
    }

    static let keywords: Set<String> = [
        "none", "self", "unsafe-inline", "unsafe-eval", "strict-dynamic", "unsafe-hashes",
        "report-sample", "wasm-unsafe-eval", "inline-speculation-rules", "trusted-types-eval",
    ]

    /// Keywords that only mean something for scripts.
    static let scriptOnlyKeywords: Set<String> = [
        "unsafe-eval", "strict-dynamic", "wasm-unsafe-eval", "inline-speculation-rules", "trusted-types-eval",
    ]

    /// Keywords (and hashes) that only mean something for scripts and styles.
    static let inlineKeywords: Set<String> = ["unsafe-inline", "unsafe-hashes", "report-sample"]

    /// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
    static func isScheme(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first, HeaderGrammar.isAlpha(first) else { return false }
        return bytes.allSatisfy { b in
            HeaderGrammar.isAlpha(b) || HeaderGrammar.isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
        }
    }

    /// Returns why this source is invalid, or `nil`. Checks the CSP3 grammar:
    /// ```
    /// host-source = [ scheme-part "://" ] host-part [ ":" port-part ] [ path-part ]
    /// host-part   = "*" / [ "*." ] 1*host-char *( "." 1*host-char ) [ "." ]
    /// host-char   = ALPHA / DIGIT / "-"
    /// port-part   = 1*DIGIT / "*"
    /// hash-source = "'" hash-algorithm "-" base64-value "'"
    /// ```
    func problem() -> (SecurityConfigurationError.Reason, String)? {
        let text: String
        switch storage {
        case .keyword: return nil
        case .unknownQuoted(let q):
            if HeaderGrammar.asciiLowercased(q).utf8.starts(with: "nonce-".utf8) {
                return (
                    .invalidSource,
                    "a fixed nonce defeats the purpose of a nonce; Rampart adds a fresh one per request to the directives in nonceDirectives"
                )
            }
            return (.invalidSource, "unknown quoted keyword '\(q)'")
        case .hash(let algorithm, let digest):
            if let reason = Self.forbiddenCharacter(in: digest) { return (.invalidCharacter, "hash contains \(reason)") }
            guard let bytes = Base64.decode(digest) else {
                return (.invalidSource, "\(algorithm.name) hash is not valid Base64")
            }
            guard bytes.count == algorithm.digestLength else {
                return (.invalidSource, "\(algorithm.name) hash decodes to \(bytes.count) bytes, expected \(algorithm.digestLength)")
            }
            return nil
        case .scheme(let s):
            text = s
            if let reason = Self.forbiddenCharacter(in: text) { return (.invalidCharacter, "scheme contains \(reason)") }
            return Self.isScheme(s.utf8) ? nil : (.invalidSource, "not a valid scheme")
        case .host(let h):
            text = h
        }
        if let reason = Self.forbiddenCharacter(in: text) { return (.invalidCharacter, "source contains \(reason)") }
        let lower = HeaderGrammar.asciiLowercased(text)
        if Self.keywords.contains(lower) {
            return (.unquotedKeyword, "keyword '\(lower)' must be quoted; use .\(Self.swiftName(lower)) instead of a host")
        }
        if lower.utf8.starts(with: "nonce-".utf8) || CSPHashAlgorithm.all.contains(where: { lower.utf8.starts(with: ($0.name + "-").utf8) }) {
            return (.unquotedKeyword, "nonce and hash sources must be quoted")
        }
        return Self.isHostSource(text) ? nil : (.invalidSource, "not a valid host source")
    }

    static func swiftName(_ keyword: String) -> String {
        var out = ""
        var upper = false
        for c in keyword {
            if c == "-" {
                upper = true
                continue
            }
            out.append(upper ? Character(c.uppercased()) : c)
            upper = false
        }
        return out
    }

    /// Names a byte that can never appear in a source expression: it would end the source,
    /// the directive, the policy, or the header.
    static func forbiddenCharacter(in s: String) -> String? {
        if s.utf8.isEmpty { return "nothing (it is empty)" }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: ";"): return "';'"
            case UInt8(ascii: ","): return "','"
            case 0x0D: return "CR"
            case 0x0A: return "LF"
            case UInt8(ascii: "'"): return "a single quote"
            case UInt8(ascii: "\""): return "a double quote"
            case 0x20, 0x09: return "whitespace"
            case 0..<0x20, 0x7F: return "a control character"
            case 0x80...: return "a non-ASCII byte (use the punycode form of the host)"
            default: continue
            }
        }
        return nil
    }

    static func isHostSource(_ source: String) -> Bool {
        var rest = Substring(source)
        if source == "*" { return true }
        // Optional scheme-part "://".
        if let range = rest.firstRange(of: "://") {
            guard isScheme(rest[..<range.lowerBound].utf8) else { return false }
            rest = rest[range.upperBound...]
        }
        // Split off the path at the first "/".
        var path: Substring = ""
        if let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) {
            path = rest[slash...]
            rest = rest[..<slash]
        }
        // Optional port: host-part cannot contain ":" (IPv6 literals are not allowed by CSP).
        if let colon = rest.utf8.firstIndex(of: UInt8(ascii: ":")) {
            let port = rest[rest.utf8.index(after: colon)...]
            rest = rest[..<colon]
            guard
                port == "*" || (!port.isEmpty && port.utf8.count <= 5 && port.utf8.allSatisfy(HeaderGrammar.isDigit) && (Int(port) ?? .max) <= 65535)
            else { return false }
        }
        guard isHostPart(rest) else { return false }
        // path-part: path-absolute without "//" at the start; query and fragment are not allowed.
        if !path.isEmpty {
            if path.utf8.starts(with: "//".utf8) { return false }
            if path.utf8.contains(UInt8(ascii: "?")) || path.utf8.contains(UInt8(ascii: "#")) { return false }
        }
        return true
    }

    static func isHostPart(_ host: Substring) -> Bool {
        if host == "*" { return true }
        var labels = host
        if labels.utf8.starts(with: "*.".utf8) { labels = labels.dropFirst(2) }
        if labels.utf8.last == UInt8(ascii: ".") { labels = labels.dropLast() }
        guard !labels.isEmpty else { return false }
        for label in labels.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.allSatisfy({ HeaderGrammar.isAlpha($0) || HeaderGrammar.isDigit($0) || $0 == UInt8(ascii: "-") }) else {
                return false
            }
        }
        return true
    }
}

/// A digest algorithm for CSP hash sources.
///
/// See [CSP Level 3 §2.3.1](https://www.w3.org/TR/CSP3/#grammardef-hash-algorithm).
public struct CSPHashAlgorithm: Hashable, Sendable {
    enum Base: Hashable, Sendable { case sha256, sha384, sha512 }
    let base: Base
    /// SHA-256.
    public static let sha256 = CSPHashAlgorithm(base: .sha256)
    /// SHA-384.
    public static let sha384 = CSPHashAlgorithm(base: .sha384)
    /// SHA-512.
    public static let sha512 = CSPHashAlgorithm(base: .sha512)

    static let all: [CSPHashAlgorithm] = [.sha256, .sha384, .sha512]

    /// The name used in the source expression, such as `sha256`.
    public var name: String {
        switch base {
        case .sha256: "sha256"
        case .sha384: "sha384"
        case .sha512: "sha512"
        }
    }

    var digestLength: Int {
        switch base {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }
}
