import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Seals and opens cookie values with authenticated encryption: the client can neither read nor
/// change them.
///
/// Format: `v1.<keyId>.<nonce ‖ ciphertext ‖ tag>` for AES-GCM-256, or `c1.…` for
/// ChaCha20-Poly1305, in base64url. The sealed bytes hold the cookie name and an optional expiry
/// with the value, and the key id is authenticated as associated data; so a value moved to
/// another cookie, or kept past its expiry, is refused. Each seal draws a fresh random nonce.
///
/// See [RFC 5116](https://www.rfc-editor.org/rfc/rfc5116) (AEAD),
/// [NIST SP 800-38D](https://csrc.nist.gov/pubs/sp/800/38/d/final) (GCM),
/// [RFC 8439](https://www.rfc-editor.org/rfc/rfc8439) (ChaCha20-Poly1305) and
/// [MDN: Using HTTP cookies](https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Cookies).
public struct SealedCookieCodec: Sendable {
    /// The AEAD algorithm.
    public struct Algorithm: Hashable, Sendable {
        enum Base: Hashable, Sendable { case aesGCM, chaChaPoly }
        let base: Base
        /// AES-GCM with a 256-bit key, the default.
        public static let aesGCM256 = Algorithm(base: .aesGCM)
        /// ChaCha20-Poly1305, faster where AES has no hardware support.
        public static let chaChaPoly = Algorithm(base: .chaChaPoly)

        var marker: String { base == .aesGCM ? "v1" : "c1" }
    }

    /// One master key's material for this codec (a class, so a lookup costs one reference).
    final class Key: Sendable {
        let id: String
        let idBytes: [UInt8]
        /// `rampart-sealed-cookie-v1 ‖ 0 ‖ keyId`: the associated data.
        let associatedData: [UInt8]
        let key: SymmetricKey

        init(id: String, idBytes: [UInt8], associatedData: [UInt8], key: SymmetricKey) {
            self.id = id
            self.idBytes = idBytes
            self.associatedData = associatedData
            self.key = key
        }
    }

    let keys: [Key]
    let algorithm: Algorithm
    let clock: WallClock

    private static let context = Array("rampart-sealed-cookie-v1".utf8) + [0]

    /// Creates a codec whose keys are derived from the ring for ``KeyPurpose/cookieSealing``.
    public init(keyRing: KeyRing, algorithm: Algorithm = .aesGCM256, clock: WallClock = .system) {
        self.keys = keyRing.all.map { key in
            Key(id: key.id, idBytes: Array(key.id.utf8), associatedData: Self.context + Array(key.id.utf8), key: key.derivedKey(for: .cookieSealing))
        }
        self.algorithm = algorithm
        self.clock = clock
    }

    /// Seals `value` for the cookie `name`, optionally expiring at `expiresAt` (Unix seconds).
    public func seal(_ value: some Collection<UInt8>, name: String, expiresAt: Int64? = nil) throws -> String {
        let key = keys[0]
        let plaintext = CookieEnvelope.encode(name: name, expiresAt: expiresAt, value: value)
        let combined: Data
        switch algorithm.base {
        case .aesGCM:
            // A fresh 96-bit nonce from the CSPRNG for every seal; a 96-bit nonce always has a
            // combined form.
            guard let bytes = try AES.GCM.seal(plaintext, using: key.key, authenticating: key.associatedData).combined else {
                throw CryptoKitError.incorrectParameterSize
            }
            combined = bytes
        case .chaChaPoly:
            combined = try ChaChaPoly.seal(plaintext, using: key.key, authenticating: key.associatedData).combined
        }
        return "\(algorithm.marker).\(key.id).\(Base64.encode(combined, urlSafe: true))"
    }

    /// Seals a string value.
    public func seal(_ value: String, name: String, expiresAt: Int64? = nil) throws -> String {
        try seal(Array(value.utf8), name: name, expiresAt: expiresAt)
    }

    /// Opens a cookie made by ``seal(_:name:expiresAt:)-(Collection<UInt8>,_,_)``, or says why it was refused. Never
    /// throws and never traps, whatever the input.
    public func open(_ cookie: String, name: String) -> Result<[UInt8], CookieRefusal> {
        if let result = cookie.utf8.withContiguousStorageIfAvailable({ open(bytes: $0, name: name) }) { return result }
        return Array(cookie.utf8).withUnsafeBufferPointer { open(bytes: $0, name: name) }
    }

    func open(bytes text: UnsafeBufferPointer<UInt8>, name: String) -> Result<[UInt8], CookieRefusal> {
        // Exactly three dot-separated parts: the marker, the key id, the sealed bytes.
        let marker = algorithm.base == .aesGCM ? (UInt8(ascii: "v"), UInt8(ascii: "1")) : (UInt8(ascii: "c"), UInt8(ascii: "1"))
        guard let parts = CookieText.parts(of: text, marker: marker, count: 3) else { return .failure(.malformed) }
        let keyID = UnsafeBufferPointer(rebasing: text[parts.keyID])
        guard let key = keys.first(where: { bytesEqual($0.idBytes, keyID) }) else { return .failure(.unknownKey) }
        let sealedText = UnsafeBufferPointer(rebasing: text[parts.second])
        return withUnsafeTemporaryAllocation(byteCount: sealedText.count / 4 * 3 + 3, alignment: 8) { space in
            guard let count = Base64.decodeURLSafe(sealedText, into: space), count >= 12 + 16 else { return .failure(.malformed) }
            let combined = UnsafeRawBufferPointer(rebasing: space[..<count])
            let plaintext: Data
            do {
                switch algorithm.base {
                case .aesGCM:
                    plaintext = try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key.key, authenticating: key.associatedData)
                case .chaChaPoly:
                    plaintext = try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: combined), using: key.key, authenticating: key.associatedData)
                }
            } catch {
                return .failure(.badSignature)
            }
            return plaintext.withUnsafeBytes { CookieEnvelope.open($0, expectedName: name, now: clock.now()).map { Array($0) } }
        }
    }

    /// Opens and decodes the value as UTF-8 text.
    public func openString(_ cookie: String, name: String) -> Result<String, CookieRefusal> {
        open(cookie, name: name).map { String(decoding: $0, as: UTF8.self) }
    }
}
