import Rampart

/// Reads `Content-Security-Policy` text into directives, on UTF-8 bytes: the one reader behind
/// the audit's CSP test (``ObservatoryAudit``, through `AuditedCSP`) and the deployment check's
/// CSP lint (``DeploymentCheck/checkContentSecurityPolicy(_:)``).
///
/// ```
/// serialized-policy     = serialized-directive *( OWS ";" [ OWS serialized-directive ] )
/// serialized-directive  = directive-name [ RWS directive-value ]
/// ```
/// (CSP Level 3 §2.2.1.) A header field holds several policies separated by `,` (§3.1). Source
/// lists are split on ASCII whitespace bytes, as browsers do: `" \u{301}"` is a space and then
/// a (bad) source, not one `Character`. Names and sources are ASCII-lowercased. The reader only
/// splits; each caller decides what a repeated directive means.
///
/// See [CSP Level 3 §2.2.1](https://www.w3.org/TR/CSP3/#parse-serialized-policy).
enum ContentSecurityPolicyReader {
    /// One directive: its name and its sources, both ASCII-lowercased.
    struct Directive: Equatable {
        /// The directive name, such as `script-src`.
        let name: String
        /// The source expressions, in order.
        let sources: [String]

        /// Whether the directive is all ASCII. CSP Level 3 §2.2.1 step 3.2 skips a directive
        /// holding any other character, and Chromium does so (checked with Chromium 156: in
        /// `script-src 'none' é; default-src 'unsafe-inline'` an inline script runs). Firefox keeps
        /// the directive and ignores the bad source (`nsCSPParser`), so the two disagree.
        var isASCII: Bool {
            name.utf8.allSatisfy { $0 < 0x80 } && sources.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        }
    }

    /// The policies of some header fields: each field split on `,`, each piece trimmed.
    static func policies(_ fields: [String]) -> [Substring] {
        fields.flatMap { HeaderGrammar.split(Substring($0), on: UInt8(ascii: ",")) }
    }

    /// The directives of one policy, in order, repeats included; a piece with no word is skipped.
    static func directives(_ policy: Substring) -> [Directive] {
        var directives: [Directive] = []
        for part in HeaderGrammar.split(policy, on: UInt8(ascii: ";")) where !part.isEmpty {
            let words = part.utf8.split(whereSeparator: isASCIIWhitespace).map { HeaderGrammar.asciiLowercased(Substring($0)) }
            guard let name = words.first else { continue }
            directives.append(Directive(name: name, sources: Array(words.dropFirst())))
        }
        return directives
    }

    /// Space, tab, LF, FF and CR: the ASCII whitespace of the Infra standard.
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D
    }

    /// A directive name fit to quote in a message: each non-ASCII scalar written `\u{…}`, so no
    /// bidirectional override or look-alike reaches a terminal, and cut at 40 scalars.
    static func printable(_ name: String) -> String {
        var out = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            guard index < 40 else { return out + "..." }
            if scalar.isASCII && scalar.value >= 0x20 && scalar.value != 0x7F {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    /// Whether a (lowercased) source is a nonce or a hash: `'nonce-…'`, `'sha256-…'`,
    /// `'sha384-…'` or `'sha512-…'`. Byte comparisons: a combining mark cannot hide the prefix.
    static func isNonceOrHash(_ source: String) -> Bool {
        ["'nonce-", "'sha256-", "'sha384-", "'sha512-"].contains { source.utf8.starts(with: $0.utf8) }
    }
}
