// CSRF tokens: masked session tokens (MaskedToken, CSRFSecrets) and one-time tokens (OneTimeTokens).
//
// Input: a token as a client sends it in a form field or header. The same bytes drive the
// generated round trips.
//
// Properties:
// 1. A fuzzed masked token that verifies against the secret is 86 characters that Foundation
//    decodes (in either Base64 alphabet) to 64 bytes m ‖ c with m ⊕ c equal to the secret.
// 2. Round trip: a token made for a secret (or for a session id through CSRFSecrets) verifies for
//    it and not for another secret or session; tokens from before a key rotation still verify;
//    any one changed byte is refused.
// 3. A fuzzed one-time token redeems only when swift-crypto's HMAC over the documented message
//    (session secret, action, id, expiry) accepts it and it has not expired; otherwise the verdict
//    is one of the documented refusals.
// 4. One-time round trip: an issued token redeems once for its action and session; again it is
//    `tokenReused`, and in another Base64 spelling never accepted; for another registered action
//    `wrongAction`; for another session `badToken`; after its lifetime `tokenExpired`.
import Crypto
import FuzzSupport
import Foundation
import Rampart
import Synchronization

let keyA = try! SecretKey(bytes: [UInt8](repeating: 0x41, count: 32))
let keyB = try! SecretKey(bytes: [UInt8](repeating: 0x42, count: 32))
let ring = try! KeyRing(current: keyA)
let rotated = try! KeyRing(current: keyB, previous: [keyA])
let secrets = CSRFSecrets(keyRing: ring)
let rotatedSecrets = CSRFSecrets(keyRing: rotated)
let session = SessionID("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")!
let otherSession = SessionID("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA")!
let secret = [UInt8](repeating: 0x5A, count: 32)

/// A used-token store that forgets everything between inputs.
final class ScratchStore: UsedTokenStore {
    let used = Mutex<[String: Int64]>([:])
    func markUsed(_ id: String, expiresAt: Int64) async throws -> Bool {
        used.withLock { $0.updateValue(expiresAt, forKey: id) == nil }
    }
    func purgeExpired(now: Int64) async throws -> Int { 0 }
    func reset() { used.withLock { $0.removeAll(keepingCapacity: true) } }
}

let store = ScratchStore()
let clockNow = Mutex<Int64>(1_700_000_000)
let clock = WallClock { clockNow.withLock { $0 } }
let actions = ["delete-account", "change-email", "rotate.keys_v2"]
let tokens = try! OneTimeTokens(keyRing: ring, actions: actions, store: store, lifetime: .seconds(600), clock: clock)

/// Standard Base64 with both alphabets accepted, through Foundation.
func lenientDecode(_ text: String) -> [UInt8]? { Reference.lenientBase64Decode(text) }

/// The same token in the other Base64 alphabet, and padded: equivalent spellings.
func respellings(_ token: String) -> [String] {
    let standard = replacingBytes(replacingBytes(token, "-", with: "+"), "_", with: "/")
    var padded = token
    while padded.utf8.count % 4 != 0 { padded += "=" }
    return [standard, padded].filter { !sameBytes($0, token) }
}

func checkMasked(_ input: FuzzInput) {
    let text = input.text
    // 1. Fuzzed tokens.
    if MaskedToken.verify(text, secret: secret) == nil {
        require(text.utf8.count == MaskedToken.textLength, "verified a token of \(text.utf8.count) bytes")
        guard let bytes = lenientDecode(text), bytes.count == 64 else { propertyFailed("verified a token Foundation cannot decode to 64 bytes: \(show(text))") }
        require((0..<32).allSatisfy { bytes[$0] ^ bytes[32 + $0] == secret[$0] }, "verified a token that does not unmask to the secret: \(show(text))")
    }
    let fuzzedSession = secrets.verify(maskedToken: text, for: session)
    require(fuzzedSession != nil || lenientDecode(text).map { b in b.count == 64 && (0..<32).allSatisfy { b[$0] ^ b[32 + $0] == secrets.secret(for: session)[$0] } } == true,
            "CSRFSecrets verified a token that does not unmask to the session's secret: \(show(text))")

    // 2. Round trips, one kind per input (the last byte picks), to keep the rate up.
    var generator = input
    let mode = Int(input.bytes.last ?? 0) % 3
    if mode == 0 {
        let token = MaskedToken.make(secret: secret)
        require(token.utf8.count == MaskedToken.textLength && Reference.strictBase64URLDecode(token)?.count == 64, "made a token that is not 86 characters of base64url: \(show(token))")
        require(MaskedToken.verify(token, secret: secret) == nil, "a fresh masked token does not verify")
        var other = secret
        other[generator.int(in: 0...31)] ^= max(1, generator.byte())
        require(MaskedToken.verify(token, secret: other) == .badToken, "a masked token verified for another secret")
        var bytes = Array(token.utf8)
        let position = generator.int(in: 0...(bytes.count - 1))
        let replacement = generator.byte()
        if replacement != bytes[position] {
            bytes[position] = replacement
            let changed = String(decoding: bytes, as: UTF8.self)
            require(MaskedToken.verify(changed, secret: secret) != nil, "a changed masked token still verifies: \(show(changed))")
        }
    }
    guard mode == 1 else { return }
    let sessionToken = secrets.maskedToken(for: session)
    require(secrets.verify(maskedToken: sessionToken, for: session) == nil, "a session token does not verify")
    require(secrets.verify(maskedToken: sessionToken, for: otherSession) == .badToken, "a session token verified for another session")
    require(rotatedSecrets.verify(maskedToken: sessionToken, for: session) == nil, "a token from before the key rotation does not verify")
    require(secrets.verify(maskedToken: rotatedSecrets.maskedToken(for: session), for: session) == .badToken, "a token under a key the ring lacks verified")
}

