import Rampart

/// Reads a `Strict-Transport-Security` value directive by directive, on UTF-8 bytes: the one
/// reader behind the audit's HSTS test (``ObservatoryAudit``) and the deployment check's HSTS
/// lint (``DeploymentCheck/checkStrictTransportSecurity(_:)``).
///
/// ```
/// Strict-Transport-Security = [ directive ] *( ";" [ directive ] )
/// directive                 = directive-name [ "=" directive-value ]
/// directive-name            = token
/// directive-value           = token / quoted-string
/// ```
/// (RFC 6797 §6.1.) The reader only splits; each caller applies its own rules (the
/// Observatory's grader, or the RFC as browsers read it). Every step works on bytes, never on
/// `Character`s, so a combining mark or joiner after `max-age`, `=` or a quote stays in the name
/// or value and spoils it, instead of merging with the delimiter into one `Character`.
///
/// See [RFC 6797 §6.1](https://www.rfc-editor.org/rfc/rfc6797#section-6.1).
enum StrictTransportSecurityReader {
    /// One directive: `name` or `name=value`.
    struct Directive: Equatable {
        /// The name, without optional whitespace, ASCII-lowercased (names are case-insensitive).
        let name: String
        /// The text after the first `=`, without optional whitespace and, when it is quoted
        /// (a `"` byte at both ends), without its quotes; `nil` when there is no `=`.
        let value: Substring?
    }

    /// The directives of a value, in order, repeats included; empty ones (`;;`) are skipped.
    static func directives(_ value: Substring) -> [Directive] {
        let quote = UInt8(ascii: "\"")
        var directives: [Directive] = []
        for part in HeaderGrammar.split(value, on: UInt8(ascii: ";")) where !part.isEmpty {
            guard let equals = part.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                directives.append(Directive(name: HeaderGrammar.asciiLowercased(part), value: nil))
                continue
            }
            let name = HeaderGrammar.asciiLowercased(HeaderGrammar.trimOWS(part[..<equals]))
            var text = HeaderGrammar.trimOWS(part[part.utf8.index(after: equals)...])
            if text.utf8.count >= 2, text.utf8.first == quote, text.utf8.last == quote {
                text = text[text.utf8.index(after: text.startIndex)..<text.utf8.index(before: text.endIndex)]
            }
            directives.append(Directive(name: name, value: text))
        }
        return directives
    }

    /// A `max-age` value as seconds: one to `maximumDigits` ASCII digits and nothing else
    /// (`delta-seconds`, RFC 6797 §6.1.1); `nil` otherwise.
    static func seconds(_ value: Substring, maximumDigits: Int) -> Int? {
        guard !value.utf8.isEmpty, value.utf8.count <= maximumDigits, value.utf8.allSatisfy(HeaderGrammar.isDigit) else { return nil }
        return Int(value)
    }
}
