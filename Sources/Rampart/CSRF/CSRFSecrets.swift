import Crypto

/// Derives each session's CSRF secret from its id: `HMAC-SHA256(k_csrf, "rampart-csrf" ‖ id)`, with
/// the id's 43 characters, under the ``KeyPurpose/csrfSecret`` sub-key of each master key. The
/// label and the id fill exactly one SHA-256 block, so a derivation is two compressions.
///
/// Nothing is stored: an anonymous visitor who is shown a form costs no database row, and a
/// leaked database holds no secret a token could be forged from. The secret changes whenever the
/// id does (login, logout, privilege change), so tokens issued before a login die with it. It is
/// as secret as the id itself, which never leaves the signed, `HttpOnly` cookie.
///
/// Masked tokens are checked against the secret under every key of the ring, current first, so
/// forms rendered before a key rotation still submit after it.
///
/// See [OWASP CSRF Prevention Cheat Sheet: synchronizer tokens](https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html#synchronizer-token-pattern)
/// and [RFC 2104](https://www.rfc-editor.org/rfc/rfc2104).
public struct CSRFSecrets: Sendable {
    let keys: [PreparedHMAC]

    /// 12 bytes: with the 43-byte id, 55, the most one SHA-256 block holds with its padding.
    private static let context = Array("rampart-csrf".utf8)

    /// Prepares the derivation under every key of the ring, current first.
    public init(keyRing: KeyRing) {
        keys = keyRing.all.map { PreparedHMAC(key: $0.derivedKey(for: .csrfSecret), prefix: Self.context) }
    }

    init(keys: [PreparedHMAC]) { self.keys = keys }

    /// For sessions made outside a ``SessionManager``: a random key for this process.
    static let detached = CSRFSecrets(keys: [PreparedHMAC(key: SymmetricKey(size: .bits256))])

    /// The 32-byte secret of the session `id`, under the current key.
    public func secret(for id: SessionID) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            derive(id, key: keys[0], into: UnsafeMutableRawBufferPointer(buffer))
            count = 32
        }
    }

    /// A fresh masked token for the session `id` (``MaskedToken``).
    public func maskedToken(for id: SessionID) -> String {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 16) { secret in
            derive(id, key: keys[0], into: secret)
            defer { secret.initializeMemory(as: UInt8.self, repeating: 0) }
            return MaskedToken.make(secret: UnsafeRawBufferPointer(secret))
        }
    }

    /// Verifies a masked token for the session `id` against the secret under each key. Returns
    /// `nil` when it matches.
    public func verify(maskedToken token: String, for id: SessionID) -> CSRFError? {
        MaskedToken.verify(token) { unmasked in
            withUnsafeTemporaryAllocation(byteCount: 32, alignment: 16) { secret in
                defer { secret.initializeMemory(as: UInt8.self, repeating: 0) }
                var matched = false
                // Every key is tried, so the time does not say which one matched.
                for key in keys {
                    derive(id, key: key, into: secret)
                    matched = constantTimeEquals(UnsafeRawBufferPointer(secret), unmasked) || matched
                }
                return matched
            }
        }
    }

    private func derive(_ id: SessionID, key: PreparedHMAC, into out: UnsafeMutableRawBufferPointer) {
        key.authenticate(into: out) { hmac in id.withUTF8 { hmac.add($0) } }
    }
}
