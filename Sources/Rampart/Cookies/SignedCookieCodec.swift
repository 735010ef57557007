import Crypto

/// Signs and verifies cookie values with HMAC-SHA256: readable by the client, but not changeable.
///
/// Format: `v1.<keyId>.<payload>.<mac>`, with the payload and MAC in base64url. The payload
/// carries the cookie name and an optional expiry with the value, and the MAC covers all three,
/// so a value cannot be moved to another cookie or outlive its expiry. Verification accepts any
/// key in the ring, and says why a cookie was refused.
///
/// Each key's HMAC is keyed once, when the codec is made, and verification decodes into stack
/// buffers: a session cookie verifies in about a microsecond, with one allocation (the value).
///
/// Use it for values that are not secret (a session id is fine: it is random, and the signature
/// stops guessing and forging). For secrets, use ``SealedCookieCodec``.
///
/// See [RFC 2104](https://www.rfc-editor.org/rfc/rfc2104) (HMAC),
/// [RFC 4231](https://www.rfc-editor.org/rfc/rfc4231) and
/// [MDN: Using HTTP cookies](https://developer.mozilla.org/en-US/docs/Web/HTTP/Guides/Cookies).
public struct SignedCookieCodec: Sendable {
    /// One master key's material for this codec (a class, so a lookup costs one reference).
    final class Key: Sendable {
        let id: String
        let idBytes: [UInt8]
        /// Keyed, with `rampart-signed-cookie-v1 ‖ 0 ‖ keyId ‖ 0` (what the MAC covers before the
        /// payload) already absorbed.
        let hmac: PreparedHMAC

        init(id: String, idBytes: [UInt8], hmac: PreparedHMAC) {
            self.id = id
            self.idBytes = idBytes
            self.hmac = hmac
        }
    }

    let keys: [Key]
    let clock: WallClock

    private static let context = Array("rampart-signed-cookie-v1".utf8) + [0]
    /// The longest cookie text looked at; browsers keep at most 4096 bytes per cookie.
    static let maximumLength = 4096

    /// Creates a codec whose keys are derived from the ring for ``KeyPurpose/cookieSigning``.
    public init(keyRing: KeyRing, clock: WallClock = .system) {
        self.keys = keyRing.all.map { key in
            Key(
                id: key.id,
                idBytes: Array(key.id.utf8),
                hmac: PreparedHMAC(key: key.derivedKey(for: .cookieSigning), prefix: Self.context + Array(key.id.utf8) + [0])
            )
        }
        self.clock = clock
    }

