// The `Cookie` request header (RequestCookies) and the Set-Cookie upgrade (CookieHardening).
//
// Input: the bytes of one or more `Cookie` field values, one per line, as they come off the wire
// (not necessarily UTF-8).
//
// Properties:
// 1. Every pair read is RFC 6265 §4.1.1: a token name and a cookie-value (checked here with a
//    table of our own); names are unique; at most 64 pairs and 8 KiB.
// 2. The one-cookie fast path (`value(named:in:)`, used for the session cookie on every request)
//    agrees with the full parse for every valid name in the header.
// 3. Serialising the pairs read and parsing again gives the same pairs.
// 4. A header serialised from generated pairs (with optional whitespace, empty pieces and quoted
//    values) parses back to those pairs, first occurrence of a name winning.
// 5. CookieHardening only appends, is idempotent, and leaves Secure, HttpOnly and SameSite present
//    (by our own byte-level attribute scan) whenever the value has a `name=` first piece.
import FuzzSupport
import HTTPTypes
import Rampart

/// RFC 9110 §5.6.2 tchar, written out independently of HeaderGrammar.
func isTChar(_ b: UInt8) -> Bool {
    guard b > 0x20, b < 0x7F else { return false }
    return !"\"(),/:;<=>?@[\\]{}".utf8.contains(b)
}

/// RFC 6265 §4.1.1 cookie-octet.
func isCookieOctet(_ b: UInt8) -> Bool {
    b == 0x21 || (0x23...0x2B).contains(b) || (0x2D...0x3A).contains(b) || (0x3C...0x5B).contains(b) || (0x5D...0x7E).contains(b)
}

/// `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`
func isCookieValue(_ value: some Collection<UInt8>) -> Bool {
    let bytes = Array(value)
    if bytes.count >= 2, bytes.first == 0x22, bytes.last == 0x22 { return bytes.dropFirst().dropLast().allSatisfy(isCookieOctet) }
    return bytes.allSatisfy(isCookieOctet)
}

let tcharAlphabet: [UInt8] = (0x21...0x7E).filter(isTChar)
let octetAlphabet: [UInt8] = (0x21...0x7E).filter(isCookieOctet)

let hardening = CookieHardening.upgrade()

/// The attributes present after the first `;`, by a byte scan: lowercased, trimmed names.
func attributeNames(_ value: String) -> (hasNamePair: Bool, names: [String]) {
    let pieces = Array(value.utf8).split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
    guard let first = pieces.first, first.contains(UInt8(ascii: "=")) else { return (false, []) }
    let names = pieces.dropFirst().map { piece -> String in
        let key = piece.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)[0]
        return String(decoding: key.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self).trimmingASCIISpaces
    }
    return (true, names)
}

func serialize(_ pairs: [(name: String, value: String)]) -> String {
    pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
}

func samePairs(_ a: [(name: String, value: String)], _ b: [(name: String, value: String)]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { sameBytes($0.name, $1.name) && sameBytes($0.value, $1.value) }
}

func describe(_ pairs: [(name: String, value: String)]) -> String {
    pairs.map { "\(show($0.name)) = \(show($0.value))" }.joined(separator: "\n")
}

func fuzz(_ input: FuzzInput) {
    let lines = input.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var fields = HTTPFields()
    for line in lines { fields.append(HTTPField(name: .cookie, lenientValue: line)) }

    // 1. The pairs read are well-formed and bounded.
    let parsed = RequestCookies(fields)
    require(parsed.pairs.count <= RequestCookies.maximumCount, "more than \(RequestCookies.maximumCount) pairs")
    require(parsed.pairs.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count } <= RequestCookies.maximumTotalBytes, "over the byte budget")
    var seen = Set<[UInt8]>()
    for (name, value) in parsed.pairs {
        require(!name.isEmpty && name.utf8.allSatisfy(isTChar), "name is not a token: \(show(name))")
        require(isCookieValue(value.utf8), "value is not an RFC 6265 cookie-value: \(show(value))")
        require(seen.insert(Array(name.utf8)).inserted, "name read twice: \(show(name))")
    }

    // 2. The fast path agrees with the full parse, for every token name written in the header.
    var names = Set(parsed.pairs.map(\.name))
    for line in lines {
        for piece in line.split(separator: UInt8(ascii: ";")) {
            let name = piece.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)[0]
            let trimmed = String(decoding: name, as: UTF8.self).trimmingASCIISpaces
            if !trimmed.isEmpty, trimmed.utf8.allSatisfy(isTChar) { names.insert(trimmed) }
        }
    }
    for name in names.prefix(4) {
        let fast = RequestCookies.value(named: name, in: fields)
        let full = parsed[name]
        require(fast.map { Array($0.utf8) } == full.map { Array($0.utf8) },
                "value(named: \(show(name))) is \(fast.map { show($0) } ?? "nil") but the full parse has \(full.map { show($0) } ?? "nil")")
    }

    // 3. Re-serialising what was read gives it back.
    let again = RequestCookies(headerValues: [serialize(parsed.pairs)])
    require(samePairs(again.pairs, parsed.pairs) && again.ignoredCount == 0,
            "re-parse differs:\n\(describe(parsed.pairs))\n--- became ---\n\(describe(again.pairs))")

    // 4. Generated pairs round-trip.
    var generator = FuzzInput(bytes: input.bytes)
    let count = generator.int(in: 0...20)
    var generated: [(name: String, value: String)] = []
    var header = ""
    for index in 0..<count {
        let name = generator.string(from: tcharAlphabet, upTo: 12, minimum: 1)
        var value = generator.string(from: octetAlphabet, upTo: 30)
        if generator.int(in: 0...7) == 0 { value = "\"\(value)\"" }
        generated.append((name, value))
        let ows = ["", " ", "\t", "  "]
        let before = ows[generator.int(in: 0...3)], after = ows[generator.int(in: 0...3)]
        if index > 0 { header += [";", "; ", " ; ", ";;", "; ;\t"][generator.int(in: 0...4)] }
        header += "\(before)\(name)\(generator.int(in: 0...5) == 0 ? " = " : "=")\(value)\(after)"
    }
    var expected: [(name: String, value: String)] = []
    for pair in generated where !expected.contains(where: { sameBytes($0.name, pair.name) }) { expected.append(pair) }
    let roundTrip = RequestCookies(headerValues: [header])
    require(samePairs(roundTrip.pairs, expected) && roundTrip.ignoredCount == generated.count - expected.count,
            "generated header \(show(header)) read as\n\(describe(roundTrip.pairs))\nexpected\n\(describe(expected))")
    if let (name, value) = expected.first {
        var one = HTTPFields()
        one.append(HTTPField(name: .cookie, value: header))
        require(RequestCookies.value(named: name, in: one).map { sameBytes($0, value) } == true, "fast path missed \(show(name)) in \(show(header))")
    }

    // 5. Set-Cookie hardening.
    for line in lines.prefix(2) {
        let value = String(decoding: line, as: UTF8.self)
        let hardened = hardening.harden(value)
        require(hardened.utf8.starts(with: value.utf8), "hardening changed the existing text: \(show(value)) -> \(show(hardened))")
        require(sameBytes(hardening.harden(hardened), hardened), "hardening is not idempotent on \(show(value))")
        let scan = attributeNames(hardened)
        if scan.hasNamePair {
            for attribute in ["secure", "httponly", "samesite"] {
                require(scan.names.contains(attribute), "\(attribute) missing after hardening \(show(value)): \(show(hardened))")
            }
        } else {
            require(sameBytes(hardened, value), "a value without name=value was changed: \(show(value))")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
