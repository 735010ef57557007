import Testing

@testable import Rampart

@Suite("Signed and sealed cookies")
struct SignedSealedCookieTests {
    static let oldKey = try! SecretKey(bytes: [UInt8](repeating: 1, count: 32))
    static let newKey = try! SecretKey(bytes: [UInt8](repeating: 2, count: 32))
    static let ring = try! KeyRing(current: oldKey)
    static let fixedClock = WallClock { 1_000_000 }

    enum Codec: String, CaseIterable, Sendable {
        case signed, sealedAESGCM, sealedChaCha

        func make(
            _ ring: KeyRing,
            clock: WallClock = SignedSealedCookieTests.fixedClock
        ) -> (seal: @Sendable (String, String, Int64?) throws -> String, open: @Sendable (String, String) -> Result<[UInt8], CookieRefusal>) {
            switch self {
            case .signed:
                let codec = SignedCookieCodec(keyRing: ring, clock: clock)
                return ({ codec.sign($0, name: $1, expiresAt: $2) }, { codec.verify($0, name: $1) })
            case .sealedAESGCM, .sealedChaCha:
                let codec = SealedCookieCodec(keyRing: ring, algorithm: self == .sealedAESGCM ? .aesGCM256 : .chaChaPoly, clock: clock)
                return ({ try codec.seal($0, name: $1, expiresAt: $2) }, { codec.open($0, name: $1) })
            }
        }
    }

    @Test("round trip", arguments: Codec.allCases)
    func roundTrip(_ codec: Codec) throws {
        let (seal, open) = codec.make(Self.ring)
        for value in ["", "hello", String(repeating: "é", count: 300)] {
            let cookie = try seal(value, "prefs", nil)
            #expect(SetCookie.isCookieValue(cookie))
            #expect(try open(cookie, "prefs").get() == Array(value.utf8))
        }
    }

    @Test("signed cookies keep the documented format")
    func signedFormat() throws {
        let cookie = SignedCookieCodec(keyRing: Self.ring).sign("42", name: "uid")
        let parts = cookie.split(separator: ".")
        #expect(parts.count == 4)
        #expect(parts[0] == "v1")
        #expect(parts[1] == Substring(Self.oldKey.id))
        #expect(!cookie.contains("="))
    }

    @Test("sealed cookies hide the value, and each seal differs")
    func sealedHides() throws {
        let codec = SealedCookieCodec(keyRing: Self.ring)
        let a = try codec.seal("secret-value", name: "s")
        let b = try codec.seal("secret-value", name: "s")
        #expect(a != b)
        #expect(!a.contains("secret"))
    }

    @Test("a flipped bit anywhere is refused", arguments: Codec.allCases)
    func everyBitFlip(_ codec: Codec) throws {
        let (seal, open) = codec.make(Self.ring)
        let cookie = Array(try seal("user=42;role=admin", "session", 2_000_000).utf8)
        var accepted = 0
        var reasons: [CookieRefusal: Int] = [:]
        for index in cookie.indices {
            for bit in 0..<8 {
                var tampered = cookie
                tampered[index] ^= UInt8(1 << bit)
                switch open(String(decoding: tampered, as: UTF8.self), "session") {
                case .success:
                    // Even a flip in Base64's unused low bits must be refused (non-canonical).
                    accepted += 1
                case .failure(let reason):
                    reasons[reason, default: 0] += 1
                }
            }
        }
        #expect(accepted == 0)
        #expect(reasons[.badSignature, default: 0] > 0)
        #expect(reasons[.wrongName] == nil)
        #expect(reasons[.expired] == nil)
        #expect(Set(reasons.keys).isSubset(of: [.badSignature, .malformed, .unknownKey]))
    }

    @Test("refusals carry their reason", arguments: Codec.allCases)
    func reasons(_ codec: Codec) throws {
        let (seal, open) = codec.make(Self.ring)
        let cookie = try seal("v", "session", 2_000_000)
        #expect(open(cookie, "other") == .failure(.wrongName))
        #expect(open(try seal("v", "session", 1_000_000), "session") == .failure(.expired))
        #expect(open(try seal("v", "session", 999_999), "session") == .failure(.expired))
        #expect(open(cookie, "session") == .success([UInt8(ascii: "v")]))
        // Unknown key: made by a ring the verifier does not have.
        let (sealOther, _) = codec.make(try KeyRing(current: Self.newKey))
        #expect(open(try sealOther("v", "session", nil), "session") == .failure(.unknownKey))
        // Truncated at every length.
        for length in 0..<cookie.utf8.count {
            let truncated = String(decoding: cookie.utf8.prefix(length), as: UTF8.self)
            switch open(truncated, "session") {
            case .success: Issue.record("accepted a cookie truncated to \(length) bytes")
            case .failure(let reason): #expect([CookieRefusal.malformed, .badSignature, .unknownKey].contains(reason))
            }
        }
        #expect(open("", "session") == .failure(.malformed))
        #expect(open("....", "session") == .failure(.malformed))
        #expect(open(String(repeating: "v1.", count: 5000), "session") == .failure(.malformed))
    }

    @Test("key rotation: old cookies verify while the old key stays, and stop once it is removed", arguments: Codec.allCases)
    func rotation(_ codec: Codec) throws {
        let (sealOld, _) = codec.make(try KeyRing(current: Self.oldKey))
        let cookie = try sealOld("v", "session", nil)
        let (sealNew, openRotated) = codec.make(try KeyRing(current: Self.newKey, previous: [Self.oldKey]))
        #expect(openRotated(cookie, "session") == .success([UInt8(ascii: "v")]))
        let fresh = try sealNew("w", "session", nil)
        #expect(fresh.contains(".\(Self.newKey.id)."))
        let (_, openNewOnly) = codec.make(try KeyRing(current: Self.newKey))
        #expect(openNewOnly(cookie, "session") == .failure(.unknownKey))
        #expect(openNewOnly(fresh, "session") == .success([UInt8(ascii: "w")]))
    }

    @Test("a sealed cookie cannot be opened as the other algorithm")
    func algorithmsDiffer() throws {
        let aes = SealedCookieCodec(keyRing: Self.ring, algorithm: .aesGCM256)
        let chacha = SealedCookieCodec(keyRing: Self.ring, algorithm: .chaChaPoly)
        #expect(chacha.open(try aes.seal("v", name: "s"), name: "s") == .failure(.malformed))
    }
}
