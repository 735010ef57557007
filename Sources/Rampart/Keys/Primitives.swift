import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The two keyed primitives Rampart builds on, in one place so they are tested against their
/// published vectors: HMAC-SHA256 (RFC 4231) and HKDF-SHA256 (RFC 5869).
package enum Primitives {
    /// HMAC-SHA256 of `message` under `key`.
    ///
    /// See [RFC 2104](https://www.rfc-editor.org/rfc/rfc2104) and [RFC 4231](https://www.rfc-editor.org/rfc/rfc4231).
    package static func hmacSHA256(key: SymmetricKey, message: some Collection<UInt8>) -> [UInt8] {
        PreparedHMAC(key: key).authenticate(message)
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

/// An HMAC-SHA256 keyed once: the inner and outer hash states after the key block are kept, and
/// each MAC starts from a copy of them, so a MAC costs its message blocks and nothing for the key.
///
/// It holds key-derived state: like `SymmetricKey`, it has no description that shows it.
///
/// See [RFC 2104 §4](https://www.rfc-editor.org/rfc/rfc2104#section-4) (precomputed pads).
package struct PreparedHMAC: Sendable {
    private let keyed: HMAC<SHA256>

    /// The MAC length in bytes.
    package static let byteCount = 32

    /// Keys the HMAC.
    package init(key: SymmetricKey) {
        keyed = HMAC<SHA256>(key: key)
    }

    /// The MAC of the bytes that `feed` passes to its argument, in order.
    @inline(__always)
    package func code(_ feed: (inout HMAC<SHA256>) -> Void) -> HashedAuthenticationCode<SHA256> {
        var hmac = keyed
        feed(&hmac)
        return hmac.finalize()
    }

    /// The MAC of `message` as bytes.
    package func authenticate(_ message: some Collection<UInt8>) -> [UInt8] {
        let mac = code { hmac in
            if message.withContiguousStorageIfAvailable({ hmac.add(UnsafeRawBufferPointer($0)) }) == nil {
                Array(message).withUnsafeBytes { hmac.add($0) }
            }
        }
        return mac.withUnsafeBytes { Array($0) }
    }

    /// Writes the MAC of what `feed` passes into `out` (32 bytes).
    @inline(__always)
    package func authenticate(into out: UnsafeMutableRawBufferPointer, _ feed: (inout HMAC<SHA256>) -> Void) {
        precondition(out.count >= Self.byteCount)
        code(feed).withUnsafeBytes { out.copyMemory(from: $0) }
    }

    /// Whether `mac` is the MAC of what `feed` passes, compared in constant time.
    @inline(__always)
    package func isValid(_ mac: UnsafeRawBufferPointer, _ feed: (inout HMAC<SHA256>) -> Void) -> Bool {
        code(feed).withUnsafeBytes { constantTimeEquals($0, mac) }
    }
}

extension HMAC where H == SHA256 {
    /// Adds bytes to the message.
    @inline(__always)
    package mutating func add(_ bytes: UnsafeRawBufferPointer) {
        update(data: bytes)
    }
}
