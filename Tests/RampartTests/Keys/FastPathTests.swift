import Crypto
import Synchronization
import Testing

@testable import Rampart

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite("Fast paths: keyed-once HMAC, buffered CSPRNG, derived CSRF secrets")
struct FastPathTests {
    @Test(
        "PreparedHMAC equals swift-crypto's HMAC<SHA256> for keys of 0 to 200 bytes and messages in parts",
        arguments: [0, 1, 31, 32, 63, 64, 65, 100, 200]
    )
    func preparedHMACMatchesSwiftCrypto(_ keyLength: Int) {
        let key = SymmetricKey(data: (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        for messageLength in [0, 1, 55, 56, 64, 119, 300] {
            let message = (0..<messageLength).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            #expect(PreparedHMAC(key: key).authenticate(message) == expected)
            // Fed in two parts, with a prefix absorbed at keying time.
            let split = messageLength / 3
            let prepared = PreparedHMAC(key: key, prefix: Array(message[..<split]))
            var out = [UInt8](repeating: 0, count: 32)
            out.withUnsafeMutableBytes { out in
                prepared.authenticate(into: out) { input in
                    message[split...].withUnsafeBytes { input.add($0) }
                }
            }
            #expect(out == expected)
            #expect(
                expected.withUnsafeBytes { mac in
                    prepared.isValid(mac) { input in message[split...].withUnsafeBytes { input.add($0) } }
                }
            )
        }
    }

    @Test("the buffered CSPRNG never hands out the same bytes twice, across threads and buffer refills")
    func bufferedRandomIsUnique() async {
        let seen = Mutex(Set<[UInt8]>())
        await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // 16-byte draws; 2,000 per task is several 4 KiB refills.
                    (0..<2000).map { _ in SecureRandom.bytes(16) }
                }
            }
            for await draws in group {
                seen.withLock { $0.formUnion(draws) }
            }
        }
        #expect(seen.withLock { $0.count } == 16_000)
        // Large requests go to the kernel directly and still fill every byte.
        let large = SecureRandom.bytes(10_000)
        #expect(large.count == 10_000)
        #expect(Set(large).count > 200)
    }

    @Test("nonces and masks are fresh every time; nothing is zero")
    func freshValues() {
        let nonces = Set((0..<1000).map { _ in CSPNonce().value })
        #expect(nonces.count == 1000)
        let secret = [UInt8](repeating: 7, count: 32)
        let tokens = Set((0..<1000).map { _ in MaskedToken.make(secret: secret) })
        #expect(tokens.count == 1000)
        #expect(tokens.allSatisfy { MaskedToken.verify($0, secret: secret) == nil })
    }

    @Test("CSRF secrets: HMAC of the id, different per id and per key; tokens from before a key rotation still verify")
    func derivedSecrets() throws {
        let old = try SecretKey(bytes: [UInt8](repeating: 1, count: 32))
        let new = try SecretKey(bytes: [UInt8](repeating: 2, count: 32))
        let before = CSRFSecrets(keyRing: try KeyRing(current: old))
        let after = CSRFSecrets(keyRing: try KeyRing(current: new, previous: [old]))
        let id = SessionID()
        let other = SessionID()
        #expect(before.secret(for: id) != before.secret(for: other))
        #expect(before.secret(for: id) != after.secret(for: id))
        let expected = PreparedHMAC(key: old.derivedKey(for: .csrfSecret)).authenticate(Array("rampart-csrf".utf8) + Array(id.text.utf8))
        #expect(before.secret(for: id) == expected)
        let token = before.maskedToken(for: id)
        #expect(after.verify(maskedToken: token, for: id) == nil)
        #expect(after.verify(maskedToken: token, for: other) == .badToken)
        #expect(CSRFSecrets(keyRing: try KeyRing(current: new)).verify(maskedToken: token, for: id) == .badToken)
        #expect(after.verify(maskedToken: "", for: id) == .missingToken)
        #expect(after.verify(maskedToken: String(token.dropLast()), for: id) == .badToken)
    }
}
