// SafeURL: the scheme filter for URL attributes.
//
// Input: a URL as it would be interpolated into `href`.
//
// Properties:
// 1. A refused URL becomes exactly `about:invalid#rampart`; an accepted one is kept byte for byte;
//    filtering is idempotent.
// 2. An accepted URL has no scheme, or an allowed one (http, https, mailto), by a reading written
//    here from the specifications: HTML numeric character references decoded as the HTML
//    tokenizer does (any number of digits, 0 / surrogates / > U+10FFFF as U+FFFD, 0x80–0x9F by the
//    windows-1252 table), the named references `&colon;` `&Tab;` `&NewLine;`, then the URL
//    Standard's scheme state (C0 control or space trimmed, tab and newline removed).
// 3. With RAMPART_FUZZ_DUMP set, every input and verdict is written out; check_corpus.py puts each
//    accepted URL in an `<a href>` as Rampart renders it (escaped) and as the documentation says
//    it would also be safe (unescaped), parses it with html5lib, and resolves the attribute with
//    ada-url's WHATWG URL parser against an https base: the protocol must be allowed.
import FuzzSupport
import Rampart

let windows1252: [UInt32: UInt32] = [
    0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02C6,
    0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201C,
    0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC, 0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A,
    0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
]

/// HTML §13.2.5.72–80: character references in an attribute value, numeric ones in full and the
/// three named ones that can spell a scheme separator or vanish from it.
func decodeReferences(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    func hexValue(_ b: UInt8) -> UInt32? {
        if isDigit(b) { return UInt32(b - 0x30) }
        let l = b | 0x20
        return l >= 0x61 && l <= 0x66 ? UInt32(l - 0x61 + 10) : nil
    }
    while i < bytes.count {
        guard bytes[i] == UInt8(ascii: "&") else { out.append(bytes[i]); i += 1; continue }
        if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "#") {
            var j = i + 2
            let hex = j < bytes.count && (bytes[j] | 0x20) == UInt8(ascii: "x")
            if hex { j += 1 }
            let start = j
            var value: UInt64 = 0
            while j < bytes.count, let digit = hex ? hexValue(bytes[j]) : (isDigit(bytes[j]) ? UInt32(bytes[j] - 0x30) : nil) {
                value = min(value * (hex ? 16 : 10) + UInt64(digit), 0x11_0000)
                j += 1
            }
            if j > start {
                if j < bytes.count, bytes[j] == UInt8(ascii: ";") { j += 1 }
                var scalar = UInt32(value)
                if value == 0 || value > 0x10FFFF || (0xD800...0xDFFF).contains(value) { scalar = 0xFFFD }
                if let mapped = windows1252[scalar] { scalar = mapped }
                out += Array(String(Unicode.Scalar(scalar)!).utf8)
                i = j
                continue
            }
        } else {
            let named: [(String, UInt8)] = [("colon;", 0x3A), ("Tab;", 0x09), ("NewLine;", 0x0A)]
            if let (name, byte) = named.first(where: { bytes[(i + 1)...].starts(with: $0.0.utf8) }) {
                out.append(byte)
                i += 1 + name.utf8.count
                continue
            }
        }
        out.append(bytes[i])
        i += 1
    }
    return out
}

/// URL Standard §4.4: the scheme of an absolute URL, lowercased, or nil for a relative one.
func referenceScheme(_ url: String) -> String? {
    var bytes = decodeReferences(Array(url.utf8))[...]
    while let b = bytes.first, b <= 0x20 { bytes = bytes.dropFirst() }
    while let b = bytes.last, b <= 0x20 { bytes = bytes.dropLast() }
    let cleaned = bytes.filter { $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
    func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    guard let first = cleaned.first, isAlpha(first) else { return nil }
    var scheme: [UInt8] = []
    for b in cleaned {
        if b == UInt8(ascii: ":") { return String(decoding: scheme.map { $0 | 0x20 }, as: UTF8.self) }
        guard isAlpha(b) || (b >= 0x30 && b <= 0x39) || b == 0x2B || b == 0x2D || b == 0x2E else { return nil }
        scheme.append(b)
    }
    return nil
}

func fuzz(_ input: FuzzInput) {
    let url = input.text
    let safe = SafeURL(url)
    if safe.wasRefused {
        require(safe.value == SafeURL.refused, "refused URL became \(show(safe.value))")
    } else {
        require(sameBytes(safe.value, url), "accepted URL changed: \(show(url)) -> \(show(safe.value))")
        let scheme = referenceScheme(url)
        require(scheme.map { SafeURL.allowedSchemes.contains($0) } ?? true,
                "SafeURL accepted \(show(url)), whose scheme is \(scheme ?? "") once HTML character references are decoded")
    }
    require(sameBytes(SafeURL(safe.value).value, safe.value), "SafeURL is not idempotent on \(show(url))")
    if Dump.isEnabled { Dump.record("safeURL", ["input": url, "value": safe.value, "refused": safe.wasRefused ? "1" : "0"]) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(FuzzInput(data, size))
    return 0
}

runFuzzer(fuzzOne)
