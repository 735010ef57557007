// Signed and sealed cookie values (SignedCookieCodec, SealedCookieCodec, the CookieText parser and
// the CookieEnvelope inside), and session ids (SessionID).
//
// Input: a cookie value as a client sends it. The same bytes also drive a generated round trip.
//
// Properties:
// 1. A fuzzed value that verifies as signed is byte-identical to `sign` of its payload (same key,
//    name and expiry), its MAC checks out with swift-crypto's HMAC under the documented key
//    derivation, and it has not expired.
// 2. A fuzzed value that opens as sealed is canonical base64url, and decrypts with swift-crypto
//    (AES-GCM or ChaCha20-Poly1305, documented associated data) to the same envelope.
// 3. Round trip: sign/seal a generated value and name, then verify/open gives the value back; the
//    wrong name is `wrongName`; a past expiry is `expired`; a cookie made under the previous key
//    still verifies, one made under an unknown key is `unknownKey`; changing any one byte, or
//    cutting or extending the text, is refused (so no other spelling of the Base64 verifies).
// 4. A fuzzed session id that parses is 43 characters of canonical base64url of 32 bytes.
import Crypto
import FuzzSupport
import Rampart

let now: Int64 = 1_700_000_000
let clock = WallClock { now }
let keyA = try! SecretKey(bytes: [UInt8](repeating: 0x11, count: 32))
let keyB = try! SecretKey(bytes: [UInt8](repeating: 0x22, count: 32))
let keyC = try! SecretKey(bytes: [UInt8](repeating: 0x33, count: 32))
let ring = try! KeyRing(current: keyA, previous: [keyB])
let ringB = try! KeyRing(current: keyB)
let ringC = try! KeyRing(current: keyC)

let signed = SignedCookieCodec(keyRing: ring, clock: clock)
let signedByB = SignedCookieCodec(keyRing: ringB, clock: clock)
let signedByC = SignedCookieCodec(keyRing: ringC, clock: clock)
let sealedAES = SealedCookieCodec(keyRing: ring, algorithm: .aesGCM256, clock: clock)
let sealedChaCha = SealedCookieCodec(keyRing: ring, algorithm: .chaChaPoly, clock: clock)
let sealedAESByB = SealedCookieCodec(keyRing: ringB, algorithm: .aesGCM256, clock: clock)
let sealedAESByC = SealedCookieCodec(keyRing: ringC, algorithm: .aesGCM256, clock: clock)

/// RFC 6265 §4.1.1 cookie-octets only.
func isCookieValue(_ text: String) -> Bool {
    text.utf8.allSatisfy { b in b == 0x21 || (0x23...0x2B).contains(b) || (0x2D...0x3A).contains(b) || (0x3C...0x5B).contains(b) || (0x5D...0x7E).contains(b) }
}

let names = ["session", "__Host-session", "prefs", "s"]
let tchars: [UInt8] = (0x21...0x7E).filter { !"\"(),/:;<=>?@[\\]{}".utf8.contains($0) }

