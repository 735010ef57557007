// Content-Security-Policy parsing and validation (ContentSecurityPolicy(parsing:), CSPSource,
// CSPDirective), and the audit's readers of CSP, Strict-Transport-Security and URLs
// (ObservatoryAudit.grade, AuditURL).
//
// Input: line 1 is a CSP header value, line 2 a Strict-Transport-Security value, line 3 a URL,
// and any further lines more CSP fields. Bytes are taken as they come off the wire.
//
// Properties:
// 1. A policy that validates renders a header of visible ASCII with no ',' (a second policy), each
//    directive once, the nonce in exactly the nonce directives; and re-parsing its text gives an
//    equal policy with the same text.
// 2. The audit never calls a policy Rampart validated unparseable (except the documented
//    'strict-dynamic' without a nonce or hash) or missing.
// 3. Non-ASCII text is read as browsers read it. Every token it touches is invalid, whether read
//    as bytes or as Characters, so as written (Firefox, the Observatory) replacing each distinct
//    run of non-ASCII bytes by a distinct ASCII placeholder of the same length (invalid wherever it
//    stands, and unable to merge with a neighbouring separator into one Character) changes no
//    verdict. Chromium skips each CSP directive that holds one (CSP3 §2.2.1), as if its bytes were
//    all ';'. The CSP verdict is the weaker of the two readings (the written one on a tie); the
//    X-Frame-Options verdict is Chromium's unless the written policy does not parse; the HSTS
//    verdict is the placeholder text's.
// 4. On ASCII text, the HSTS verdict matches a byte-level reading written here (the documented
//    Observatory rules: one field, no comma, `max-age` directive, 1–18 digits, optionally quoted).
// 5. HSTS headers rendered by StrictTransportSecurity grade by their max-age.
// 6. An AuditURL that parses prints a URL that parses back to it.
import Foundation
import FuzzSupport
import HTTPTypes
import Rampart
import RampartAudit

let nonce = CSPNonce("AAAAAAAAAAAAAAAAAAAAAA==")!
let httpsURL = AuditURL("https://example.com/")!

func isVisibleASCIIOrSpace(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7F }

func checkPolicy(_ text: String) {
    var policy: ContentSecurityPolicy? = try? ContentSecurityPolicy(parsing: text)
    var omitDefault = false
    if policy == nil {
        omitDefault = true
        policy = try? ContentSecurityPolicy(parsing: text, nonceDirectives: [], dangerouslyOmitDefaultSrc: true)
    }
    guard let policy else { return }

    // 1. The rendered header.
    let header = policy.headerValue(nonce: nonce, isSecure: true)
    require(header.utf8.allSatisfy(isVisibleASCIIOrSpace) && HTTPField.isValidValue(header), "rendered header has a byte outside visible ASCII: \(show(header))")
    require(!header.utf8.contains(UInt8(ascii: ",")), "rendered header holds a ',' (a second policy): \(show(header))")
    var names: [String] = []
    for directive in header.utf8.split(separator: UInt8(ascii: ";")) {
        let words = directive.split(separator: UInt8(ascii: " "))
        guard let first = words.first else { propertyFailed("empty directive in \(show(header))") }
        let name = String(decoding: first, as: UTF8.self)
        require(!names.contains(name), "directive \(name) rendered twice: \(show(header))")
        names.append(name)
        let nonceCount = words.filter { $0.elementsEqual("'nonce-\(nonce.value)'".utf8) }.count
        let wantsNonce = policy.nonceDirectives.contains { $0.rawValue == name }
        require(nonceCount == (wantsNonce ? 1 : 0), "\(name) has \(nonceCount) nonces: \(show(header))")
    }

    // 1. Re-parsing the text.
    let written = replacingBytes(policy.description, " 'nonce-{nonce}'", with: "")
    do {
        let again = try ContentSecurityPolicy(parsing: written, nonceDirectives: policy.nonceDirectives, dangerouslyOmitDefaultSrc: omitDefault)
        require(again == policy, "re-parsed policy differs:\n  text  \(show(written))\n  first \(show(policy.description))\n  again \(show(again.description))")
        require(sameBytes(again.description, policy.description), "re-parsed text differs: \(show(policy.description)) vs \(show(again.description))")
    } catch {
        propertyFailed("the text of a valid policy does not parse: \(show(written)): \(error)")
    }

    // 2. The audit reads it.
    let response = AuditedResponse(url: httpsURL, status: .ok, headerFields: [.contentSecurityPolicy: header])
    let report = ObservatoryAudit.grade(AuditInput(chain: [response]))
    let result = report[.contentSecurityPolicy]!
    require(result.outcome != .cspNotImplemented, "the audit found no policy in \(show(header))")
    if result.outcome == .cspHeaderInvalid {
        require(result.explanation.contains("strict-dynamic"), "the audit calls a valid policy invalid: \(show(header)): \(result.explanation)")
    }
}

