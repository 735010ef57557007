import Crypto

/// The two keyed primitives Rampart builds on, in one place so they are tested against their
/// published vectors: HMAC-SHA256 (RFC 4231) and HKDF-SHA256 (RFC 5869).
package enum Primitives {
    /// HMAC-SHA256 of `message` under `key`.
    ///
    /// See [RFC 2104](https://www.rfc-editor.org/rfc/rfc2104) and [RFC 4231](https://www.rfc-editor.org/rfc/rfc4231).
    package static func hmacSHA256(key: SymmetricKey, message: some Collection<UInt8>) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message), using: key))
    }

    /// Verifies an HMAC-SHA256 in constant time.
    package static func isValidHMACSHA256(_ mac: some Collection<UInt8>, key: SymmetricKey, message: some Collection<UInt8>) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(Array(mac), authenticating: Array(message), using: key)
    }

    /// HKDF-SHA256 (extract, then expand) of `outputByteCount` bytes.
    ///
    /// See [RFC 5869](https://www.rfc-editor.org/rfc/rfc5869).
    package static func hkdfSHA256(inputKeyMaterial: SymmetricKey, salt: some Collection<UInt8>, info: some Collection<UInt8>, outputByteCount: Int) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: inputKeyMaterial, salt: Array(salt), info: Array(info), outputByteCount: outputByteCount)
    }
}
