import Crypto

/// Signs and verifies cookie values with HMAC-SHA256: readable by the client, but not changeable.
///
/// Format: `v1.<keyId>.<payload>.<mac>`, with the payload and MAC in base64url. The payload
/// carries the cookie name and an optional expiry with the value, and the MAC covers all three,
/// so a value cannot be moved to another cookie or outlive its expiry. Verification accepts any
/// key in the ring, and says why a cookie was refused.
///
/// Use it for values that are not secret (a session id is fine: it is random, and the signature
/// stops guessing and forging). For secrets, use ``SealedCookieCodec``.
///
/// See [RFC 2104](https://www.rfc-editor.org/rfc/rfc2104) (HMAC),
/// [RFC 4231](https://www.rfc-editor.org/rfc/rfc4231) and
/// [MDN: Using HTTP cookies](https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Cookies).
public struct SignedCookieCodec: Sendable {
    let keys: [(id: String, key: SymmetricKey)]
    let clock: WallClock

    private static let context = Array("rampart-signed-cookie-v1".utf8) + [0]

    /// Creates a codec whose keys are derived from the ring for ``KeyPurpose/cookieSigning``.
    public init(keyRing: KeyRing, clock: WallClock = .system) {
        self.keys = keyRing.all.map { ($0.id, $0.derivedKey(for: .cookieSigning)) }
        self.clock = clock
    }

    /// Signs `value` for the cookie `name`, optionally expiring at `expiresAt` (Unix seconds).
    public func sign(_ value: some Collection<UInt8>, name: String, expiresAt: Int64? = nil) -> String {
        let (id, key) = keys[0]
        let payload = CookieEnvelope.encode(name: name, expiresAt: expiresAt, value: value)
        let mac = Primitives.hmacSHA256(key: key, message: Self.macInput(keyID: id, payload: payload))
        return "v1.\(id).\(Base64.encode(payload, urlSafe: true)).\(Base64.encode(mac, urlSafe: true))"
    }

    /// Signs a string value.
    public func sign(_ value: String, name: String, expiresAt: Int64? = nil) -> String {
        sign(Array(value.utf8), name: name, expiresAt: expiresAt)
    }

    /// Verifies a cookie made by ``sign(_:name:expiresAt:)`` and returns its value, or why it
    /// was refused. Never throws and never traps, whatever the input.
    public func verify(_ cookie: String, name: String) -> Result<[UInt8], CookieRefusal> {
        let parts = cookie.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].elementsEqual("v1".utf8) else { return .failure(.malformed) }
        let keyID = Substring(parts[1])
        guard let key = keys.first(where: { $0.id.utf8.elementsEqual(keyID.utf8) })?.key else {
            return .failure(parts[1].isEmpty ? .malformed : .unknownKey)
        }
        guard let payload = Base64.decode(Substring(parts[2])), let mac = Base64.decode(Substring(parts[3])), mac.count == 32 else {
            return .failure(.malformed)
        }
        guard Primitives.isValidHMACSHA256(mac, key: key, message: Self.macInput(keyID: String(keyID), payload: payload)) else {
            return .failure(.badSignature)
        }
        return CookieEnvelope.decode(payload, expectedName: name, now: clock.now())
    }

    /// Verifies and decodes the value as UTF-8 text.
    public func verifyString(_ cookie: String, name: String) -> Result<String, CookieRefusal> {
        verify(cookie, name: name).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func macInput(keyID: String, payload: [UInt8]) -> [UInt8] {
        context + Array(keyID.utf8) + [0] + payload
    }
}
