import Synchronization

/// A per-request CSP nonce: 128 bits from the CSPRNG, Base64-encoded.
///
/// A fresh nonce is drawn for every response, so an attacker who can inject markup cannot
/// predict the value that would make their `<script>` run. Put it on your own inline elements
/// as `<script nonce="…">`; HTML attribute escaping is unnecessary because the
/// alphabet is `A–Z a–z 0–9 + / =`.
///
/// See [CSP Level 3 §2.3.1 nonce-source](https://www.w3.org/TR/CSP3/#grammardef-nonce-source) and
/// [MDN: nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce).
public struct CSPNonce: Hashable, Sendable, CustomStringConvertible {
    /// The Base64 text of the nonce: 24 characters that decode to 16 bytes.
    public let value: String

    /// The number of random bytes in a nonce.
    public static let byteCount = 16

    /// Draws a fresh nonce from the CSPRNG (``SecureRandom``).
    public init() {
        var bytes: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &bytes) { SecureRandom.fill($0) }
        self.value = withUnsafeBytes(of: bytes) { Base64.encode($0) }
    }

    /// Wraps an existing nonce value, for tests and for frameworks that draw their own.
    /// Returns `nil` unless the value is Base64 that decodes to at least 16 bytes.
    public init?(_ value: String) {
        guard let bytes = Base64.decode(value), bytes.count >= CSPNonce.byteCount,
            value.utf8.allSatisfy({
                HeaderGrammar.isAlpha($0) || HeaderGrammar.isDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/")
                    || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            })
        else { return nil }
        self.value = value
    }

    public var description: String { value }
}

/// One response's nonce, drawn only when something uses it: a template that stamps it, a
/// handler that reads it. A response whose nonce was never used gets a CSP without
/// `'nonce-…'` sources and may be cached; one whose nonce was used gets `Cache-Control:
/// no-store` (``RenderedSecurityHeaders/apply(to:nonce:isSecure:status:)``), so no shared cache
/// ever hands one visitor's nonce to another.
///
/// See [MDN: nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce)
/// and [CSP Level 3 §7.2, nonce reuse](https://www.w3.org/TR/CSP3/#security-nonces).
public final class LazyCSPNonce: Sendable {
    private let state = Mutex<CSPNonce?>(nil)

    /// A slot with no nonce drawn yet.
    public init() {}

    /// The nonce, drawn from the CSPRNG now if nothing has used it yet. Reading it marks the
    /// response as carrying a nonce.
    public var nonce: CSPNonce {
        state.withLock { drawn in
            if let drawn { return drawn }
            let fresh = CSPNonce()
            drawn = fresh
            return fresh
        }
    }

    /// The nonce if something used it, or `nil`; does not draw one.
    public var nonceIfUsed: CSPNonce? { state.withLock { $0 } }
}