/// Each distinct run of non-ASCII bytes replaced by a distinct ASCII placeholder of the same
/// length, `~…~` with lowercase letters and digits inside (ASCII lowercasing keeps it as it is): a
/// token that is invalid wherever it stands, as the run was, and that cannot merge with its
/// neighbours into a Character. Nil when the text already holds '~' or has too many distinct runs.
func placeholders(_ values: [[UInt8]]) -> [[UInt8]]? {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    var map: [[UInt8]: [UInt8]] = [:]
    var counts: [Int: Int] = [:]
    var out: [[UInt8]] = []
    for value in values {
        if value.contains(UInt8(ascii: "~")) { return nil }
        var result: [UInt8] = []
        var i = 0
        while i < value.count {
            guard value[i] >= 0x80 else { result.append(value[i]); i += 1; continue }
            var j = i
            while j < value.count, value[j] >= 0x80 { j += 1 }
            let run = Array(value[i..<j])
            if map[run] == nil {
                guard run.count >= 2 else { return nil }
                var n = counts[run.count, default: 0]
                counts[run.count] = n + 1
                var placeholder: [UInt8] = [UInt8(ascii: "~")]
                for _ in 0..<(run.count - 2) { placeholder.append(alphabet[n % alphabet.count]); n /= alphabet.count }
                guard n == 0 else { return nil }
                map[run] = placeholder + [UInt8(ascii: "~")]
            }
            result += map[run]!
            i = j
        }
        out.append(result)
    }
    return out
}

/// Chromium's reading in ASCII: each directive (a run between ',' and ';') holding a non-ASCII
/// byte replaced by as many ';', empty pieces the reader skips, so no policy changes length.
func droppingNonASCIIDirectives(_ value: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var piece: [UInt8] = []
    func flush() { out += piece.contains { $0 >= 0x80 } ? Array(repeating: UInt8(ascii: ";"), count: piece.count) : piece }
    for byte in value {
        if byte == UInt8(ascii: ";") || byte == UInt8(ascii: ",") {
            flush()
            piece = []
            out.append(byte)
        } else {
            piece.append(byte)
        }
    }
    flush()
    return out
}

func grade(csp: [[UInt8]], hsts: [UInt8]?) -> AuditReport {
    var fields = HTTPFields()
    for value in csp { fields.append(HTTPField(name: .contentSecurityPolicy, lenientValue: value)) }
    if let hsts { fields.append(HTTPField(name: .strictTransportSecurity, lenientValue: hsts)) }
    return ObservatoryAudit.grade(AuditInput(chain: [AuditedResponse(url: httpsURL, status: .ok, headerFields: fields)]))
}

/// The HSTS verdict by the documented rules, on the bytes HTTPField keeps.
enum HSTSVerdict: Equatable { case invalid, maxAge(Int) }

func referenceHSTS(_ raw: [UInt8]) -> HSTSVerdict {
    var value: [UInt8] = []
    HTTPField(name: .strictTransportSecurity, lenientValue: raw).withUnsafeBytesOfValue { value = Array($0) }
    if value.contains(UInt8(ascii: ",")) { return .invalid }
    func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let b = s.first, b == 0x20 || b == 0x09 { s = s.dropFirst() }
        while let b = s.last, b == 0x20 || b == 0x09 { s = s.dropLast() }
        return s
    }
    var maxAge: Int?
    for piece in value.prefix(1024).split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false) {
        let directive = trim(piece).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }[...]
        guard directive.starts(with: "max-age".utf8) else { continue }
        var argument = trim(directive.dropFirst(7))
        guard argument.first == UInt8(ascii: "=") else { continue }
        argument = trim(argument.dropFirst())
        if argument.count >= 2, argument.first == 0x22, argument.last == 0x22 { argument = argument.dropFirst().dropLast() }
        guard !argument.isEmpty, argument.count <= 18, argument.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .invalid }
        maxAge = Int(String(decoding: argument, as: UTF8.self))!
    }
    return maxAge.map { .maxAge($0) } ?? .invalid
}