/// `[name length][name][expiry, 8 bytes big-endian][value]`, read independently.
func openEnvelope(_ bytes: [UInt8]) -> (name: [UInt8], expiry: Int64, value: [UInt8])? {
    guard let length = bytes.first.map(Int.init), bytes.count >= 1 + length + 8 else { return nil }
    let name = Array(bytes[1..<(1 + length)])
    let expiry = bytes[(1 + length)..<(1 + length + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return (name, Int64(bitPattern: expiry), Array(bytes[(1 + length + 8)...]))
}

func key(id: some StringProtocol) -> SecretKey? {
    [keyA, keyB, keyC].first { sameBytes($0.id, id) }
}

/// Decodes a part of a cookie that was accepted; it must be canonical base64url.
func decodePart(_ part: some StringProtocol, of text: String, _ what: String) -> [UInt8] {
    guard let bytes = Reference.strictBase64URLDecode(part) else {
        propertyFailed("accepted, but the \(what) is not canonical base64url: \(show(text))")
    }
    return bytes
}

func checkFuzzedSigned(_ text: String) {
    for name in names {
        guard case .success(let value) = signed.verify(text, name: name) else { continue }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        require(parts.count == 4 && parts[0] == "v1", "verified but not v1.<key>.<payload>.<mac>: \(show(text))")
        guard let secret = key(id: parts[1]) else { propertyFailed("verified under an unknown key id: \(show(text))") }
        let payload = decodePart(parts[2], of: text, "payload")
        let mac = decodePart(parts[3], of: text, "MAC")
        // The MAC, recomputed from the documented construction with swift-crypto.
        let signingKey = secret.derivedKey(for: .cookieSigning)
        let message = Array("rampart-signed-cookie-v1".utf8) + [0] + Array(parts[1].utf8) + [0] + payload
        require(HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: signingKey), "verified with a MAC swift-crypto refuses: \(show(text))")
        guard let envelope = openEnvelope(payload) else { propertyFailed("verified with a truncated envelope: \(show(text))") }
        require(envelope.name == Array(name.utf8), "verified for \(name) but made for \(show(String(decoding: envelope.name, as: UTF8.self)))")
        require(envelope.expiry == 0 || envelope.expiry > now, "verified past its expiry \(envelope.expiry): \(show(text))")
        require(envelope.value == value, "verify returned other bytes than the envelope holds: \(show(text))")
        let codec = SignedCookieCodec(keyRing: try! KeyRing(current: secret), clock: clock)
        let again = codec.sign(value, name: name, expiresAt: envelope.expiry == 0 ? nil : envelope.expiry)
        require(sameBytes(again, text), "a cookie that verifies is not the signing of its payload:\n  given  \(show(text))\n  signed \(show(again))")
    }
}

func checkFuzzedSealed(_ text: String) {
    for (codec, isAES) in [(sealedAES, true), (sealedChaCha, false)] {
        for name in names {
            guard case .success(let value) = codec.open(text, name: name) else { continue }
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            require(parts.count == 3 && parts[0] == (isAES ? "v1" : "c1"), "opened but not marker.<key>.<sealed>: \(show(text))")
            guard let secret = key(id: parts[1]) else { propertyFailed("opened under an unknown key id: \(show(text))") }
            let combined = decodePart(parts[2], of: text, "sealed part")
            let sealingKey = secret.derivedKey(for: .cookieSealing)
            let associated = Array("rampart-sealed-cookie-v1".utf8) + [0] + Array(parts[1].utf8)
            let plaintext: [UInt8]
            do {
                plaintext = isAES
                    ? Array(try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: sealingKey, authenticating: associated))
                    : Array(try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: combined), using: sealingKey, authenticating: associated))
            } catch {
                propertyFailed("opened, but swift-crypto cannot open it (\(error)): \(show(text))")
            }
            guard let envelope = openEnvelope(plaintext) else { propertyFailed("opened with a truncated envelope: \(show(text))") }
            require(envelope.name == Array(name.utf8), "opened for \(name) but sealed for another name: \(show(text))")
            require(envelope.expiry == 0 || envelope.expiry > now, "opened past its expiry: \(show(text))")
            require(envelope.value == value, "open returned other bytes than the envelope holds: \(show(text))")
        }
    }
}

func isRefused(_ result: Result<[UInt8], CookieRefusal>) -> Bool {
    if case .failure = result { return true }
    return false
}

/// Every way of damaging `cookie` that the input picks must be refused by `open`.
func checkTampering(_ cookie: String, name: String, _ generator: inout FuzzInput, what: String, open: (String) -> Result<[UInt8], CookieRefusal>) {
    var bytes = Array(cookie.utf8)
    let position = generator.int(in: 0...(bytes.count - 1))
    var replacement = generator.byte()
    if replacement == bytes[position] { replacement ^= 0x01 }
    let original = bytes[position]
    bytes[position] = replacement
    let changed = String(decoding: bytes, as: UTF8.self)
    require(isRefused(open(changed)),
            "\(what): changing byte \(position) from \(show(String(decoding: [original], as: UTF8.self))) to 0x\(String(replacement, radix: 16)) still verifies:\n  original \(show(cookie))\n  changed  \(show(changed))")
    bytes[position] = original
    let cut = generator.int(in: 1...bytes.count)
    require(isRefused(open(String(decoding: bytes.dropLast(cut), as: UTF8.self))), "\(what): cutting \(cut) bytes still verifies: \(show(cookie))")
    let extra = String(decoding: [generator.byte()], as: UTF8.self)
    require(isRefused(open(cookie + extra)), "\(what): appending \(show(extra)) still verifies: \(show(cookie))")
}

