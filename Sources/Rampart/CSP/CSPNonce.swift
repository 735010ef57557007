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
/// no-store` (``RenderedSecurityHeaders/apply(to:slot:isSecure:status:)``), so no shared cache
/// ever hands one visitor's nonce to another.
///
/// See [MDN: nonce](https://developer.mozilla.org/en-US/docs/Web/HTML/Reference/Global_attributes/nonce)
/// and [CSP Level 3 §7.2, nonce reuse](https://www.w3.org/TR/CSP3/#security-nonces).
public final class LazyCSPNonce: Sendable {
    private struct State {
        var nonce: CSPNonce?
        var hashes = CSPInlineHashes()
    }
    private let state = Mutex(State())

    /// A slot with no nonce drawn yet.
    public init() {}

    /// The nonce, drawn from the CSPRNG now if nothing has used it yet. Reading it marks the
    /// response as carrying a nonce.
    public var nonce: CSPNonce {
        state.withLock { state in
            if let drawn = state.nonce { return drawn }
            let fresh = CSPNonce()
            state.nonce = fresh
            return fresh
        }
    }

    /// The nonce if something used it, or `nil`; does not draw one.
    public var nonceIfUsed: CSPNonce? { state.withLock { $0.nonce } }

    /// Allows the response's static inline blocks by their hashes: a template engine that
    /// hashed them at load adds them here, and the adapter puts them in the CSP.
    public func allow(_ hashes: CSPInlineHashes) {
        guard !hashes.isEmpty else { return }
        state.withLock { $0.hashes.formUnion(hashes) }
    }

    /// The hashes allowed for this response (empty when none).
    public var hashes: CSPInlineHashes { state.withLock { $0.hashes } }
}

/// The `'sha256-…'` sources of a response's static inline `<script>` and `<style>` blocks, for
/// the policy's script and style directives.
///
/// See [MDN: CSP hashes](https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Content-Security-Policy/script-src#unsafe_hashes)
/// and [CSP Level 3 §2.3.1, hash sources](https://www.w3.org/TR/CSP3/#grammardef-hash-source).
public struct CSPInlineHashes: Sendable, Hashable {
    /// Sources for `<script>` blocks, such as `'sha256-…'`, in order, without duplicates.
    public private(set) var script: [String] = []
    /// Sources for `<style>` blocks.
    public private(set) var style: [String] = []

    /// No hashes.
    public init() {}

    /// Whether there are none.
    public var isEmpty: Bool { script.isEmpty && style.isEmpty }

    /// Adds the hash of a script block's exact text.
    public mutating func addScript(_ text: String) { Self.add(CSPSource.hash(of: text).description, to: &script) }
    /// Adds the hash of a style block's exact text.
    public mutating func addStyle(_ text: String) { Self.add(CSPSource.hash(of: text).description, to: &style) }

    /// Adds a script block's hash computed earlier (when its template loaded), such as
    /// `CSPSource.sha256(base64: …)`. A source that is not a hash is ignored: this list only
    /// ever holds hashes.
    public mutating func addScript(hash: CSPSource) {
        guard hash.isHash else { return }
        Self.add(hash.description, to: &script)
    }
    /// Adds a style block's hash computed earlier; a source that is not a hash is ignored.
    public mutating func addStyle(hash: CSPSource) {
        guard hash.isHash else { return }
        Self.add(hash.description, to: &style)
    }

    /// Adds the other's sources.
    public mutating func formUnion(_ other: CSPInlineHashes) {
        for source in other.script { Self.add(source, to: &script) }
        for source in other.style { Self.add(source, to: &style) }
    }

    private static func add(_ source: String, to list: inout [String]) {
        if !list.contains(source) { list.append(source) }
    }
}
