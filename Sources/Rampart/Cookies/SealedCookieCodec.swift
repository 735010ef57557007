import Crypto

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

    let keys: [(id: String, key: SymmetricKey)]
    let algorithm: Algorithm
    let clock: WallClock

    private static let context = Array("rampart-sealed-cookie-v1".utf8) + [0]

    /// Creates a codec whose keys are derived from the ring for ``KeyPurpose/cookieSealing``.
    public init(keyRing: KeyRing, algorithm: Algorithm = .aesGCM256, clock: WallClock = .system) {
        self.keys = keyRing.all.map { ($0.id, $0.derivedKey(for: .cookieSealing)) }
        self.algorithm = algorithm
        self.clock = clock
    }

    /// Seals `value` for the cookie `name`, optionally expiring at `expiresAt` (Unix seconds).
    public func seal(_ value: some Collection<UInt8>, name: String, expiresAt: Int64? = nil) throws -> String {
        let (id, key) = keys[0]
        let plaintext = CookieEnvelope.encode(name: name, expiresAt: expiresAt, value: value)
        let aad = Self.context + Array(id.utf8)
        let combined: [UInt8]
        switch algorithm.base {
        case .aesGCM:
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: aad)
            combined = Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
        case .chaChaPoly:
            let box = try ChaChaPoly.seal(plaintext, using: key, authenticating: aad)
            combined = Array(box.combined)
        }
        return "\(algorithm.marker).\(id).\(Base64.encode(combined, urlSafe: true))"
    }

    /// Seals a string value.
    public func seal(_ value: String, name: String, expiresAt: Int64? = nil) throws -> String {
        try seal(Array(value.utf8), name: name, expiresAt: expiresAt)
    }

    /// Opens a cookie made by ``seal(_:name:expiresAt:)``, or says why it was refused. Never
    /// throws and never traps, whatever the input.
    public func open(_ cookie: String, name: String) -> Result<[UInt8], CookieRefusal> {
        let parts = cookie.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].elementsEqual(algorithm.marker.utf8) else { return .failure(.malformed) }
        let keyID = String(Substring(parts[1]))
        guard let key = keys.first(where: { $0.id == keyID })?.key else {
            return .failure(keyID.isEmpty ? .malformed : .unknownKey)
        }
        guard let combined = Base64.decode(Substring(parts[2])), combined.count >= 12 + 16 else { return .failure(.malformed) }
        let aad = Self.context + Array(keyID.utf8)
        let plaintext: [UInt8]
        do {
            switch algorithm.base {
            case .aesGCM:
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: combined[..<12]), ciphertext: combined[12..<(combined.count - 16)], tag: combined[(combined.count - 16)...])
                plaintext = Array(try AES.GCM.open(box, using: key, authenticating: aad))
            case .chaChaPoly:
                let box = try ChaChaPoly.SealedBox(combined: combined)
                plaintext = Array(try ChaChaPoly.open(box, using: key, authenticating: aad))
            }
        } catch {
            return .failure(.badSignature)
        }
        return CookieEnvelope.decode(plaintext, expectedName: name, now: clock.now())
    }

    /// Opens and decodes the value as UTF-8 text.
    public func openString(_ cookie: String, name: String) -> Result<String, CookieRefusal> {
        open(cookie, name: name).map { String(decoding: $0, as: UTF8.self) }
    }
}