let refusals: Set<CSRFError> = [.missingToken, .badToken, .tokenExpired, .tokenReused, .wrongAction]

func checkOneTime(_ input: FuzzInput) {
    store.reset()
    clockNow.withLock { $0 = 1_700_000_000 }
    let text = input.text
    var generator = input
    let action = actions[generator.int(in: 0...2)]

    // 3. A fuzzed token redeems only if it is authentic by the documented construction.
    let fuzzed = runSync { try! await tokens.redeem(text, action: action, sessionSecret: secret) }
    if let fuzzed {
        require(refusals.contains(fuzzed), "unexpected refusal \(fuzzed)")
    } else {
        guard let bytes = lenientDecode(text), bytes.count == 56 else { propertyFailed("redeemed a token that is not 56 bytes of Base64: \(show(text))") }
        let message = [UInt8(secret.count)] + secret + [UInt8(action.utf8.count)] + Array(action.utf8) + Array(bytes[0..<24])
        require(HMAC<SHA256>.isValidAuthenticationCode(Array(bytes[24...]), authenticating: message, using: keyA.derivedKey(for: .oneTimeToken)),
                "redeemed a one-time token whose MAC swift-crypto refuses: \(show(text))")
        let expiry = bytes[16..<24].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        require(expiry > clock.now(), "redeemed an expired one-time token: \(show(text))")
    }

    // 4. Round trip (one input in three).
    guard Int(input.bytes.last ?? 0) % 3 == 2 else { return }
    let token = try! tokens.issue(action: action, sessionSecret: secret)
    require(Reference.strictBase64URLDecode(token)?.count == 56, "issued a token that is not base64url of 56 bytes: \(show(token))")
    let otherAction = actions.first { $0 != action }!
    var otherSecret = secret
    otherSecret[generator.int(in: 0...31)] ^= max(1, generator.byte())
    let outcome: [CSRFError?] = runSync {
        var seen: [CSRFError?] = []
        seen.append(try! await tokens.redeem(token, action: otherAction, sessionSecret: secret))
        seen.append(try! await tokens.redeem(token, action: action, sessionSecret: otherSecret))
        seen.append(try! await tokens.redeem(token, action: action, sessionSecret: secret))
        seen.append(try! await tokens.redeem(token, action: action, sessionSecret: secret))
        for spelling in respellings(token) {
            seen.append(try! await tokens.redeem(spelling, action: action, sessionSecret: secret))
        }
        return seen
    }
    require(outcome[0] == .wrongAction, "another action gave \(String(describing: outcome[0]))")
    require(outcome[1] == .badToken, "another session gave \(String(describing: outcome[1]))")
    require(outcome[2] == nil, "a fresh one-time token was refused: \(String(describing: outcome[2]))")
    require(outcome[3] == .tokenReused, "a second use gave \(String(describing: outcome[3])) for \(show(token))")
    for later in outcome.dropFirst(4) {
        require(later == .tokenReused || later == .badToken, "another spelling of a used token gave \(String(describing: later)) for \(show(token))")
    }

    let late = try! tokens.issue(action: action, sessionSecret: secret)
    clockNow.withLock { $0 += 600 + Int64(generator.int(in: 0...100)) }
    let expired = runSync { try! await tokens.redeem(late, action: action, sessionSecret: secret) }
    require(expired == .tokenExpired, "an expired one-time token gave \(String(describing: expired))")
}

func fuzz(_ input: FuzzInput) {
    checkMasked(input)
    checkOneTime(input)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

/// `RAMPART_FUZZ_WRITE_SEEDS=dir` writes valid tokens as seed files and exits (how
/// Fuzz/corpus/FuzzCSRFTokens was made).
if let dir = Dump.seedDirectory {
    Dump.writeSeeds(to: dir, [
        "masked-secret": MaskedToken.make(secret: secret),
        "masked-session": secrets.maskedToken(for: session),
        "one-time-delete-account": try! tokens.issue(action: "delete-account", sessionSecret: secret),
        "one-time-change-email": try! tokens.issue(action: "change-email", sessionSecret: secret),
        "short": "abc",
    ])
}

runFuzzer(fuzzOne)
