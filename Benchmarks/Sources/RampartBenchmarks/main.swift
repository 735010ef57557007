// Micro benchmarks for the per-request header path. Every figure is reported with its ratio to a
// baseline measured in the same run, because absolute times on shared machines are noisy.
import HTTPTypes
import Crypto
import Rampart


@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

struct Measurement {
    let name: String
    let nanosecondsPerOperation: Double
}

/// Runs `body` in batches for about `seconds`, five times, and keeps the median batch.
func measure(_ name: String, iterations: Int = 200_000, _ body: () -> Void) -> Measurement {
    let clock = ContinuousClock()
    for _ in 0..<iterations / 10 { body() }   // warm-up
    var samples: [Double] = []
    for _ in 0..<7 {
        let start = clock.now
        for _ in 0..<iterations { body() }
        let elapsed = clock.now - start
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        samples.append(ns / Double(iterations))
    }
    samples.sort()
    return Measurement(name: name, nanosecondsPerOperation: samples[samples.count / 2])
}

func report(_ baseline: Measurement, _ others: [Measurement]) {
    func line(_ m: Measurement) -> String {
        let ns = String(format3(m.nanosecondsPerOperation))
        let ratio = format3(m.nanosecondsPerOperation / baseline.nanosecondsPerOperation)
        return "  \(m.name.padding(50)) \(ns.leftPadding(10)) ns/op   \(ratio.leftPadding(7))× baseline"
    }
    print(line(baseline))
    for m in others { print(line(m)) }
}

func format3(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return String(scaled)
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

let rendered = try SecurityHeaders.strict.rendered()
let csp = SecurityHeaders.strictContentSecurityPolicy
let nonce = CSPNonce()
let fixedOnly = rendered.fixedFields

print("Rampart micro benchmarks (median of 7 batches)")
print("")
print("CSP header value:")
let naive = measure("baseline: render typed directives per request") {
    // What a middleware without pre-rendering would do: serialise every directive each time.
    var parts: [String] = []
    for directive in csp.directives {
        var text = directive.description
        if csp.nonceDirectives.contains(directive.name) { text += " 'nonce-\(nonce.value)'" }
        parts.append(text)
    }
    blackHole(parts.joined(separator: "; "))
}
report(naive, [
    measure("Rampart: splice nonce into pre-rendered text") { blackHole(csp.headerValue(nonce: nonce, isSecure: true)) },
])

print("")
print("Nonce:")
let randomBaseline = measure("baseline: two SystemRandomNumberGenerator words") {
    var generator = SystemRandomNumberGenerator()
    blackHole((generator.next(), generator.next()))
}
report(randomBaseline, [
    measure("Rampart: CSPNonce() (draw + Base64)") { blackHole(CSPNonce()) },
])

print("")
print("Whole header set on a response (2 fields before):")
let start: HTTPFields = [.contentType: "text/html; charset=utf-8", .contentLength: "1234"]
let staticBaseline = measure("baseline: append fixed fields only (static CSP)") {
    var fields = start
    fields.append(contentsOf: fixedOnly)
    blackHole(fields)
}
report(staticBaseline, [
    measure("Rampart: apply(nonce, HTTPS)") {
        var fields = start
        rendered.apply(to: &fields, nonce: nonce, isSecure: true, status: .ok)
        blackHole(fields)
    },
    measure("Rampart: fresh nonce + apply(HTTPS)") {
        var fields = start
        rendered.apply(to: &fields, nonce: CSPNonce(), isSecure: true, status: .ok)
        blackHole(fields)
    },
])

print("")
print("Cookies (value: a 43-character session id; one core):")
let ring = try KeyRing(current: .generate())
let signer = SignedCookieCodec(keyRing: ring)
let sealer = SealedCookieCodec(keyRing: ring)
let chacha = SealedCookieCodec(keyRing: ring, algorithm: .chaChaPoly)
let sessionID = SessionID().text
let signed = signer.sign(sessionID, name: "__Host-session", expiresAt: 4_000_000_000)
let sealed = try sealer.seal(sessionID, name: "__Host-session", expiresAt: 4_000_000_000)
let sealedChaCha = try chacha.seal(sessionID, name: "__Host-session", expiresAt: 4_000_000_000)
let rawKey = SymmetricKey(size: .bits256)
let rawMessage = [UInt8](repeating: 1, count: 64)
let hmacBaseline = measure("baseline: one raw HMAC-SHA256 of 64 bytes", iterations: 100_000) {
    blackHole(HMAC<SHA256>.authenticationCode(for: rawMessage, using: rawKey))
}
let cookieMeasurements = [
    measure("sign (HMAC-SHA256)", iterations: 100_000) { blackHole(signer.sign(sessionID, name: "__Host-session", expiresAt: 4_000_000_000)) },
    measure("verify", iterations: 100_000) { blackHole(signer.verify(signed, name: "__Host-session")) },
    measure("seal (AES-GCM-256)", iterations: 100_000) { blackHole(try! sealer.seal(sessionID, name: "__Host-session", expiresAt: 4_000_000_000)) },
    measure("open (AES-GCM-256)", iterations: 100_000) { blackHole(sealer.open(sealed, name: "__Host-session")) },
    measure("seal (ChaCha20-Poly1305)", iterations: 100_000) { blackHole(try! chacha.seal(sessionID, name: "__Host-session", expiresAt: 4_000_000_000)) },
    measure("open (ChaCha20-Poly1305)", iterations: 100_000) { blackHole(chacha.open(sealedChaCha, name: "__Host-session")) },
]
report(hmacBaseline, cookieMeasurements)
for m in cookieMeasurements {
    print("  \(m.name.padding(50)) \(Int(1e9 / m.nanosecondsPerOperation)) ops/s per core")
}
