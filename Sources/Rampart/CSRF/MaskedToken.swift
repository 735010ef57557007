/// Masked session CSRF tokens: a new-looking token on every render for one session secret.
///
/// The session's secret `s` is 32 bytes. Each render emits `base64url(m ‖ (m ⊕ s))` with 32
/// fresh random bytes `m`, so the token in a compressed HTTPS response differs every time and
/// BREACH-style compression oracles learn nothing. Verification decodes the token, refuses any
/// that is not exactly 64 bytes, unmasks it, and compares with `s` in constant time. Both
/// directions work in stack buffers: no allocation but the token text.
///
/// See [OWASP CSRF Prevention Cheat Sheet: synchronizer tokens](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html#synchronizer-token-pattern)
/// and [BREACH](https://www.breachattack.com/).
public enum MaskedToken {
    /// The longest token text looked at; anything longer is refused before decoding.
    public static let maximumLength = 128
    /// The length of a token's text: 64 bytes in base64url.
    public static let textLength = 86

    /// A fresh masked token for `secret`.
    public static func make(secret: [UInt8]) -> String {
        precondition(secret.count == 32, "a CSRF secret is 32 bytes")
        return secret.withUnsafeBytes { make(secret: $0) }
    }

    /// A fresh masked token for a 32-byte secret.
    package static func make(secret: UnsafeRawBufferPointer) -> String {
        precondition(secret.count == 32, "a CSRF secret is 32 bytes")
        return withUnsafeTemporaryAllocation(byteCount: 64, alignment: 16) { bytes in
            SecureRandom.fill(UnsafeMutableRawBufferPointer(rebasing: bytes[..<32]))
            for i in 0..<32 { bytes[32 + i] = bytes[i] ^ secret[i] }
            let token = Base64.encode(UnsafeRawBufferPointer(bytes), urlSafe: true)
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
            return token
        }
    }

    /// Verifies a token against the session's secret. Returns `nil` when it matches.
    public static func verify(_ token: String, secret: [UInt8]) -> CSRFError? {
        secret.withUnsafeBytes { secret in
            verify(token) { unmasked in constantTimeEquals(unmasked, secret) }
        }
    }

    /// Decodes and unmasks a token, then asks `matches` whether the unmasked 32 bytes are the
    /// secret (for a secret that may be derived under one of several keys). Returns `nil` when
    /// it matches.
    package static func verify(_ token: String, matches: (UnsafeRawBufferPointer) -> Bool) -> CSRFError? {
        guard !token.isEmpty else { return .missingToken }
        let length = token.utf8.count
        guard length <= maximumLength, length == textLength else { return .badToken }
        let result = token.utf8.withContiguousStorageIfAvailable { text in
            withUnsafeTemporaryAllocation(byteCount: 64, alignment: 16) { bytes -> CSRFError? in
                guard Base64.decodeURLSafe(text, into: bytes) == 64 else { return .badToken }
                for i in 0..<32 { bytes[i] ^= bytes[32 + i] }
                return matches(UnsafeRawBufferPointer(rebasing: bytes[..<32])) ? nil : .badToken
            }
        }
        if let result { return result }
        var copy = token
        copy.makeContiguousUTF8()
        return verify(copy, matches: matches)
    }
}