func checkAudit(_ lines: [ArraySlice<UInt8>]) {
    // The audit reads field values as Strings, invalid UTF-8 repaired; compare on that text.
    func repaired(_ bytes: ArraySlice<UInt8>) -> [UInt8] { Array(String(decoding: bytes, as: UTF8.self).utf8) }
    let csp = ([lines[0]] + lines.dropFirst(3)).map(repaired)
    let hsts = lines.count > 1 ? repaired(lines[1]) : nil
    let report = grade(csp: csp, hsts: hsts)

    // 3. Non-ASCII bytes do not change the verdicts (within the audit's 1024-character window).
    // (Pure ASCII text maps to itself: nothing to compare.)
    if (csp + [hsts ?? []]).contains(where: { $0.contains { $0 >= 0x80 } }), (csp + [hsts ?? []]).allSatisfy({ $0.count <= 1024 }), let mapped = placeholders(csp + [hsts ?? []]) {
        let plainHSTS = hsts == nil ? nil : mapped.last!
        let written = grade(csp: Array(mapped.dropLast()), hsts: plainHSTS)
        let chromium = grade(csp: csp.map(droppingNonASCIIDirectives), hsts: plainHSTS)
        let writtenCSP = written[.contentSecurityPolicy]!
        let chromiumCSP = chromium[.contentSecurityPolicy]!
        let strictDynamic = AuditResult(.cspHeaderInvalid, detail: "'strict-dynamic' without a nonce or hash").explanation
        let writtenFailsToParse = writtenCSP.outcome == .cspHeaderInvalid && writtenCSP.explanation != strictDynamic
        let expected = [
            AuditTest.contentSecurityPolicy: chromiumCSP.modifier < writtenCSP.modifier ? chromiumCSP.outcome : writtenCSP.outcome,
            .strictTransportSecurity: written[.strictTransportSecurity]!.outcome,
            .xFrameOptions: (writtenFailsToParse ? written : chromium)[.xFrameOptions]!.outcome,
        ]
        for (test, outcome) in expected.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            require(report[test]!.outcome == outcome,
                    "\(test): \(report[test]!.outcome) for the text but \(outcome) from its two readings (written \(written[test]!.outcome), Chromium \(chromium[test]!.outcome))\n  csp  \(csp.map { show(String(decoding: $0, as: UTF8.self)) })\n  hsts \(hsts.map { show(String(decoding: $0, as: UTF8.self)) } ?? "none")")
        }
    }

    // 4. HSTS against the byte-level reading, on ASCII.
    if let hsts, hsts.allSatisfy({ $0 < 0x80 }) {
        let result = report[.strictTransportSecurity]!
        let expected = referenceHSTS(hsts)
        switch expected {
        case .invalid:
            require(result.outcome == .hstsHeaderInvalid, "HSTS \(show(String(decoding: hsts, as: UTF8.self))): expected invalid, audit says \(result.outcome)")
        case .maxAge(let seconds):
            let outcome: AuditOutcome = seconds >= ObservatoryAudit.sixMonths ? .hstsImplementedMaxAgeAtLeastSixMonths : .hstsImplementedMaxAgeLessThanSixMonths
            require(result.outcome == outcome, "HSTS \(show(String(decoding: hsts, as: UTF8.self))): expected max-age \(seconds), audit says \(result.outcome)")
        }
    }
}

func checkRenderedHSTS(_ input: FuzzInput) {
    var generator = input
    let maxAge = generator.int(in: 0...40_000_000)
    let includeSubDomains = generator.bool()
    guard let policy = try? StrictTransportSecurity(maxAge: maxAge, includeSubDomains: includeSubDomains, preload: includeSubDomains && maxAge >= 31_536_000 && generator.bool()) else { return }
    let report = ObservatoryAudit.grade(AuditInput(chain: [AuditedResponse(url: httpsURL, status: .ok, headerFields: HTTPFields([policy.headerField]))]))
    let expected: AuditOutcome = maxAge >= ObservatoryAudit.sixMonths ? .hstsImplementedMaxAgeAtLeastSixMonths : .hstsImplementedMaxAgeLessThanSixMonths
    require(report[.strictTransportSecurity]!.outcome == expected, "rendered HSTS \(policy.headerField.value) graded \(report[.strictTransportSecurity]!.outcome)")
}

func checkURL(_ text: String) {
    guard let url = AuditURL(text) else { return }
    require(url.scheme == "http" || url.scheme == "https", "AuditURL scheme \(url.scheme)")
    require(url.port.map { (1...65535).contains($0) } ?? true, "AuditURL port \(String(describing: url.port))")
    guard let again = AuditURL(url.description) else { propertyFailed("AuditURL \(show(text)) prints \(show(url.description)), which does not parse") }
    require(again == url, "AuditURL \(show(text)) prints \(show(url.description)), which parses as \(show(again.description))")
}

func fuzz(_ input: FuzzInput) {
    let lines = input.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    checkPolicy(String(decoding: lines[0], as: UTF8.self))
    checkAudit(lines)
    if (input.bytes.last ?? 0) & 7 == 0 { checkRenderedHSTS(input) }
    if lines.count > 2 { checkURL(String(decoding: lines[2], as: UTF8.self)) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
