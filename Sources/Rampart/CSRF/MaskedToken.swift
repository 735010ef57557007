/// Masked session CSRF tokens: a new-looking token on every render for one session secret.
///
/// The session holds a 32-byte secret `s`. Each render emits `base64url(m ‖ (m ⊕ s))` with 32
/// fresh random bytes `m`, so the token in a compressed HTTPS response differs every time and
/// BREACH-style compression oracles learn nothing. Verification decodes the token, refuses any
/// that is not exactly 64 bytes, unmasks it, and compares with `s` in constant time.
///
/// See [OWASP CSRF Prevention Cheat Sheet: synchronizer tokens](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html#synchronizer-token-pattern)
/// and [BREACH](https://www.breachattack.com/).
public enum MaskedToken {
    /// The longest token text looked at; anything longer is refused before decoding.
    public static let maximumLength = 128

    /// A fresh masked token for `secret`.
    public static func make(secret: [UInt8]) -> String {
        precondition(secret.count == 32, "a CSRF secret is 32 bytes")
        let mask = SecureRandom.bytes(32)
        var bytes = mask
        bytes.reserveCapacity(64)
        for i in 0..<32 { bytes.append(mask[i] ^ secret[i]) }
        return Base64.encode(bytes, urlSafe: true)
    }

    /// Verifies a token against the session's secret. Returns `nil` when it matches.
    public static func verify(_ token: String, secret: [UInt8]) -> CSRFError? {
        guard !token.isEmpty else { return .missingToken }
        guard token.utf8.count <= maximumLength, let bytes = Base64.decode(token), bytes.count == 64, secret.count == 32 else {
            return .badToken
        }
        var unmasked = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 { unmasked[i] = bytes[i] ^ bytes[32 + i] }
        return constantTimeEquals(unmasked, secret) ? nil : .badToken
    }
}
