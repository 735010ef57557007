// Micro benchmarks for the per-request header path. Every figure is reported with its ratio to a
// baseline measured in the same run, because absolute times on shared machines are noisy.
import HTTPTypes
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
