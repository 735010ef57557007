// Micro benchmarks for the per-request pieces: headers, nonce, cookies, CSRF tokens, sessions.
// Every figure is reported with its ratio to a baseline measured in the same run, because
// absolute times on shared machines are noisy.
//
//   swift run -c release RampartBenchmarks                     timed, median of 7 batches
//   RAMPART_TEST_POSTGRES_URL=… swift run -c release RampartBenchmarks   (adds PostgreSQL)
//   RampartBenchmarks count NAME N                              runs one piece N times, untimed,
//                                                               for callgrind (see load/callgrind.sh)
import Crypto
import Foundation
import HTTPTypes
import Logging
import PostgresNIO
import Rampart
import RampartPostgres
import RampartSQLite

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// One piece's batches, in rounds shared with its group's baseline.
struct Measurement {
    let name: String
    /// Nanoseconds per operation, one figure per round.
    var rounds: [Double]
    var median: Double { rounds.sorted()[rounds.count / 2] }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

let rounds = Int(ProcessInfo.processInfo.environment["ROUNDS"] ?? "") ?? 9

/// Times `iterations` runs of `body`, in nanoseconds per run.
func batch(_ iterations: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { body() }
    return (clock.now - start).nanoseconds / Double(iterations)
}

func batchAsync(_ iterations: Int, _ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { try await body() }
    return (clock.now - start).nanoseconds / Double(iterations)
}

/// Runs the baseline and each piece one batch after another, `rounds` times, so that every
/// ratio compares batches that ran side by side; prints the median per-round ratio and its range.
func group(_ title: String, iterations: Int = 100_000, perSecond: Bool = false,
           _ pieces: [(String, () -> Void)]) {
    for (_, body) in pieces { _ = batch(iterations / 10, body) }   // warm-up
    var measurements = pieces.map { Measurement(name: $0.0, rounds: []) }
    for _ in 0..<rounds {
        for (index, piece) in pieces.enumerated() { measurements[index].rounds.append(batch(iterations, piece.1)) }
    }
    report(title, measurements, perSecond: perSecond)
}

func groupAsync(_ title: String, perSecond: Bool = true, _ pieces: [(String, Int, () async throws -> Void)]) async throws {
    for (_, iterations, body) in pieces { _ = try await batchAsync(iterations / 10, body) }
    var measurements = pieces.map { Measurement(name: $0.0, rounds: []) }
    for _ in 0..<rounds {
        for (index, piece) in pieces.enumerated() { measurements[index].rounds.append(try await batchAsync(piece.1, piece.2)) }
    }
    report(title, measurements, perSecond: perSecond)
}

func report(_ title: String, _ measurements: [Measurement], perSecond: Bool) {
    print("\n\(title)")
    let baseline = measurements[0]
    for m in measurements {
        let ratios = zip(m.rounds, baseline.rounds).map { $0 / $1 }
        let ratio = String(format: "%.2f× (%.2f–%.2f)", median(ratios), ratios.min()!, ratios.max()!)
        let ns = String(format: "%.1f", median(m.rounds))
        let rate = perSecond ? String(format: "   %9.0f ops/s per core (best round %9.0f)", 1e9 / median(m.rounds), 1e9 / m.rounds.min()!) : ""
        print("  \(m.name.padding(toLength: 50, withPad: " ", startingAt: 0)) \(ns.leftPadding(9)) ns/op  \(ratio.leftPadding(20))\(rate)")
    }
}

extension Duration {
    var nanoseconds: Double { Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9 }
}

extension String {
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

// MARK: The pieces

let rendered = try SecurityHeaders.strict.rendered()
let csp = SecurityHeaders.strictContentSecurityPolicy
let nonce = CSPNonce()
let fixedOnly = rendered.fixedFields
let responseStart: HTTPFields = [.contentType: "text/html; charset=utf-8", .contentLength: "1234"]
/// A static set of the same size as the full one: the fixed fields plus a CSP of the same length.
let staticSameSize: HTTPFields = {
    var fields = fixedOnly
    fields.append(HTTPField(name: .contentSecurityPolicy, value: csp.headerValue(nonce: nonce, isSecure: true)))
    fields.append(HTTPField(name: .strictTransportSecurity, value: "max-age=63072000; includeSubDomains"))
    return fields
}()

let ring = try KeyRing(current: .generate())
let signer = SignedCookieCodec(keyRing: ring)
let sealer = SealedCookieCodec(keyRing: ring)
let chacha = SealedCookieCodec(keyRing: ring, algorithm: .chaChaPoly)
let sessionID = SessionID()
let signed = signer.sign(sessionID.text, name: "__Host-session", expiresAt: 4_000_000_000)
let sealed = try sealer.seal(sessionID.text, name: "__Host-session", expiresAt: 4_000_000_000)
let sealedChaCha = try chacha.seal(sessionID.text, name: "__Host-session", expiresAt: 4_000_000_000)
let rawKey = SymmetricKey(size: .bits256)
let rawMessage = [UInt8](repeating: 1, count: 64)
let keyedHMAC = HMAC<SHA256>(key: rawKey)
let rawBox = try AES.GCM.seal(rawMessage, using: rawKey)
let aadArray = Array("rampart-sealed-cookie-v1\u{0}abcdefgh".utf8)
let aadData = Data(aadArray)
let rawBoxAAD = try AES.GCM.seal(rawMessage, using: rawKey, authenticating: aadArray)
let secrets = CSRFSecrets(keyRing: ring)
let csrfSecret = secrets.secret(for: sessionID)
let maskedToken = MaskedToken.make(secret: csrfSecret)
let oneTime = try OneTimeTokens(keyRing: ring, actions: ["profile.delete"], store: InMemoryUsedTokenStore())

/// The pieces `count` can run alone, for callgrind's instruction counts.
let pieces: [String: () -> Void] = [
    "nothing": {},
    "nonce": { blackHole(CSPNonce()) },
    "csp-splice": { blackHole(csp.headerValue(nonce: nonce, isSecure: true)) },
    "apply": {
        var fields = responseStart
        rendered.apply(to: &fields, nonce: nonce, isSecure: true, status: .ok)
        blackHole(fields)
    },
    // What the middlewares do per request since nonces are lazy: a LazyCSPNonce, then apply
    // from it. "unused": a response that read no nonce (JSON, text, the stylesheet): the policy
    // without 'nonce-…'. "used": a page that read it: a fresh nonce, and Cache-Control: no-store.
    "apply-lazy-unused": {
        let slot = LazyCSPNonce()
        var fields = responseStart
        rendered.apply(to: &fields, slot: slot, isSecure: true, status: .ok)
        blackHole(fields)
    },
    "apply-lazy-used": {
        let slot = LazyCSPNonce()
        blackHole(slot.nonce)
        var fields = responseStart
        rendered.apply(to: &fields, slot: slot, isSecure: true, status: .ok)
        blackHole(fields)
    },
    "static-append": {
        var fields = responseStart
        fields.append(contentsOf: staticSameSize)
        blackHole(fields)
    },
    "signed-verify": { blackHole(signer.verify(signed, name: "__Host-session")) },
    "signed-sign": { blackHole(signer.sign(sessionID.text, name: "__Host-session", expiresAt: 4_000_000_000)) },
    "sealed-open": { blackHole(sealer.open(sealed, name: "__Host-session")) },
    "mask": { blackHole(MaskedToken.make(secret: csrfSecret)) },
    "masked-verify": { blackHole(MaskedToken.verify(maskedToken, secret: csrfSecret)) },
    "derive-and-verify": { blackHole(secrets.verify(maskedToken: maskedToken, for: sessionID)) },
    "one-time-issue": { blackHole(try! oneTime.issue(action: "profile.delete", sessionSecret: csrfSecret)) },
    "session-id": { blackHole(SessionID()) },
    "hmac-keyed": {
        var hmac = keyedHMAC
        hmac.update(data: rawMessage)
        blackHole(hmac.finalize())
    },
    "aes-open": { blackHole(try! AES.GCM.open(rawBox, using: rawKey)) },
    "aes-open-aad-array": { blackHole(try! AES.GCM.open(rawBoxAAD, using: rawKey, authenticating: aadArray)) },
    "aes-open-aad-data": { blackHole(try! AES.GCM.open(rawBoxAAD, using: rawKey, authenticating: aadData)) },
]

if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "count" {
    let name = CommandLine.arguments[2]
    guard let piece = pieces[name], let count = Int(CommandLine.arguments[3]) else {
        print("usage: RampartBenchmarks count \(pieces.keys.sorted().joined(separator: "|")) N")
        exit(2)
    }
    for _ in 0..<count { piece() }
    exit(0)
}

print("Rampart micro benchmarks: \(rounds) rounds; in each round the group's baseline and every piece run one batch,")
print("side by side; figures are medians over rounds, ratios are to the baseline within each round (range in brackets).")

group("CSP header value:", iterations: 20_000, [
    ("baseline: render typed directives per request", {
        var parts: [String] = []
        for directive in csp.directives {
            var text = directive.description
            if csp.nonceDirectives.contains(directive.name) { text += " 'nonce-\(nonce.value)'" }
            parts.append(text)
        }
        blackHole(parts.joined(separator: "; "))
    }),
    ("Rampart: splice nonce into pre-rendered text", pieces["csp-splice"]!),
])

group("Nonce:", [
    ("baseline: two SystemRandomNumberGenerator words", {
        var generator = SystemRandomNumberGenerator()
        blackHole((generator.next(), generator.next()))
    }),
    ("Rampart: CSPNonce() (buffered CSPRNG + Base64)", pieces["nonce"]!),
])

group("Whole header set on a response (2 fields before; goal: apply within 1.3× of the static append):", [
    ("baseline: append a static set of the same size", pieces["static-append"]!),
    ("Rampart: apply(nonce, HTTPS)", pieces["apply"]!),
    ("Rampart: fresh nonce + apply(HTTPS)", {
        var fields = responseStart
        rendered.apply(to: &fields, nonce: CSPNonce(), isSecure: true, status: .ok)
        blackHole(fields)
    }),
    ("Rampart: lazy nonce, not read + apply(HTTPS) (what a JSON answer costs)", pieces["apply-lazy-unused"]!),
    ("Rampart: lazy nonce, read + apply(HTTPS) (what a page costs)", pieces["apply-lazy-used"]!),
])

group("Cookies (value: a 43-character session id; one core; goal: verify and open ≥ 1M/s):", perSecond: true, [
    ("baseline: swift-crypto HMAC<SHA256> keyed once, 64 B", {
        var hmac = keyedHMAC
        hmac.update(data: rawMessage)
        blackHole(hmac.finalize())
    }),
    ("baseline: swift-crypto AES.GCM.open, 64 B", { blackHole(try! AES.GCM.open(rawBox, using: rawKey)) }),
    ("sign (HMAC-SHA256)", pieces["signed-sign"]!),
    ("verify", pieces["signed-verify"]!),
    ("seal (AES-GCM-256)", { blackHole(try! sealer.seal(sessionID.text, name: "__Host-session", expiresAt: 4_000_000_000)) }),
    ("open (AES-GCM-256)", pieces["sealed-open"]!),
    ("open (ChaCha20-Poly1305)", { blackHole(chacha.open(sealedChaCha, name: "__Host-session")) }),
])

group("CSRF tokens (one core; goal: masked verify ≥ 5M/s):", perSecond: true, [
    ("baseline: SessionID() (32 random bytes, base64url)", pieces["session-id"]!),
    ("masked token: make", pieces["mask"]!),
    ("masked token: verify", pieces["masked-verify"]!),
    ("masked token: derive secret from id + verify", pieces["derive-and-verify"]!),
    ("one-time token: issue", pieces["one-time-issue"]!),
])

// The async groups run in a nonisolated function: closures written in top-level code belong to
// the main actor, and calling them from the benchmark loop would hop executors on every call.
func asyncGroups() async throws {
    let redeemStore = InMemoryUsedTokenStore()
    let redeemer = try OneTimeTokens(keyRing: ring, actions: ["profile.delete"], store: redeemStore)
    try await groupAsync("One-time tokens (one core, in-memory used-token store):", [
        ("baseline: issue", 20_000, { blackHole(try redeemer.issue(action: "profile.delete", sessionSecret: csrfSecret)) }),
        ("issue + redeem", 20_000, {
            let token = try redeemer.issue(action: "profile.delete", sessionSecret: csrfSecret)
            guard try await redeemer.redeem(token, action: "profile.delete", sessionSecret: csrfSecret) == nil else { fatalError("refused") }
        }),
    ])


    var logger = Logger(label: "rampart.bench")
    logger.logLevel = .error
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-micro-\(UUID().uuidString)").path
    let database = try RampartDatabase(path: folder + "/bench.sqlite")
    let cachedStore = SQLiteSessionStore(database: database)
    var stores: [(String, any SessionStore)] = [
        ("memory", InMemorySessionStore()),
        ("SQLite, cached", cachedStore),
        ("SQLite, uncached", SQLiteSessionStore(database: database, cache: .off)),
    ]
    if let url = ProcessInfo.processInfo.environment["RAMPART_TEST_POSTGRES_URL"] {
        let admin = try RampartPostgresDatabase(url: url, maximumConnections: 1, logger: logger)
        let adminPool = Task { try? await admin.run() }
        let schema = "rampart_micro_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        adminPool.cancel()
        let postgres = try RampartPostgresDatabase(url: url, searchPath: schema, maximumConnections: 4, logger: logger)
        Task { try? await postgres.run() }
        try await postgres.migrate()
        stores.append(("PostgreSQL (loopback)", PostgresSessionStore(database: postgres, logger: logger)))
    } else {
        print("  (RAMPART_TEST_POSTGRES_URL is unset: PostgreSQL is skipped)")
    }
    var sessionPieces: [(String, Int, () async throws -> Void)] = []
    for (name, store) in stores {
        let manager = SessionManager(configuration: try SessionConfiguration(backend: .store(store)), keyRing: ring)
        var session = try await manager.load(from: [:]).0
        session.logIn(userID: "ada")
        let cookie = try await manager.commit(session)!
        let fields: HTTPFields = [.cookie: "__Host-session=\(cookie.value)"]
        if sessionPieces.isEmpty {
            sessionPieces.append(("baseline: identify only (cookie verify, no store)", 20_000, { blackHole(manager.identify(fields)) }))
        }
        let slow = name.hasPrefix("Postgre") || name.hasSuffix("uncached")
        sessionPieces.append(("\(name): identify + load", slow ? 1_000 : 20_000, {
            let (loaded, outcome) = try await manager.load(from: fields)
            guard outcome == .loaded, loaded.userID == "ada" else { fatalError("\(outcome)") }
        }))
    }
    try await groupAsync("Session: verify the cookie, then load the row (one task):", sessionPieces)
    if let statistics = cachedStore.cacheStatistics {
        print("  SQLite cache after the run: \(statistics.entries) entries, \(statistics.bytes) bytes, \(statistics.hits) hits, \(statistics.misses) misses")
    }
}
try await asyncGroups()