func roundTrip(_ input: FuzzInput) {
    var generator = input
    let value = generator.bytes(upTo: 96)
    let name: String = generator.int(in: 0...3) == 0 ? generator.string(from: tchars, upTo: 300, minimum: 1) : names[generator.int(in: 0...3)]
    let otherName = name + String(decoding: [tchars[Int(generator.byte()) % tchars.count]], as: UTF8.self)
    let expiry: Int64?
    switch generator.int(in: 0...3) {
    case 0: expiry = now + Int64(generator.int(in: 1...100_000))
    case 1: expiry = now - Int64(generator.int(in: 0...100_000))
    default: expiry = nil
    }
    let expired = expiry.map { $0 <= now } ?? false
    // One codec per input (the last byte picks), to keep the rate up.
    let mode = Int(input.bytes.last ?? 0) % 4

    // Signed.
    if mode == 0 {
        let cookie = signed.sign(value, name: name, expiresAt: expiry)
        require(isCookieValue(cookie), "signed cookie is not a cookie-value: \(show(cookie))")
        let verified = signed.verify(cookie, name: name)
        if expired {
            require(verified == .failure(.expired), "expired signed cookie gave \(verified)")
        } else {
            require(verified == .success(value), "signed round trip gave \(verified) for \(value)")
            require(signed.verify(cookie, name: otherName) == .failure(.wrongName), "signed cookie for \(show(name)) verified for \(show(otherName))")
            require(signed.verify(signedByB.sign(value, name: name, expiresAt: expiry), name: name) == .success(value), "previous key refused")
            require(signed.verify(signedByC.sign(value, name: name, expiresAt: expiry), name: name) == .failure(.unknownKey), "unknown key not refused")
            checkTampering(cookie, name: name, &generator, what: "signed") { signed.verify($0, name: name) }
        }
    }

    // Sealed, with one of the algorithms.
    if mode == 1 || mode == 2 {
        let codec = mode == 1 ? sealedAES : sealedChaCha
        let sealed = try! codec.seal(value, name: name, expiresAt: expiry)
        require(isCookieValue(sealed), "sealed cookie is not a cookie-value: \(show(sealed))")
        let opened = codec.open(sealed, name: name)
        if expired {
            require(opened == .failure(.expired), "expired sealed cookie gave \(opened)")
            return
        }
        require(opened == .success(value), "sealed round trip gave \(opened)")
        require(codec.open(sealed, name: otherName) == .failure(.wrongName), "sealed cookie for \(show(name)) opened for \(show(otherName))")
        checkTampering(sealed, name: name, &generator, what: "sealed") { codec.open($0, name: name) }
    }
    if mode == 3, !expired {
        require(sealedAES.open(try! sealedAESByB.seal(value, name: name, expiresAt: expiry), name: name) == .success(value), "previous sealing key refused")
        require(sealedAES.open(try! sealedAESByC.seal(value, name: name, expiresAt: expiry), name: name) == .failure(.unknownKey), "unknown sealing key not refused")
        require(isRefused(sealedChaCha.open(try! sealedAES.seal(value, name: name), name: name)), "an AES-GCM cookie opened as ChaCha20-Poly1305")
    }
}

func checkSessionID(_ text: String) {
    guard let id = SessionID(text) else { return }
    require(sameBytes(id.text, text), "SessionID changed the text")
    require(Reference.strictBase64URLDecode(text)?.count == 32, "SessionID accepted what is not canonical base64url of 32 bytes: \(show(text))")
}

func fuzz(_ input: FuzzInput) {
    let text = input.text
    checkFuzzedSigned(text)
    checkFuzzedSealed(text)
    checkSessionID(text)
    roundTrip(input)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

/// `RAMPART_FUZZ_WRITE_SEEDS=dir` writes valid cookies under the fixed keys as seed files and
/// exits (how Fuzz/corpus/FuzzSignedSealedCookie was made).
if let dir = Dump.seedDirectory {
    let far = now + 86_400 * 365
    Dump.writeSeeds(to: dir, [
        "signed-session": signed.sign(Array("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".utf8), name: "session", expiresAt: far),
        "signed-host-session": signed.sign("u-42", name: "__Host-session"),
        "signed-prefs-previous-key": signedByB.sign("theme=dark", name: "prefs"),
        "signed-expired": signed.sign("old", name: "session", expiresAt: now - 10),
        "sealed-aes": try! sealedAES.seal("user=7;role=admin", name: "session", expiresAt: far),
        "sealed-chacha": try! sealedChaCha.seal("cart=3", name: "prefs"),
        "sealed-aes-previous-key": try! sealedAESByB.seal("x", name: "s"),
        "session-id": "pQmA8xYk1yJ0Qe9v3N4r2b7sTz5wU6cL0dF8gH1iJ2k",
        "malformed": "v1.abc.def",
    ])
}

runFuzzer(fuzzOne)