    /// Signs `value` for the cookie `name`, optionally expiring at `expiresAt` (Unix seconds).
    public func sign(_ value: some Collection<UInt8>, name: String, expiresAt: Int64? = nil) -> String {
        let key = keys[0]
        let payload = CookieEnvelope.encode(name: name, expiresAt: expiresAt, value: value)
        return payload.withUnsafeBytes { payload in
            let payloadLength = Base64.encodedLength(payload.count, urlSafe: true)
            let macLength = Base64.encodedLength(PreparedHMAC.byteCount, urlSafe: true)
            let total = 3 + key.idBytes.count + 1 + payloadLength + 1 + macLength
            return String(unsafeUninitializedCapacity: total) { out in
                var o = 0
                func put(_ bytes: UnsafeRawBufferPointer) {
                    UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[o...])).copyMemory(from: bytes)
                    o += bytes.count
                }
                out[0] = UInt8(ascii: "v")
                out[1] = UInt8(ascii: "1")
                out[2] = UInt8(ascii: ".")
                o = 3
                key.idBytes.withUnsafeBytes { put($0) }
                out[o] = UInt8(ascii: ".")
                o += 1
                o += Base64.encode(payload, into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[o...])), urlSafe: true)
                out[o] = UInt8(ascii: ".")
                o += 1
                withUnsafeTemporaryAllocation(byteCount: PreparedHMAC.byteCount, alignment: 8) { mac in
                    key.hmac.authenticate(into: mac) { hmac in
                        hmac.add(payload)
                    }
                    o += Base64.encode(
                        UnsafeRawBufferPointer(mac),
                        into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[o...])),
                        urlSafe: true
                    )
                }
                return o
            }
        }
    }

    /// Signs a string value.
    public func sign(_ value: String, name: String, expiresAt: Int64? = nil) -> String {
        sign(Array(value.utf8), name: name, expiresAt: expiresAt)
    }

    /// Verifies a cookie made by ``sign(_:name:expiresAt:)-(Collection<UInt8>,_,_)`` and returns its value, or why it
    /// was refused. Never throws and never traps, whatever the input.
    public func verify(_ cookie: String, name: String) -> Result<[UInt8], CookieRefusal> {
        verify(cookie, name: name) { Array($0) }
    }

    /// Verifies and decodes the value as UTF-8 text.
    public func verifyString(_ cookie: String, name: String) -> Result<String, CookieRefusal> {
        verify(cookie, name: name) { String(decoding: $0, as: UTF8.self) }
    }

    /// Verifies a cookie and hands its value to `body` without copying it.
    package func verify<Value>(_ cookie: String, name: String, _ body: (UnsafeRawBufferPointer) -> Value) -> Result<Value, CookieRefusal> {
        if let result = cookie.utf8.withContiguousStorageIfAvailable({ verify(bytes: $0, name: name, body) }) { return result }
        return Array(cookie.utf8).withUnsafeBufferPointer { verify(bytes: $0, name: name, body) }
    }

    func verify<Value>(
        bytes text: UnsafeBufferPointer<UInt8>,
        name: String,
        _ body: (UnsafeRawBufferPointer) -> Value
    ) -> Result<Value, CookieRefusal> {
        // Exactly four dot-separated parts: v1, the key id, the payload, the MAC.
        guard let parts = CookieText.parts(of: text, marker: (UInt8(ascii: "v"), UInt8(ascii: "1")), count: 4), let macRange = parts.third else {
            return .failure(.malformed)
        }
        let keyID = UnsafeBufferPointer(rebasing: text[parts.keyID])
        guard let key = keys.first(where: { bytesEqual($0.idBytes, keyID) }) else { return .failure(.unknownKey) }
        let payloadText = UnsafeBufferPointer(rebasing: text[parts.second])
        let macText = UnsafeBufferPointer(rebasing: text[macRange])
        guard macText.count == 43 else { return .failure(.malformed) }
        return withUnsafeTemporaryAllocation(byteCount: 32 + payloadText.count / 4 * 3 + 3, alignment: 8) { scratch in
            let mac = UnsafeMutableRawBufferPointer(rebasing: scratch[..<32])
            let payloadSpace = UnsafeMutableRawBufferPointer(rebasing: scratch[32...])
            guard Base64.decodeURLSafe(macText, into: mac) == 32, let payloadLength = Base64.decodeURLSafe(payloadText, into: payloadSpace) else {
                return .failure(.malformed)
            }
            let payload = UnsafeRawBufferPointer(rebasing: payloadSpace[..<payloadLength])
            let authentic = key.hmac.isValid(UnsafeRawBufferPointer(mac)) { hmac in
                hmac.add(payload)
            }
            guard authentic else { return .failure(.badSignature) }
            return CookieEnvelope.open(payload, expectedName: name, now: clock.now()).map(body)
        }
    }
}

/// Whether two byte strings are equal (not in constant time: for public values such as key ids
/// and cookie names).
@inline(__always)
func bytesEqual(_ lhs: [UInt8], _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
    lhs.withUnsafeBytes { bytesEqual($0, UnsafeRawBufferPointer(rhs)) }
}

@inline(__always)
func bytesEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    for i in 0..<lhs.count where lhs[i] != rhs[i] { return false }
    return true
}

/// The `marker.keyId.…` text shared by signed and sealed cookies.
enum CookieText {
    /// Splits `text` into exactly `count` (3 or 4) dot-separated parts, the first being the
    /// two-byte `marker` and the key id not empty; `nil` for anything else, including text longer
    /// than browsers keep.
    static func parts(
        of text: UnsafeBufferPointer<UInt8>,
        marker: (UInt8, UInt8),
        count: Int
    ) -> (keyID: Range<Int>, second: Range<Int>, third: Range<Int>?)? {
        guard text.count <= SignedCookieCodec.maximumLength, text.count > 2, text[0] == marker.0, text[1] == marker.1 else { return nil }
        var dots = (0, 0, 0)
        var found = 0
        for i in 0..<text.count where text[i] == UInt8(ascii: ".") {
            switch found {
            case 0: dots.0 = i
            case 1: dots.1 = i
            case 2: dots.2 = i
            default: return nil
            }
            found += 1
        }
        guard found == count - 1, dots.0 == 2, dots.1 > dots.0 + 1 else { return nil }
        if count == 3 { return (3..<dots.1, (dots.1 + 1)..<text.count, nil) }
        return (3..<dots.1, (dots.1 + 1)..<dots.2, (dots.2 + 1)..<text.count)
    }
}
